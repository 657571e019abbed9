// The error latch (docs/publishing.md, "After a failed write"): once a write,
// flush, sync or truncate of a file has failed, the file may hold only part
// of what was written, so no publish of it ever succeeds: async_persist,
// async_persist_noclobber and async_commit fail with that first error and
// change nothing, even after later writes succeed, until the object is
// closed or abandoned. One test per publishing class: named, anonymous
// (linkable), spooled (rolled over) and atomic_file.
//
// Real failures: a file that may not grow past 1 MiB (RLIMIT_FSIZE in a
// forked child, write(2) says EFBIG), on whichever backend runs; and, for
// the syncs, the seam (src/core/sys.hpp) making fsync fail with EIO.
#include <sys/stat.h>

#include <string>

#include <boost/asio/as_tuple.hpp>

#include "core/os_error.hpp"
#include "core/sys.hpp"
#include "support/files.hpp"
#include "support/size_limit.hpp"
#include "support/test_dir.hpp"
#include "tempio/tempio.hpp"

namespace fs = std::filesystem;
namespace net = tempio::net;
using tempio::error_code;
using tempio::test::entries;
using tempio::test::slurp;
using tempio::test::spit;

namespace {

constexpr auto tuple = net::as_tuple(net::deferred);
constexpr std::size_t limit = std::size_t(1) << 20;
const error_code efbig = tempio::detail::os_error(EFBIG);
const error_code eio = tempio::detail::os_error(EIO);

class error_latch : public tempio::test::test_dir {
  protected:
    void SetUp() override {
        test_dir::SetUp();
        target_ = dir_ / "target";
        spit(target_, "old");
    }
    void run_limited(std::function<net::awaitable<void>()> test) {
        int status =
            tempio::test::with_file_size_limit(limit, [&] { tempio::run(std::move(test)); });
        if (status == 77) GTEST_SKIP() << "cannot lower RLIMIT_FSIZE";
        EXPECT_EQ(status, 0);
    }
    // The target as it was, and nothing else left in the directory.
    void expect_untouched() {
        EXPECT_EQ(slurp(target_), "old") << "published after a failed write";
        EXPECT_EQ(entries(dir_), std::vector<std::string>{"target"}) << "a stray name";
    }
    // Fails a write for good (EFBIG), then makes the file whole and small
    // again: the latch must hold all the same.
    template <class File>
    static net::awaitable<void> fail_a_write_then_recover(File& f, const std::string& big) {
        auto [ec, n] = co_await f.async_write(big, tuple);
        EXPECT_EQ(ec, efbig) << ec.message();
        EXPECT_LT(n, big.size());
        co_await f.async_truncate(0);
        co_await f.async_seek(0);
        co_await f.async_write("new");
        co_await f.async_flush();
    }
    template <class File>
    net::awaitable<void> expect_every_publish_refused(File& f) {
        auto [persisted] = co_await f.async_persist(target_, tuple);
        EXPECT_EQ(persisted, efbig) << persisted.message();
        auto [noclobber] = co_await f.async_persist_noclobber(dir_ / "absent", tuple);
        EXPECT_EQ(noclobber, efbig) << noclobber.message();
        auto [again] = co_await f.async_persist(target_, tuple);
        EXPECT_EQ(again, efbig) << "the latch holds: " << again.message();
    }
    fs::path target_;
    const std::string big = std::string(3 * limit, 'x');
};

}  // namespace

TEST_F(error_latch, a_named_file_never_publishes_after_a_failed_write) {
    run_limited([&]() -> net::awaitable<void> {
        auto f = co_await tempio::named_temporary_file::async_create({.dir = dir_});
        co_await fail_a_write_then_recover(f, big);
        co_await expect_every_publish_refused(f);
        co_await f.async_close();  // still its own: deleted
    });
    if (IsSkipped()) return;  // run_limited could not lower the limit
    expect_untouched();
}

TEST_F(error_latch, an_anonymous_file_never_publishes_after_a_failed_write) {
    run_limited([&]() -> net::awaitable<void> {
        auto f = co_await tempio::temporary_file::async_create(
            {.buffering = 0, .dir = dir_, .linkable = true});
        co_await fail_a_write_then_recover(f, big);
        co_await expect_every_publish_refused(f);
    });
    if (IsSkipped()) return;  // run_limited could not lower the limit
    expect_untouched();
}

TEST_F(error_latch, a_spooled_file_never_publishes_after_a_failed_write_on_disk) {
    run_limited([&]() -> net::awaitable<void> {
        auto f =
            co_await tempio::spooled_temporary_file::async_create({.max_size = 16, .dir = dir_});
        co_await f.async_write("past max_size: rolled over");
        EXPECT_TRUE(f.rolled());
        co_await fail_a_write_then_recover(f, big);
        co_await expect_every_publish_refused(f);
    });
    if (IsSkipped()) return;  // run_limited could not lower the limit
    expect_untouched();
}

TEST_F(error_latch, a_spooled_file_in_memory_is_not_latched_by_a_rollover_that_failed) {
    // The rollover failed, the data stayed whole in memory: nothing was
    // lost, and the publish (a new file in the target's directory) works.
    run_limited([&]() -> net::awaitable<void> {
        auto f = co_await tempio::spooled_temporary_file::async_create({.dir = dir_});
        co_await f.async_write(std::string_view(big).substr(0, 2 * limit));
        auto [rolled] = co_await f.async_rollover(tuple);
        EXPECT_EQ(rolled, efbig) << rolled.message();
        EXPECT_FALSE(f.rolled());
        co_await f.async_truncate(3);
        auto [ec] = co_await f.async_persist(target_, tuple);
        EXPECT_FALSE(ec) << ec.message();
    });
    if (IsSkipped()) return;  // run_limited could not lower the limit
    EXPECT_EQ(slurp(target_), "xxx");
}

TEST_F(error_latch, an_atomic_file_never_commits_after_a_failed_write) {
    // The audit's case: a write larger than the buffer fails part of the
    // way; the commit used to publish the truncated file.
    run_limited([&]() -> net::awaitable<void> {
        auto f = co_await tempio::atomic_file::async_create(target_);
        auto [ec, n] = co_await f.async_write(big, tuple);
        EXPECT_EQ(ec, efbig) << ec.message();
        auto [committed] = co_await f.async_commit(tuple);
        EXPECT_EQ(committed, efbig) << committed.message();
        EXPECT_TRUE(f.is_open()) << "refused: still the caller's to abandon";
        co_await f.async_truncate(0);
        co_await f.async_seek(0);
        co_await f.async_write("new");
        auto [again] = co_await f.async_commit(tuple);
        EXPECT_EQ(again, efbig) << "the latch holds until the abandon";
        co_await f.async_abandon();
        auto [after] = co_await f.async_commit(tuple);
        EXPECT_EQ(after, net::error::bad_descriptor);
    });
    if (IsSkipped()) return;  // run_limited could not lower the limit
    expect_untouched();
}

TEST_F(error_latch, an_atomic_file_never_commits_after_a_failed_flush) {
    run_limited([&]() -> net::awaitable<void> {
        auto f = co_await tempio::atomic_file::async_create(target_, {.buffering = 65536});
        // Straight to the file up to 100 bytes short of the limit, then
        // 1000 buffered bytes that will not fit.
        co_await f.async_write(std::string_view(big).substr(0, limit - 100));
        co_await f.async_write(std::string(1000, 'b'));
        auto [flushed] = co_await f.async_flush(tuple);
        EXPECT_EQ(flushed, efbig) << flushed.message();
        auto [committed] = co_await f.async_commit(tuple);
        EXPECT_EQ(committed, efbig) << committed.message();
    });
    if (IsSkipped()) return;  // run_limited could not lower the limit
    expect_untouched();
}

TEST_F(error_latch, an_atomic_file_never_commits_after_a_failed_sync) {
    // A failed fsync may have dropped the written pages (Linux marks them
    // clean and reports the error once): the data is not known to be there.
    tempio::run([&]() -> net::awaitable<void> {
        auto f = co_await tempio::atomic_file::async_create(target_);
        co_await f.async_write("new");
        co_await f.async_flush();
        tempio::detail::sys::arm_fault(1, EIO);  // the fsync
        auto [synced] = co_await f.async_sync(tuple);
        tempio::detail::sys::disarm_fault();
        EXPECT_EQ(synced, eio) << synced.message();
        auto [committed] = co_await f.async_commit(tuple);
        EXPECT_EQ(committed, eio) << committed.message();
        co_await f.async_abandon();
    });
    expect_untouched();
}

TEST_F(error_latch, async_write_file_atomically_never_publishes_part_of_its_data) {
    run_limited([&]() -> net::awaitable<void> {
        auto [ec] = co_await tempio::async_write_file_atomically(target_, big, tuple);
        EXPECT_EQ(ec, efbig) << ec.message();
    });
    if (IsSkipped()) return;  // run_limited could not lower the limit
    expect_untouched();
}

TEST_F(error_latch, a_refused_operation_does_not_latch) {
    // Refusals that reach no file (a read-only mode, a size past off_t) are
    // not failures of the data: publishing still works.
    tempio::run([&]() -> net::awaitable<void> {
        auto f = co_await tempio::named_temporary_file::async_create({.dir = dir_});
        co_await f.async_write("new");
        auto [tec, size] = co_await f.async_truncate(std::uint64_t(1) << 63, tuple);
        EXPECT_EQ(tec, net::error::invalid_argument) << tec.message();
        auto [ec] = co_await f.async_persist(target_, tuple);
        EXPECT_FALSE(ec) << ec.message();
    });
    EXPECT_EQ(slurp(target_), "new");
}
