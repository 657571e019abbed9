// Mechanism floors: the same work through the same mechanism tempio uses,
// written plainly, so that a distance to the system-call floor can be told
// apart: tempio's own cost, or what the mechanism costs on this machine.
// The plain mechanism (mechanism_plain.hpp, no tempio) is a worker pool
// whose completions are posted back to the loop (async_run: one "hop"), and
// completions that resume a coroutine inside the initiation, 16 deep at most
// (at_once). Every loop has a reactor (loop.hpp). Rows, tempio first:
//
// - hop_vs_plain_hop: one empty job through tempio's pool and back
//   (async_run_blocking), against one through the plain pool (async_run).
// - named_vs_two_handoffs: named file create + close + delete, against its
//   five calls handed twice to one thread (mutex + condvar), caller blocked.
// - named_vs_plain_hops: the same, against a coroutine making the calls in
//   two async_run hops (open O_EXCL + fstat; close + statx + unlink).
// - named_vs_plain_inline: the same, against the same calls made on the
//   loop thread, each step resuming the coroutine at once (at_once): what
//   tempio's inline driver does on tmpfs when a file is alone in flight.
// - named_64_in_flight_vs_threads: 64 tasks on one loop, against the five
//   calls on as many plain threads as tempio has workers (ops/s).
// - named_64_in_flight_vs_plain_hops: the same, against 64 coroutines on one
//   loop making the two hops per file on a pool of that many workers.
// - directory_vs_plain_hops: temporary directory create + cleanup, against
//   tempio's calls (mkdirat; unlinkat AT_REMOVEDIR) in two hops.
// - directory_vs_plain_inline: the same, against those calls on the loop
//   thread, each resuming the coroutine at once.
// - write_64B_vs_plain_mechanism: 64-byte co_await async_write, against a
//   memcpy into a 64 KiB buffer and co_await at_once; a full buffer is
//   written behind by a worker (one at a time), else the write that does
//   not fit goes with the buffer as one writev in a hop; flush included.
// - at_once_64B_no_io_vs_fwrite: the ceiling of a co_await per write, no
//   file at all (memcpy into a 64 KiB buffer reused, co_await at_once),
//   against fwrite: what any coroutine-per-write API gets on this machine.
// - write_64B_try_write, _64KiB_buffer: try_write (async_write only when it
//   declines) against stdio's fwrite, the DESIGN target's floor, with an
//   8 KiB buffer (Python's) and the default 64 KiB.
// - write_1MiB_vs_plain_hop: 1 MiB writes, against one writev each in a hop.
// - readline_vs_plain_mechanism: async_readline of a 20k (full: 200k) line
//   file, against memchr + a std::string per line and at_once, the buffer
//   refilled by 64 KiB read(2)s in a hop (both on the same file).
// - gather_1000x64B_vs_plain_mechanism: net::async_write of 1,000 64-byte
//   buffers, against the same on a plain AsyncWriteStream (64 KiB buffer,
//   completions posted; when full, buffer + data as one writev in a hop).
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <tempio/tempio.hpp>

#include "bench.hpp"
#include "loop.hpp"
#include "mechanism_plain.hpp"

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

// ---- the plain mechanism (mechanism_plain.hpp) -----------------------------

constexpr int file_flags = O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;

// n named files made and removed with tempio's calls (strace): open O_EXCL
// + fstat on a worker, then close + statx + (same inode) unlink on one.
net::awaitable<void> hops_named(plain_worker_pool& pool, std::string base, int n) {
    for (int i = 0; i < n; ++i) {
        std::string p = base + std::to_string(i);
        int fd = -1;
        struct stat st {};
        co_await async_run(pool, [&] {
            fd = ::open(p.c_str(), file_flags, 0600);
            if (fd < 0 || ::fstat(fd, &st) != 0) fail("open");
        });
        co_await async_run(pool, [&] {
            if (::close(fd) != 0) fail("close");
            struct statx sx {};
            if (::statx(AT_FDCWD, p.c_str(), AT_SYMLINK_NOFOLLOW, STATX_INO, &sx) != 0)
                fail("statx");
            if (sx.stx_ino == st.st_ino && ::unlinkat(AT_FDCWD, p.c_str(), 0) != 0) fail("unlink");
        });
    }
}

net::awaitable<double> hops_named_timed(const config& c, plain_worker_pool& pool, int n) {
    std::string base = fresh_path(c, "hops");
    auto t0 = clock::now();
    co_await hops_named(pool, base, n);
    co_return seconds(clock::now() - t0) / n * 1e6;
}

// `tasks` coroutines on one loop sharing `total` files; ops/s.
double hops_named_parallel(const config& c, plain_worker_pool& pool, int total, int tasks) {
    net::io_context ctx(1);
    net::steady_timer reactor(ctx);  // a reactor, as tempio_named_parallel's loop
    std::string base = fresh_path(c, "hops64");
    for (int t = 0; t < tasks; ++t)
        net::co_spawn(ctx, hops_named(pool, base + std::to_string(t) + "-", total / tasks),
                      [](std::exception_ptr e) {
                          if (e) std::rethrow_exception(e);
                      });
    auto t0 = clock::now();
    ctx.run();
    return (total / tasks) * tasks / seconds(clock::now() - t0);
}

// hops_named's calls on the loop thread, each step resuming the coroutine at
// once (every 17th posted).
net::awaitable<double> inline_named_timed(const config& c, int n) {
    std::string base = fresh_path(c, "inline");
    auto t0 = clock::now();
    for (int i = 0; i < n; ++i) {
        std::string p = base + std::to_string(i);
        struct stat st {};
        int fd = ::open(p.c_str(), file_flags, 0600);
        if (fd < 0 || ::fstat(fd, &st) != 0) fail("open");
        co_await at_once(0);
        if (::close(fd) != 0) fail("close");
        struct statx sx {};
        if (::statx(AT_FDCWD, p.c_str(), AT_SYMLINK_NOFOLLOW, STATX_INO, &sx) != 0) fail("statx");
        if (sx.stx_ino == st.st_ino && ::unlinkat(AT_FDCWD, p.c_str(), 0) != 0) fail("unlink");
        co_await at_once(0);
    }
    co_return seconds(clock::now() - t0) / n * 1e6;
}

// hops_dirs's calls on the loop thread, each resuming the coroutine at once.
net::awaitable<double> inline_dirs(const config& c, int n) {
    std::string base = fresh_path(c, "inlinedir");
    auto t0 = clock::now();
    for (int i = 0; i < n; ++i) {
        std::string p = base + std::to_string(i);
        if (::mkdirat(AT_FDCWD, p.c_str(), 0700) != 0) fail("mkdir");
        co_await at_once(0);
        if (::unlinkat(AT_FDCWD, p.c_str(), AT_REMOVEDIR) != 0) fail("rmdir");
        co_await at_once(0);
    }
    co_return seconds(clock::now() - t0) / n * 1e6;
}

// tempio's directory calls (strace): mkdirat on a worker, then unlinkat
// AT_REMOVEDIR on one (an empty directory needs no listing).
net::awaitable<double> hops_dirs(const config& c, plain_worker_pool& pool, int n) {
    std::string base = fresh_path(c, "hopsdir");
    auto t0 = clock::now();
    for (int i = 0; i < n; ++i) {
        std::string p = base + std::to_string(i);
        co_await async_run(pool, [&] {
            if (::mkdirat(AT_FDCWD, p.c_str(), 0700) != 0) fail("mkdir");
        });
        co_await async_run(pool, [&] {
            if (::unlinkat(AT_FDCWD, p.c_str(), AT_REMOVEDIR) != 0) fail("rmdir");
        });
    }
    co_return seconds(clock::now() - t0) / n * 1e6;
}

// n co_awaits of at_once, each after a 64-byte memcpy into a 64 KiB buffer
// that starts over when full: no I/O. MB/s.
net::awaitable<double> at_once_no_io(int n) {
    std::string data(64, 'x');
    std::vector<char> buf(65536);
    std::size_t used = 0;
    auto t0 = clock::now();
    for (int i = 0; i < n; ++i) {
        if (used + data.size() > buf.size()) used = 0;
        std::memcpy(buf.data() + used, data.data(), data.size());
        used += data.size();
        co_await at_once(data.size());
    }
    double s = seconds(clock::now() - t0);
    asm volatile("" ::"g"(buf.data()) : "memory");
    co_return 64.0 * n / s / 1e6;
}

// n empty hops, one after the other: tempio's pool or the plain one. us/hop.
net::awaitable<double> tempio_hops(int n) {
    auto t0 = clock::now();
    for (int i = 0; i < n; ++i) co_await tempio::async_run_blocking([] { return 0; });
    co_return seconds(clock::now() - t0) / n * 1e6;
}
net::awaitable<double> plain_hops(plain_worker_pool& pool, int n) {
    auto t0 = clock::now();
    for (int i = 0; i < n; ++i) co_await async_run(pool, [] {});
    co_return seconds(clock::now() - t0) / n * 1e6;
}

// n writes of 64 bytes as tempio makes them: copied into the 64 KiB buffer
// and completed at once, the full buffer handed to a worker when none is
// being written, or else written with the buffer in one writev on a
// worker; then the flush, on a worker. MB/s.
net::awaitable<double> plain_small_writes(const config& c, plain_worker_pool& pool, int n) {
    std::string data(64, 'x');
    scratch_file f(fresh_path(c, "atonce"));
    write_buffer buf(f.fd);
    auto t0 = clock::now();
    for (int i = 0; i < n; ++i) {
        if (buf.fits(data.size()) || buf.hand_over(pool)) {
            buf.append(data.data(), data.size());
            co_await at_once(data.size());
        } else {
            iovec iov{data.data(), data.size()};
            co_await async_run(pool, [&] { buf.write_with(&iov, 1); });
        }
    }
    if (!buf.empty()) co_await async_run(pool, [&] { buf.flush(); });
    double s = seconds(clock::now() - t0);
    f.expect_size(data.size() * n);
    co_return 64.0 * n / s / 1e6;
}

// n writes of `chunk` bytes, each one writev(2) on a worker (as tempio's
// unbuffered write: strace shows one iovec). MB/s.
net::awaitable<double> plain_large_writes(const config& c, plain_worker_pool& pool,
                                          std::size_t chunk, int n) {
    std::string data(chunk, 'x');
    scratch_file f(fresh_path(c, "hop"));
    auto t0 = clock::now();
    for (int i = 0; i < n; ++i)
        co_await async_run(pool, [&] {
            iovec iov{data.data(), chunk};
            write_all(f.fd, &iov, 1);
        });
    double s = seconds(clock::now() - t0);
    f.expect_size(chunk * n);
    co_return static_cast<double>(chunk) * n / s / 1e6;
}

// Lines as tempio reads them: one buffered is copied out and completes at
// once; else the line is read (64 KiB read(2)s) on a worker. lines/s.
net::awaitable<double> plain_readline(plain_worker_pool& pool, line_reader& r, tally want) {
    r.rewind();
    auto t0 = clock::now();
    tally got;
    for (;;) {
        std::string line;
        if (const char* nl = r.find())
            line = co_await at_once(r.take(nl));
        else
            co_await async_run(pool, [&] { line = r.read_line(); });
        if (line.empty()) break;
        ++got.lines;
        got.bytes += line.size();
    }
    double s = seconds(clock::now() - t0);
    expect(got, want, "plain readline");
    co_return static_cast<double>(got.lines) / s;
}

// tempio_gather's net::async_write through plain_stream, then the flush on a
// worker. MB/s.
net::awaitable<double> plain_gather(const config& c, plain_worker_pool& pool,
                                    const std::vector<net::const_buffer>& bufs, int n) {
    const std::size_t total = gather_count * gather_size;
    scratch_file f(fresh_path(c, "gather"));
    plain_stream stream(co_await net::this_coro::executor, pool, f.fd);
    auto t0 = clock::now();
    for (int i = 0; i < n; ++i)
        if (co_await net::async_write(stream, bufs, net::deferred) != total)
            throw std::runtime_error("plain_stream: short async_write");
    if (!stream.buffer().empty()) co_await async_run(pool, [&] { stream.buffer().flush(); });
    double s = seconds(clock::now() - t0);
    f.expect_size(total * n);
    co_return static_cast<double>(total) * n / s / 1e6;
}

row info(std::string name, double t, double f, std::string unit) {
    return {std::move(name), t, f, f > 0 ? t / f : 0, std::move(unit), "(info)", ""};
}

}  // namespace

void mechanism(const config& c, std::vector<row>& out) {
    plain_worker_pool pool(tempio::worker_threads());
    auto add = [&](const char* name, const char* unit, const std::function<double()>& tempio_side,
                   const std::function<double()>& plain_side) {
        auto [t, f] = paired(c, c.reps, tempio_side, plain_side);
        out.push_back(info(name, t, f, unit));
    };
    // Named files: tempio's one measurement against both floors.
    int n = c.quick ? 1000 : 4000;
    add(
        "hop_vs_plain_hop", "us/op",
        [&] { return run_with_reactor([&] { return tempio_hops(n); }); },
        [&] { return run_with_reactor([&] { return plain_hops(pool, n); }); });
    auto named =
        interleaved(c, c.reps,
                    {[&] { return run_with_reactor([&] { return tempio_named(c.root, n); }); },
                     [&] { return two_handoffs_named(c, n); },
                     [&] { return run_with_reactor([&] { return hops_named_timed(c, pool, n); }); },
                     [&] { return run_with_reactor([&] { return inline_named_timed(c, n); }); }});
    out.push_back(info("named_vs_two_handoffs", named[0], named[1], "us/op"));
    out.push_back(info("named_vs_plain_hops", named[0], named[2], "us/op"));
    out.push_back(info("named_vs_plain_inline", named[0], named[3], "us/op"));
    int total = c.quick ? 2048 : 8192;
    int threads = static_cast<int>(tempio::worker_threads());
    auto parallel = interleaved(c, c.reps,
                                {[&] { return tempio_named_parallel(c.root, total, 64); },
                                 [&] { return parallel_threads_named(c, total, threads); },
                                 [&] { return hops_named_parallel(c, pool, total, 64); }});
    out.push_back(info("named_64_in_flight_vs_threads", parallel[0], parallel[1], "ops/s"));
    out.push_back(info("named_64_in_flight_vs_plain_hops", parallel[0], parallel[2], "ops/s"));
    add(
        "directory_vs_plain_hops", "us/op",
        [&] { return run_with_reactor([&] { return tempio_dirs(c.root, n); }); },
        [&] { return run_with_reactor([&] { return hops_dirs(c, pool, n); }); });
    add(
        "directory_vs_plain_inline", "us/op",
        [&] { return run_with_reactor([&] { return tempio_dirs(c.root, n); }); },
        [&] { return run_with_reactor([&] { return inline_dirs(c, n); }); });
    int w = c.quick ? 200000 : 1000000;
    add(
        "write_64B_vs_plain_mechanism", "MB/s",
        [&] { return run_with_reactor([&] { return tempio_writes(c.root, 64, w); }); },
        [&] { return run_with_reactor([&] { return plain_small_writes(c, pool, w); }); });
    {
        auto [ts, fs] = paired(
            c, c.reps, [&] { return run_with_reactor([&] { return at_once_no_io(w); }); },
            [&] { return floor_fwrite(c, 64, w); });
        out.push_back(info("at_once_64B_no_io_vs_fwrite", ts, fs, "MB/s"));
    }
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
    int big = c.quick ? 32 : 64;
    add(
        "write_1MiB_vs_plain_hop", "MB/s",
        [&] { return run_with_reactor([&] { return tempio_writes(c.root, 1 << 20, big); }); },
        [&] {
            return run_with_reactor([&] { return plain_large_writes(c, pool, 1 << 20, big); });
        });
    // Lines: both sides read the same file, made by tempio.
    std::size_t lines = c.quick ? 20000 : 200000;
    std::string content = make_lines(lines);
    tally want{lines, content.size()};
    reactor_loop loop;
    std::optional<tempio::named_temporary_file> file;
    loop.run(make_file(c.root, content, file));
    int fd = ::open(file->path().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail("open");
    line_reader reader(fd);
    add(
        "readline_vs_plain_mechanism", "lines/s",
        [&] { return loop.run(tempio_readline(*file, want)); },
        [&] { return loop.run(plain_readline(pool, reader, want)); });
    loop.run(close_file(*file));
    int g = c.quick ? 200 : 1000;
    std::string data(gather_count * gather_size, 'x');
    std::vector<net::const_buffer> bufs;
    for (std::size_t i = 0; i < gather_count; ++i)
        bufs.emplace_back(data.data() + i * gather_size, gather_size);
    add(
        "gather_1000x64B_vs_plain_mechanism", "MB/s",
        [&] { return loop.run(tempio_gather(c.root, bufs, g)); },
        [&] { return loop.run(plain_gather(c, pool, bufs, g)); });
}

}  // namespace bench
