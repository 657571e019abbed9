// Workloads on single files and directories: creation, deletion, writes.
// The floor of each is the plain system calls (or stdio) doing the same
// work on the calling thread, with no event loop.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <system_error>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <tempio/tempio.hpp>

#include "bench.hpp"
#include "loop.hpp"

namespace net = tempio::net;

namespace bench {

constexpr int file_flags = O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;

[[noreturn]] static void fail(const char* what) {
    throw std::system_error(errno, std::generic_category(), what);
}

static int scaled(const config& c, int quick, int full) {
    return c.quick ? quick : full;
}

// ---- named file create + close + delete ----------------------------------

// ask_path: also ask each file its path() (made on first request), as most
// programs that want a named file do.
net::awaitable<double> tempio_named(std::string dir, int n, bool ask_path) {
    auto t0 = clock::now();
    for (int i = 0; i < n; ++i) {
        auto f = co_await tempio::named_temporary_file::async_create({.dir = dir});
        if (ask_path) asm volatile("" ::"g"(f.path().c_str()) : "memory");
        co_await f.async_close();
    }
    co_return seconds(clock::now() - t0) / n * 1e6;
}

// The floor: the three system calls tempio's create and close make at least.
static double floor_named(const config& c, int n) {
    std::string base = fresh_path(c, "named");
    std::vector<std::string> names;
    names.reserve(n);
    for (int i = 0; i < n; ++i) names.push_back(base + std::to_string(i));
    auto t0 = clock::now();
    for (const auto& p : names) {
        int fd = ::open(p.c_str(), file_flags, 0600);
        if (fd < 0) fail("open");
        ::close(fd);
        if (::unlink(p.c_str()) != 0) fail("unlink");
    }
    return seconds(clock::now() - t0) / n * 1e6;
}

static net::awaitable<void> churn_named(std::string dir, int n) {
    for (int i = 0; i < n; ++i) {
        auto f = co_await tempio::named_temporary_file::async_create({.dir = dir});
        co_await f.async_close();
    }
}

// 64 coroutines on one loop, each creating and deleting its share.
double tempio_named_parallel(const std::string& dir, int total, int tasks) {
    net::io_context ctx(1);
    net::steady_timer reactor(ctx);  // a reactor, as a real program has (loop.hpp)
    for (int i = 0; i < tasks; ++i)
        net::co_spawn(ctx, churn_named(dir, total / tasks), [](std::exception_ptr e) {
            if (e) std::rethrow_exception(e);
        });
    auto t0 = clock::now();
    ctx.run();
    return (total / tasks) * tasks / seconds(clock::now() - t0);
}

// ---- temporary directory create + cleanup --------------------------------

net::awaitable<double> tempio_dirs(std::string dir, int n) {
    auto t0 = clock::now();
    for (int i = 0; i < n; ++i) {
        auto d = co_await tempio::temporary_directory::async_create({.dir = dir});
        co_await d.async_cleanup();
    }
    co_return seconds(clock::now() - t0) / n * 1e6;
}

static double floor_dirs(const config& c, int n) {
    std::string base = fresh_path(c, "dir");
    std::vector<std::string> names;
    names.reserve(n);
    for (int i = 0; i < n; ++i) names.push_back(base + std::to_string(i));
    auto t0 = clock::now();
    for (const auto& p : names) {
        if (::mkdir(p.c_str(), 0700) != 0) fail("mkdir");
        if (::rmdir(p.c_str()) != 0) fail("rmdir");
    }
    return seconds(clock::now() - t0) / n * 1e6;
}

// ---- writes ----------------------------------------------------------------

// n writes of `chunk` bytes then a flush, in MB/s. Creation and close are
// outside the timed part.
net::awaitable<double> tempio_writes(std::string dir, std::size_t chunk, int n) {
    std::string data(chunk, 'x');
    auto f = co_await tempio::named_temporary_file::async_create({.dir = dir});
    auto t0 = clock::now();
    for (int i = 0; i < n; ++i) co_await f.async_write(data);
    co_await f.async_flush();
    double s = seconds(clock::now() - t0);
    co_await f.async_close();
    co_return static_cast<double>(chunk) * n / s / 1e6;
}

// Small writes: the floor is stdio's buffered fwrite (glibc's buffer is the
// file's st_blksize, 4 KiB on ext4).
double floor_fwrite(const config& c, std::size_t chunk, int n) {
    std::string data(chunk, 'x');
    std::string p = fresh_path(c, "fwrite");
    FILE* fp = std::fopen(p.c_str(), "w+x");
    if (fp == nullptr) fail("fopen");
    auto t0 = clock::now();
    for (int i = 0; i < n; ++i)
        if (std::fwrite(data.data(), 1, chunk, fp) != chunk) fail("fwrite");
    if (std::fflush(fp) != 0) fail("fflush");
    double s = seconds(clock::now() - t0);
    std::fclose(fp);
    ::unlink(p.c_str());
    return static_cast<double>(chunk) * n / s / 1e6;
}

// Large writes: the floor is write(2) straight from the caller's buffer.
static double floor_write(const config& c, std::size_t chunk, int n) {
    std::string data(chunk, 'x');
    std::string p = fresh_path(c, "write");
    int fd = ::open(p.c_str(), file_flags, 0600);
    if (fd < 0) fail("open");
    auto t0 = clock::now();
    for (int i = 0; i < n; ++i) {
        std::size_t done = 0;
        while (done < chunk) {
            ssize_t r = ::write(fd, data.data() + done, chunk - done);
            if (r < 0) fail("write");
            done += static_cast<std::size_t>(r);
        }
    }
    double s = seconds(clock::now() - t0);
    ::close(fd);
    ::unlink(p.c_str());
    return static_cast<double>(chunk) * n / s / 1e6;
}

// ---- spooled, in memory ----------------------------------------------------

static net::awaitable<double> tempio_spooled(int n) {
    std::string data(64, 'x');
    auto ex = co_await net::this_coro::executor;
    tempio::spooled_temporary_file f(ex, {});
    auto t0 = clock::now();
    for (int i = 0; i < n; ++i) co_await f.async_write(data);
    double us = seconds(clock::now() - t0) / n * 1e6;
    co_await f.async_close();
    co_return us;
}

// The floor: the memory work alone, appending to a std::string.
static double floor_spooled(int n) {
    std::string data(64, 'x');
    std::string mem;
    auto t0 = clock::now();
    for (int i = 0; i < n; ++i) {
        mem.append(data);
        asm volatile("" ::"g"(mem.data()) : "memory");  // keep the loop
    }
    return seconds(clock::now() - t0) / n * 1e6;
}

void named_sequential(const config& c, std::vector<row>& out) {
    int n = scaled(c, 1000, 4000);
    auto [t, f] = paired(
        c, c.reps, [&] { return run_with_reactor([&] { return tempio_named(c.root, n); }); },
        [&] { return floor_named(c, n); });
    out.push_back(at_most("named_create_close_delete", t, f, "us/op", 1.5));
    // The same with path() asked of each file: what the row above leaves out.
    auto [tp, fp] = paired(
        c, c.reps, [&] { return run_with_reactor([&] { return tempio_named(c.root, n, true); }); },
        [&] { return floor_named(c, n); });
    out.push_back(
        {"named_create_path_close_delete", tp, fp, fp > 0 ? tp / fp : 0, "us/op", "(info)", "-"});
}

void named_in_flight(const config& c, std::vector<row>& out) {
    int n = scaled(c, 2048, 8192);
    auto [t, f] = paired(
        c, c.reps, [&] { return tempio_named_parallel(c.root, n, 64); },
        [&] { return 1e6 / floor_named(c, n); });
    out.push_back(at_least("named_create_close_delete_64_in_flight", t, f, "ops/s", 1.0));
}

void directory_sequential(const config& c, std::vector<row>& out) {
    int n = scaled(c, 1000, 4000);
    auto [t, f] = paired(
        c, c.reps, [&] { return run_with_reactor([&] { return tempio_dirs(c.root, n); }); },
        [&] { return floor_dirs(c, n); });
    out.push_back(at_most("directory_create_cleanup", t, f, "us/op", 1.3));
}

void small_writes(const config& c, std::vector<row>& out) {
    int n = scaled(c, 200000, 1000000);
    auto [t, f] = paired(
        c, c.reps, [&] { return run_with_reactor([&] { return tempio_writes(c.root, 64, n); }); },
        [&] { return floor_fwrite(c, 64, n); });
    out.push_back(at_least("write_64B", t, f, "MB/s", 0.5));
}

void large_writes(const config& c, std::vector<row>& out) {
    int n = scaled(c, 32, 64);
    auto [t, f] = paired(
        c, c.reps,
        [&] { return run_with_reactor([&] { return tempio_writes(c.root, 1 << 20, n); }); },
        [&] { return floor_write(c, 1 << 20, n); });
    out.push_back(at_least("write_1MiB", t, f, "MB/s", 0.9));
}

void spooled_writes(const config& c, std::vector<row>& out) {
    int n = scaled(c, 200000, 1000000);
    auto [t, f] = paired(
        c, c.reps, [&] { return run_with_reactor([&] { return tempio_spooled(n); }); },
        [&] { return floor_spooled(n); });
    // The target is absolute: 0.5 us per write, whatever the floor.
    row r{"spooled_write_64B",        t, f, f > 0 ? t / f : 0, "us/op", "<= 0.5 us",
          t <= 0.5 ? "met" : "MISSED"};
    out.push_back(r);
}

}  // namespace bench
