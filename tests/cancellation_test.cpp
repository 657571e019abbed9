// Per-operation cancellation: cancelled before its work starts, an operation
// does nothing; a creation cancelled while it runs removes what it created.
// Both complete with operation_aborted. Close and cleanup are never cancelled.
//
// The pool is limited to one worker, and a name source that blocks holds it,
// so the tests decide exactly when work starts (with the pool backend).
#include <sys/stat.h>

#include <atomic>
#include <cstdlib>
#include <thread>

#include <gtest/gtest.h>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/io_context.hpp>

#include "backend/inline_level.hpp"
#include "core/names.hpp"
#include "support/test_dir.hpp"
#include "tempio/tempio.hpp"

namespace fs = std::filesystem;
namespace net = tempio::net;
using tempio::error_code;
using tempio::test::entries;

namespace {

// These tests hold the pool's only worker to decide when work starts: they
// test the worker-pool backend (read once, at the first operation). A ring
// submits at once; its cancellation is tested in backend_test.cpp.
const bool pool_backend = (::setenv("TEMPIO_BACKEND", "threads", 1), true);
const bool one_worker = (tempio::set_worker_threads(1), true);

std::atomic<bool> g_started{false};
std::atomic<bool> g_release{false};
std::atomic<int> g_names{0};

// Holds the worker until released; counts names drawn.
void gated_source(std::string& out) {
    g_started = true;
    while (!g_release.load()) std::this_thread::yield();
    out += "gated" + std::to_string(g_names.fetch_add(1)) + "xx";
    out.resize(out.size());  // keep 8 chars or more: names need not be exactly 8 here
}

class cancellation : public tempio::test::test_dir {
  protected:
    void SetUp() override {
        test_dir::SetUp();
        g_started = false;
        g_release = false;
        g_names = 0;
        tempio::detail::set_name_source_for_testing(gated_source);
        // Every call waits for the worker, even on tmpfs (TMPDIR=/dev/shm),
        // where one alone would run on the calling thread.
        saved_inline_ = tempio::detail::inline_dispatch_level();
        tempio::detail::set_inline_dispatch_for_testing(tempio::detail::inline_level::never);
    }
    void TearDown() override {
        g_release = true;
        tempio::detail::set_name_source_for_testing(nullptr);
        tempio::detail::set_inline_dispatch_for_testing(saved_inline_);
        test_dir::TearDown();
    }
    static void wait_started() {
        while (!g_started.load()) std::this_thread::yield();
    }
    net::io_context ctx_;
    tempio::detail::inline_level saved_inline_ = tempio::detail::inline_level::never;
};

}  // namespace

TEST_F(cancellation, before_the_work_starts_nothing_is_created) {
    ASSERT_TRUE(one_worker && pool_backend);
    // Occupy the only worker with a first creation.
    bool first_done = false;
    tempio::async_mkdtemp({.dir = dir_}, net::bind_executor(ctx_, [&](error_code ec, fs::path p) {
                              EXPECT_FALSE(ec);
                              fs::remove(p);
                              first_done = true;
                          }));
    wait_started();
    net::cancellation_signal signal;
    error_code second_ec;
    tempio::named_temporary_file second(ctx_.get_executor());
    tempio::named_temporary_file::async_create(
        {.dir = dir_},
        net::bind_cancellation_slot(
            signal.slot(),
            net::bind_executor(ctx_, [&](error_code ec, tempio::named_temporary_file f) {
                second_ec = ec;
                second = std::move(f);
            })));
    signal.emit(net::cancellation_type::terminal);
    g_release = true;
    ctx_.run();
    EXPECT_TRUE(first_done);
    EXPECT_EQ(second_ec, net::error::operation_aborted);
    EXPECT_FALSE(second.is_open());
    EXPECT_EQ(g_names.load(), 1) << "the cancelled creation drew no name";
    EXPECT_TRUE(entries(dir_).empty());
}

TEST_F(cancellation, while_the_work_runs_the_creation_is_undone) {
    struct cancel_case {
        const char* what;
        std::function<void(net::cancellation_slot, std::function<void(error_code)>)> start;
    };
    auto bound = [&](net::cancellation_slot slot, auto fn) {
        return net::bind_cancellation_slot(slot, net::bind_executor(ctx_, fn));
    };
    std::vector<cancel_case> cases = {
        {"mkstemp",
         [&](auto slot, auto done) {
             tempio::async_mkstemp({.dir = dir_},
                                   bound(slot, [done](error_code ec, tempio::mkstemp_result r) {
                                       EXPECT_FALSE(r.fd);
                                       done(ec);
                                   }));
         }},
        {"mkdtemp",
         [&](auto slot, auto done) {
             tempio::async_mkdtemp({.dir = dir_},
                                   bound(slot, [done](error_code ec, fs::path) { done(ec); }));
         }},
        {"named_temporary_file",
         [&](auto slot, auto done) {
             tempio::named_temporary_file::async_create(
                 {.dir = dir_, .keep = true},
                 bound(slot, [done](error_code ec, tempio::named_temporary_file f) {
                     EXPECT_FALSE(f.is_open());
                     done(ec);
                 }));
         }},
        {"temporary_directory",
         [&](auto slot, auto done) {
             tempio::temporary_directory::async_create(
                 {.dir = dir_, .keep = true},
                 bound(slot, [done](error_code ec, tempio::temporary_directory d) {
                     EXPECT_TRUE(d.path().empty());
                     done(ec);
                 }));
         }},
    };
    for (auto& c : cases) {
        g_started = false;
        g_release = false;
        net::cancellation_signal signal;
        error_code result;
        bool done = false;
        c.start(signal.slot(), [&](error_code ec) {
            result = ec;
            done = true;
        });
        wait_started();  // the job is inside the retry loop now
        signal.emit(net::cancellation_type::terminal);
        g_release = true;
        ctx_.restart();
        ctx_.run();
        EXPECT_TRUE(done) << c.what;
        EXPECT_EQ(result, net::error::operation_aborted) << c.what;
        EXPECT_TRUE(entries(dir_).empty()) << c.what << " left something behind";
    }
}

TEST_F(cancellation, close_and_cleanup_are_never_cancelled) {
    g_release = true;
    g_release = true;
    error_code close_ec = net::error::would_block, cleanup_ec = net::error::would_block;
    tempio::named_temporary_file f(ctx_.get_executor());
    tempio::temporary_directory d(ctx_.get_executor());
    tempio::named_temporary_file::async_create(
        ctx_.get_executor(), {.dir = dir_},
        [&](error_code, tempio::named_temporary_file x) { f = std::move(x); });
    tempio::temporary_directory::async_create(
        ctx_.get_executor(), {.dir = dir_},
        [&](error_code, tempio::temporary_directory x) { d = std::move(x); });
    ctx_.run();
    ctx_.restart();
    net::cancellation_signal s1, s2;
    f.async_close(net::bind_cancellation_slot(s1.slot(), [&](error_code ec) { close_ec = ec; }));
    d.async_cleanup(
        net::bind_cancellation_slot(s2.slot(), [&](error_code ec) { cleanup_ec = ec; }));
    s1.emit(net::cancellation_type::all);
    s2.emit(net::cancellation_type::all);
    ctx_.run();
    EXPECT_FALSE(close_ec) << close_ec.message();
    EXPECT_FALSE(cleanup_ec) << cleanup_ec.message();
    EXPECT_FALSE(fs::exists(f.path()));
    EXPECT_FALSE(fs::exists(d.path()));
    EXPECT_TRUE(entries(dir_).empty());
}

TEST_F(cancellation, a_cancelled_read_does_nothing) {
    g_release = true;
    tempio::temporary_file f(ctx_.get_executor());
    tempio::temporary_file::async_create(
        ctx_.get_executor(), {.buffering = 0, .dir = dir_},
        [&](error_code, tempio::temporary_file x) { f = std::move(x); });
    ctx_.run();
    ctx_.restart();
    // Hold the worker so the read cannot start before it is cancelled.
    g_started = false;
    g_release = false;
    tempio::async_mkdtemp({.dir = dir_},
                          net::bind_executor(ctx_, [](error_code, fs::path p) { fs::remove(p); }));
    wait_started();
    net::cancellation_signal signal;
    error_code ec;
    // Past the bound of writes made at once on a memory file system (128
    // KiB), so that it waits for a worker even when the directory is tmpfs.
    const std::string data(256 << 10, 'd');
    f.async_write(data, net::bind_cancellation_slot(signal.slot(),
                                                    [&](error_code e, std::size_t) { ec = e; }));
    signal.emit(net::cancellation_type::terminal);
    g_release = true;
    ctx_.run();
    EXPECT_EQ(ec, net::error::operation_aborted);
    struct stat st {};
    ASSERT_EQ(::fstat(f.descriptor(), &st), 0);
    EXPECT_EQ(st.st_size, 0) << "the cancelled write wrote nothing";
}
