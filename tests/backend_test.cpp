// The backend: how it is chosen (TEMPIO_BACKEND, fallback when io_uring
// cannot be set up), and what the io_uring backend promises: operations on
// an io_context run on its ring (no pool job), the loop waits only while
// something is pending, destroying the io_context mid-operation loses
// nothing, and a forked child never touches its parent's ring.
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <list>
#include <string_view>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_future.hpp>

#include "backend/backend.hpp"
#include "backend/ring.hpp"
#include "core/sys.hpp"
#include "support/test_dir.hpp"
#include "tempio/tempio.hpp"

namespace fs = std::filesystem;
namespace net = tempio::net;
using tempio::error_code;
using tempio::test::entries;
using tempio::test::open_fds;
namespace detail = tempio::detail;

namespace {

bool io_uring_asked() {
    const char* env = std::getenv("TEMPIO_BACKEND");
    return env != nullptr && std::string_view(env) == "io_uring";
}

bool ring_active() {
    return detail::active_backend() == detail::backend_kind::io_uring;
}

class backend : public tempio::test::test_dir {
  protected:
    void TearDown() override {
        detail::uring_setup_faults().fail_errno = 0;
        test_dir::TearDown();
    }

    // A named file written past its buffer and closed, a directory made and
    // cleaned, mkstemp and mkdtemp: every operation the ring can do.
    void churn(net::io_context& ctx) {
        net::co_spawn(
            ctx,
            [&]() -> net::awaitable<void> {
                // Anonymous: a named file's delete is identity-checked (its
                // name must still be its inode), which the pool does.
                auto f = co_await tempio::temporary_file::async_create({.dir = dir_});
                co_await f.async_write(std::string(100000, 'x'));
                co_await f.async_close();
                auto d = co_await tempio::temporary_directory::async_create({.dir = dir_});
                co_await d.async_cleanup();
                auto r = co_await tempio::async_mkstemp({.dir = dir_});
                r.fd.reset();
                fs::remove(r.path);
                fs::remove(co_await tempio::async_mkdtemp({.dir = dir_}));
            },
            net::detached);
        ctx.run();
    }
};

}  // namespace

TEST_F(backend, the_name_says_which_one_runs) {
    std::string_view name = tempio::backend_name();
    if (io_uring_asked())
        EXPECT_EQ(name, detail::ring_usable() ? "io_uring" : "threads");
    else
        EXPECT_EQ(name, "threads") << "auto is the pool (docs/performance.md)";
}

TEST_F(backend, threads_never_sets_up_a_ring) {
    auto before = detail::uring_setup_faults().calls.load();
    EXPECT_EQ(detail::choose_backend("threads"), detail::backend_kind::threads);
    EXPECT_EQ(detail::choose_backend("auto"), detail::backend_kind::threads);
    EXPECT_EQ(detail::choose_backend(nullptr), detail::backend_kind::threads);
    if (!io_uring_asked()) {
        net::io_context ctx;
        churn(ctx);
    }
    EXPECT_EQ(detail::uring_setup_faults().calls.load(), before);
}

TEST_F(backend, falls_back_to_threads_when_io_uring_cannot_be_set_up) {
    for (int err : {ENOSYS, EPERM, EACCES, ENOMEM}) {
        SCOPED_TRACE(err);
        detail::uring_setup_faults().fail_errno = err;
        auto before = detail::uring_setup_faults().calls.load();
        EXPECT_EQ(detail::choose_backend("io_uring"), detail::backend_kind::threads);
        // It did try (a build without liburing has nothing to try).
        EXPECT_EQ(detail::uring_setup_faults().calls.load(),
                  before + (detail::ring_built() ? 1 : 0));
    }
}

TEST_F(backend, an_unknown_value_means_auto) {
    EXPECT_EQ(detail::choose_backend("iouring"), detail::choose_backend("auto"));
}

TEST_F(backend, on_an_io_context_the_ring_does_the_work_without_a_pool_job) {
    if (!ring_active()) GTEST_SKIP() << "backend: " << tempio::backend_name();
    net::io_context ctx;
    auto jobs = detail::jobs_run();
    churn(ctx);  // run() returns: the loop stopped waiting once nothing was pending
    EXPECT_EQ(detail::jobs_run(), jobs);
    EXPECT_TRUE(entries(dir_).empty());
}

TEST_F(backend, reads_on_the_ring_see_what_was_written) {
    if (!ring_active()) GTEST_SKIP() << "backend: " << tempio::backend_name();
    std::string data(200000, '\0');
    for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>('a' + i % 26);
    tempio::run([&]() -> net::awaitable<void> {
        auto f = co_await tempio::temporary_file::async_create({.dir = dir_});
        co_await f.async_write(data);  // past the buffer: on the ring
        auto jobs = detail::jobs_run();
        co_await f.async_seek(0);                         // a pool job
        std::string head = co_await f.async_read(70000);  // two chunks
        char buf[1000];
        std::size_t n = co_await f.async_read_some(net::buffer(buf));
        std::string rest = co_await f.async_read();  // to the end, in chunks
        // The seek's worker counts its job after handing the result on.
        for (int i = 0; i < 1000 && detail::jobs_run() < jobs + 1; ++i) ::usleep(1000);
        EXPECT_EQ(detail::jobs_run(), jobs + 1) << "a read went to the pool";
        EXPECT_EQ(head, data.substr(0, 70000));
        EXPECT_EQ(std::string(buf, n), data.substr(70000, n));
        EXPECT_EQ(rest, data.substr(70000 + n));
        EXPECT_EQ(co_await f.async_tell(), data.size());
        co_await f.async_close();
    });
}

TEST_F(backend, other_executors_use_the_pool) {
    if (!ring_active()) GTEST_SKIP() << "backend: " << tempio::backend_name();
    auto jobs = detail::jobs_run();
    // A future completes on the system executor; a thread_pool is no io_context.
    fs::remove(tempio::async_mkdtemp({.dir = dir_}, net::use_future).get());
    net::thread_pool pool(1);
    auto f = net::co_spawn(
        pool,
        []() -> net::awaitable<std::string> {
            co_return (co_await tempio::async_mkdtemp({})).string();
        },
        net::use_future);
    fs::remove(f.get());
    pool.join();
    // A worker counts its job after handing the result on: wait for the count.
    for (int i = 0; i < 1000 && detail::jobs_run() < jobs + 2; ++i) ::usleep(1000);
    EXPECT_EQ(detail::jobs_run(), jobs + 2);
}

TEST_F(backend, a_creation_cancelled_in_the_kernel_is_undone) {
    if (!ring_active()) GTEST_SKIP() << "backend: " << tempio::backend_name();
    net::io_context ctx;
    std::list<net::cancellation_signal> signals;
    int aborted = 0;
    auto count = [&](error_code ec, auto&&...) { aborted += ec == net::error::operation_aborted; };
    for (int i = 0; i < 10; ++i) {
        auto token = [&] {
            return net::bind_cancellation_slot(signals.emplace_back().slot(),
                                               net::bind_executor(ctx, count));
        };
        tempio::named_temporary_file::async_create({.dir = dir_}, token());
        tempio::temporary_file::async_create({.dir = dir_}, token());
        tempio::temporary_directory::async_create({.dir = dir_}, token());
        tempio::async_mkstemp({.dir = dir_}, token());
        tempio::async_mkdtemp({.dir = dir_}, token());
    }
    for (auto& s : signals) s.emit(net::cancellation_type::terminal);  // all in the kernel now
    ctx.run();
    EXPECT_EQ(aborted, 50);
    EXPECT_TRUE(entries(dir_).empty());
}

TEST_F(backend, a_full_ring_queues_and_loses_nothing) {
    // More creations at once than the ring's completion queue holds (512),
    // fewer than the usual 1024 descriptors.
    constexpr std::size_t n = 800;
    net::io_context ctx;
    std::vector<tempio::named_temporary_file> files;
    for (std::size_t i = 0; i < n; ++i)
        tempio::named_temporary_file::async_create(
            {.dir = dir_},
            net::bind_executor(ctx, [&](error_code ec, tempio::named_temporary_file f) {
                EXPECT_FALSE(ec) << ec.message();
                files.push_back(std::move(f));
            }));
    ctx.run();
    ASSERT_EQ(files.size(), n);
    EXPECT_EQ(entries(dir_).size(), n);
    files.clear();
    EXPECT_TRUE(entries(dir_).empty());
}

TEST_F(backend, destroying_the_io_context_mid_operation_leaves_nothing) {
    // The ring belongs to the io_context and drains itself on shutdown. (A
    // pool worker finishing later would post to a dead context: with the
    // pool, the io_context must outlive its operations, as in Asio.)
    if (!ring_active()) GTEST_SKIP() << "backend: " << tempio::backend_name();
    for (int round = 0; round < 20; ++round) {
        auto ctx = std::make_unique<net::io_context>();
        auto token = net::bind_executor(ctx->get_executor(), [](auto...) { ADD_FAILURE(); });
        tempio::named_temporary_file::async_create({.dir = dir_}, token);
        tempio::temporary_file::async_create({.dir = dir_}, token);
        tempio::temporary_directory::async_create({.dir = dir_}, token);
        tempio::async_mkstemp({.dir = dir_}, token);
        tempio::async_mkdtemp({.dir = dir_}, token);
        ctx.reset();  // never run: the handlers are destroyed, what was made is undone
    }
    EXPECT_TRUE(entries(dir_).empty());
}

TEST_F(backend, a_forked_child_leaves_the_parents_ring_alone) {
    if (!tempio::test::can_fork()) GTEST_SKIP() << "no fork() on this platform";
    net::io_context ctx;
    churn(ctx);  // the parent's ring exists now (with io_uring)
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        // The inherited io_context falls back to the pool, a new one gets
        // its own ring; both work.
        bool ok = true;
        for (net::io_context* c : {&ctx, new net::io_context}) {
            c->restart();
            net::co_spawn(
                *c,
                [&]() -> net::awaitable<void> {
                    auto f = co_await tempio::named_temporary_file::async_create({.dir = dir_});
                    co_await f.async_write("child");
                    co_await f.async_close();
                },
                [&](std::exception_ptr e) { ok = ok && !e; });
            c->run();
        }
        ::_exit(ok && entries(dir_).empty() ? 0 : 1);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    ctx.restart();
    churn(ctx);  // and the parent's ring still works
    EXPECT_TRUE(entries(dir_).empty());
}
