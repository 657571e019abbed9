// Stream workloads (issue 14): line reading and gathered writes, each on a
// tempio file, against Asio's generic algorithms on the same file and the
// plain C++/POSIX floor. All on a reactor_loop (loop.hpp).
#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <tempio/tempio.hpp>

#include "bench.hpp"
#include "loop.hpp"

namespace bench {
namespace {

[[noreturn]] void fail(const char* what) {
    throw std::system_error(errno, std::generic_category(), what);
}

}  // namespace

// tally, expect, make_lines, make_file, tempio_readline, close_file and
// tempio_gather are shared with mechanism.cpp (bench.hpp).

void expect(const tally& got, const tally& want, const char* who) {
    if (got.lines != want.lines || got.bytes != want.bytes)
        throw std::runtime_error(std::string(who) + ": read " + std::to_string(got.lines) +
                                 " lines, " + std::to_string(got.bytes) + " bytes; expected " +
                                 std::to_string(want.lines) + ", " + std::to_string(want.bytes));
}

// ---- readline over an n-line file --------------------------------------------

// n lines of 40 bytes, the peers' (../shared/peers/floor.h, fl_line): line
// i is "%08d", 31 x ('a' + i % 26), '\n'.
std::string make_lines(std::size_t n) {
    std::string s;
    s.reserve(n * 40);
    char num[16];
    for (std::size_t i = 0; i < n; ++i) {
        std::snprintf(num, sizeof num, "%08zu", i % 100000000);
        s.append(num, 8);
        s.append(31, static_cast<char>('a' + i % 26));
        s.push_back('\n');
    }
    return s;
}

net::awaitable<void> make_file(std::string dir, const std::string& content,
                               std::optional<tempio::named_temporary_file>& out) {
    auto f = co_await tempio::named_temporary_file::async_create({.dir = dir});
    co_await f.async_write(content);
    co_await f.async_flush();
    out.emplace(std::move(f));
}

// tempio's own line reading, one std::string per line; lines/s.
net::awaitable<double> tempio_readline(tempio::named_temporary_file& f, tally want) {
    co_await f.async_seek(0);
    auto t0 = clock::now();
    tally got;
    for (;;) {
        std::string line = co_await f.async_readline();
        if (line.empty()) break;
        ++got.lines;
        got.bytes += line.size();
    }
    double s = seconds(clock::now() - t0);
    expect(got, want, "async_readline");
    co_return static_cast<double>(got.lines) / s;
}

namespace {

// What an Asio user writes on the same file: async_read_until with a
// dynamic_buffer over a std::string, the line copied out, then consumed.
net::awaitable<double> asio_read_until(tempio::named_temporary_file& f, tally want) {
    co_await f.async_seek(0);
    std::string buf;
    auto t0 = clock::now();
    tally got;
    for (;;) {
        auto [ec, len] = co_await net::async_read_until(f, net::dynamic_buffer(buf), '\n',
                                                        net::as_tuple(net::deferred));
        if (ec == net::error::eof) break;
        if (ec) throw std::system_error(ec, "async_read_until");
        std::string line(buf, 0, len);
        buf.erase(0, len);
        ++got.lines;
        got.bytes += line.size();
    }
    double s = seconds(clock::now() - t0);
    expect(got, want, "async_read_until");
    co_return static_cast<double>(got.lines) / s;
}

// The floor: std::getline on an ifstream of the same file (opened outside
// the timed part).
double floor_getline(const std::string& path, tally want) {
    std::ifstream in(path, std::ios::binary);
    if (!in) fail("ifstream");
    auto t0 = clock::now();
    tally got;
    for (std::string line; std::getline(in, line);) {
        ++got.lines;
        got.bytes += line.size() + 1;  // getline drops the '\n'
    }
    double s = seconds(clock::now() - t0);
    expect(got, want, "std::getline");
    return static_cast<double>(got.lines) / s;
}

// The peers' floor (floor.h, floor_readline): fopen, getline(3) to the end,
// fclose, all timed.
double floor_c_getline(const std::string& path, tally want) {
    char* line = nullptr;
    std::size_t cap = 0;
    tally got;
    auto t0 = clock::now();
    FILE* fp = std::fopen(path.c_str(), "re");
    if (fp == nullptr) fail("fopen");
    for (ssize_t len; (len = ::getline(&line, &cap, fp)) > 0;) {
        ++got.lines;
        got.bytes += static_cast<std::size_t>(len);
    }
    std::fclose(fp);
    double s = seconds(clock::now() - t0);
    std::free(line);
    expect(got, want, "getline(3)");
    return static_cast<double>(got.lines) / s;
}

}  // namespace

net::awaitable<void> close_file(tempio::named_temporary_file& f) {
    co_await f.async_close();
}

// ---- gathered writes -------------------------------------------------------

// n times net::async_write of the 1,000 buffers, then a flush; MB/s.
// Creation and close are outside the timed part.
net::awaitable<double> tempio_gather(std::string dir, const std::vector<net::const_buffer>& bufs,
                                     int n) {
    auto f = co_await tempio::named_temporary_file::async_create({.dir = dir});
    auto t0 = clock::now();
    for (int i = 0; i < n; ++i) co_await net::async_write(f, bufs, net::deferred);
    co_await f.async_flush();
    double s = seconds(clock::now() - t0);
    co_await f.async_close();
    co_return static_cast<double>(gather_count * gather_size) * n / s / 1e6;
}

namespace {

// The floor: one writev(2) of the same 1,000 buffers, n times.
double floor_writev(const config& c, const std::vector<iovec>& iov, int n) {
    const std::size_t total = gather_count * gather_size;
    std::string p = fresh_path(c, "writev");
    int fd = ::open(p.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) fail("open");
    auto t0 = clock::now();
    for (int i = 0; i < n; ++i) {
        ssize_t r = ::writev(fd, iov.data(), static_cast<int>(iov.size()));
        if (r < 0) fail("writev");
        if (static_cast<std::size_t>(r) != total) throw std::runtime_error("short writev");
    }
    double s = seconds(clock::now() - t0);
    ::close(fd);
    ::unlink(p.c_str());
    return static_cast<double>(total) * n / s / 1e6;
}

}  // namespace

void readline(const config& c, std::vector<row>& out) {
    // 200,000 lines of 40 bytes in every size, as the peers read
    // (../shared/peers: readline_200k).
    constexpr std::size_t lines = 200000;
    std::string content = make_lines(lines);
    tally want{lines, content.size()};
    reactor_loop loop;
    std::optional<tempio::named_temporary_file> file;
    loop.run(make_file(c.root, content, file));
    std::string path = file->path().native();
    auto m = interleaved(
        c, c.reps,
        {[&] { return loop.run(tempio_readline(*file, want)); },
         [&] { return loop.run(asio_read_until(*file, want)); },
         [&] { return floor_getline(path, want); }, [&] { return floor_c_getline(path, want); }});
    loop.run(close_file(*file));
    // The peers' row: against their floor (fopen + getline(3) + fclose).
    out.push_back(
        {"readline_200k", m[0], m[3], m[3] > 0 ? m[0] / m[3] : 0, "lines/s", "(info)", "-"});
    out.push_back(at_least("readline_200k_vs_read_until", m[0], m[1], "lines/s", 1.0));
    out.push_back(at_least("readline_200k_vs_getline", m[0], m[2], "lines/s", 0.5));
    out.push_back({"read_until_200k_vs_getline", m[1], m[2], m[2] > 0 ? m[1] / m[2] : 0, "lines/s",
                   "(info)", "-"});
}

void gather_write(const config& c, std::vector<row>& out) {
    int n = c.quick ? 200 : 1000;
    std::string data(gather_count * gather_size, 'x');
    std::vector<net::const_buffer> bufs;
    std::vector<iovec> iov;
    for (std::size_t i = 0; i < gather_count; ++i) {
        bufs.emplace_back(data.data() + i * gather_size, gather_size);
        iov.push_back({data.data() + i * gather_size, gather_size});
    }
    reactor_loop loop;
    auto [t, f] = paired(
        c, c.reps, [&] { return loop.run(tempio_gather(c.root, bufs, n)); },
        [&] { return floor_writev(c, iov, n); });
    out.push_back(at_least("gather_write_1000x64B", t, f, "MB/s", 0.9));
}

}  // namespace bench
