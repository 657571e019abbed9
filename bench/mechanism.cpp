// Mechanism floors: the same work through the same mechanism tempio uses,
// written plainly, so that a distance to the system-call floor can be told
// apart: tempio's own cost, or what the mechanism costs on this machine.
//
// - named_vs_two_handoffs: a named file created, closed and deleted, against
//   a plain program making tempio's five system calls (open O_EXCL + fstat
//   for the identity; close + statx + unlink) on a worker thread, handed
//   over twice per file with a mutex and a condition variable, the caller
//   waiting each time: the worker pool's mechanism, without tempio.
// - named_64_in_flight_vs_threads: 64 files in flight against the same five
//   calls made by as many plain threads as tempio has workers, in parallel
//   in one directory (ops/s): what parallel creation in one directory
//   yields on this kernel and machine, without tempio.
// - write_64B_vs_co_await_post: 64-byte co_await async_write against a
//   coroutine that copies 64 bytes into an 8 KiB buffer, hands the full
//   buffer's write(2) to a worker as the pool does, and co_awaits one
//   net::post per write: the price of a completion that is never inline,
//   on a loop with a reactor.
// - write_64B_try_write: the synchronous buffered write beside async_write
//   (try_write, and co_await async_write only when it declines) against
//   stdio's fwrite, the DESIGN target's floor; with the default 8 KiB buffer
//   (Python's) and with `.buffering = 65536` (one hop per 64 KiB).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <tempio/tempio.hpp>

#include "bench.hpp"
#include "loop.hpp"

namespace net = tempio::net;

namespace bench {
namespace {

[[noreturn]] void fail(const char* what) {
    throw std::system_error(errno, std::generic_category(), what);
}

// One worker thread; run(f) hands f over and waits until it has run.
class handoff_worker {
  public:
    handoff_worker() : thread_([this] { loop(); }) {}
    ~handoff_worker() {
        {
            std::lock_guard lock(mutex_);
            stop_ = true;
        }
        work_.notify_one();
        thread_.join();
    }
    void run(std::function<void()> f) {
        std::unique_lock lock(mutex_);
        task_ = std::move(f);
        work_.notify_one();
        done_.wait(lock, [this] { return !task_; });
    }

  private:
    void loop() {
        std::unique_lock lock(mutex_);
        for (;;) {
            work_.wait(lock, [this] { return stop_ || task_; });
            if (stop_) return;
            lock.unlock();
            task_();
            lock.lock();
            task_ = nullptr;
            done_.notify_one();
        }
    }
    std::mutex mutex_;
    std::condition_variable work_, done_;
    std::function<void()> task_;
    bool stop_ = false;
    std::thread thread_;
};

double two_handoffs_named(const config& c, int n) {
    std::string base = fresh_path(c, "handoff");
    handoff_worker worker;
    auto t0 = clock::now();
    for (int i = 0; i < n; ++i) {
        std::string p = base + std::to_string(i);
        int fd = -1;
        struct stat st {};
        worker.run([&] {
            fd = ::open(p.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
            if (fd < 0 || ::fstat(fd, &st) != 0) fail("open");
        });
        worker.run([&] {
            ::close(fd);
            struct statx sx {};
            if (::statx(AT_FDCWD, p.c_str(), AT_SYMLINK_NOFOLLOW, STATX_INO, &sx) != 0)
                fail("statx");
            if (sx.stx_ino == st.st_ino && ::unlink(p.c_str()) != 0) fail("unlink");
        });
    }
    return seconds(clock::now() - t0) / n * 1e6;
}

// `threads` plain threads, each creating and deleting its share of n files
// with tempio's five calls, in parallel in one directory; ops/s.
double parallel_threads_named(const config& c, int n, int threads) {
    std::string base = fresh_path(c, "parallel");
    std::vector<std::thread> pool;
    auto t0 = clock::now();
    for (int t = 0; t < threads; ++t)
        pool.emplace_back([&, t] {
            for (int i = t; i < n; i += threads) {
                std::string p = base + std::to_string(i);
                int fd =
                    ::open(p.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
                struct stat st {};
                if (fd < 0 || ::fstat(fd, &st) != 0) std::abort();
                ::close(fd);
                struct statx sx {};
                if (::statx(AT_FDCWD, p.c_str(), AT_SYMLINK_NOFOLLOW, STATX_INO, &sx) != 0 ||
                    ::unlink(p.c_str()) != 0)
                    std::abort();
            }
        });
    for (auto& th : pool) th.join();
    return n / seconds(clock::now() - t0);
}

net::awaitable<double> tempio_try_writes(std::string dir, int n, std::size_t buffering) {
    std::string data(64, 'x');
    auto f =
        co_await tempio::named_temporary_file::async_create({.buffering = buffering, .dir = dir});
    auto t0 = clock::now();
    for (int i = 0; i < n; ++i)
        if (!f.try_write(data)) co_await f.async_write(data);
    co_await f.async_flush();
    double s = seconds(clock::now() - t0);
    co_await f.async_close();
    co_return 64.0 * n / s / 1e6;
}

// 64 bytes copied into an 8 KiB buffer (its write(2) handed to a worker
// when full, as tempio's pool does), then one co_await of a post.
net::awaitable<double> co_await_post_writes(std::string path, int n) {
    std::string data(64, 'x');
    std::vector<char> buffer(8192);
    std::size_t used = 0;
    handoff_worker worker;
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) fail("open");
    auto t0 = clock::now();
    for (int i = 0; i < n; ++i) {
        if (used + data.size() > buffer.size()) {
            worker.run([&] {
                if (::write(fd, buffer.data(), used) != static_cast<ssize_t>(used)) fail("write");
            });
            used = 0;
        }
        std::memcpy(buffer.data() + used, data.data(), data.size());
        used += data.size();
        co_await net::post(co_await net::this_coro::executor, net::use_awaitable);
    }
    if (::write(fd, buffer.data(), used) != static_cast<ssize_t>(used)) fail("write");
    double s = seconds(clock::now() - t0);
    ::close(fd);
    ::unlink(path.c_str());
    co_return 64.0 * n / s / 1e6;
}

row info(std::string name, double t, double f, std::string unit) {
    return {std::move(name), t, f, f > 0 ? t / f : 0, std::move(unit), "(info)", ""};
}

}  // namespace

void mechanism(const config& c, std::vector<row>& out) {
    int n = c.quick ? 1000 : 4000;
    auto [t, f] = paired(
        c, c.reps, [&] { return run_with_reactor([&] { return tempio_named(c.root, n); }); },
        [&] { return two_handoffs_named(c, n); });
    out.push_back(info("named_vs_two_handoffs", t, f, "us/op"));
    int total = c.quick ? 2048 : 8192;
    int threads = static_cast<int>(tempio::worker_threads());
    auto [tp, fp] = paired(
        c, c.reps, [&] { return tempio_named_parallel(c.root, total, 64); },
        [&] { return parallel_threads_named(c, total, threads); });
    out.push_back(info("named_64_in_flight_vs_threads", tp, fp, "ops/s"));
    int w = c.quick ? 200000 : 1000000;
    auto [tw, fw] = paired(
        c, c.reps, [&] { return run_with_reactor([&] { return tempio_writes(c.root, 64, w); }); },
        [&] {
            return run_with_reactor([&] { return co_await_post_writes(fresh_path(c, "post"), w); });
        });
    out.push_back(info("write_64B_vs_co_await_post", tw, fw, "MB/s"));
    for (std::size_t buffering : {std::size_t(8192), std::size_t(65536)}) {
        auto [ts, fs] = paired(
            c, c.reps,
            [&] {
                return run_with_reactor([&] { return tempio_try_writes(c.root, w, buffering); });
            },
            [&] { return floor_fwrite(c, 64, w); });
        out.push_back(
            at_least(buffering == 8192 ? "write_64B_try_write" : "write_64B_try_write_64KiB_buffer",
                     ts, fs, "MB/s", 0.5));
    }
}

}  // namespace bench
