// Group commit (DESIGN section 12): 100 durable 4 KiB publishes into one
// directory, as one group (async_commit_all: 100 file flushes + 1 directory
// flush) against one by one (async_commit each: 200 flushes), and against
// the same batch written with plain system calls (write + fdatasync each,
// then the renames, then one fsync of the directory). us per publish. Its
// figures mean something on a disk file system (ext4 /tmp); on tmpfs a
// flush costs nothing.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <system_error>
#include <vector>

#include <tempio/tempio.hpp>

#include "bench.hpp"
#include "loop.hpp"

namespace bench {
namespace {

constexpr int group_size = 100;
constexpr std::size_t publish_size = 4096;

[[noreturn]] void fail(const char* what) {
    throw std::system_error(errno, std::generic_category(), what);
}

std::string target_of(const std::string& dir, int i) {
    return dir + "/t" + std::to_string(i);
}

net::awaitable<double> tempio_group(std::string dir, bool grouped) {
    std::string data(publish_size, 'x');
    auto t0 = clock::now();
    std::vector<tempio::atomic_file> files;
    files.reserve(group_size);
    for (int i = 0; i < group_size; ++i) {
        auto f = co_await tempio::atomic_file::async_create(target_of(dir, i));  // durable
        co_await f.async_write(data);
        if (!grouped) {
            co_await f.async_commit();
            continue;
        }
        files.push_back(std::move(f));
    }
    if (grouped) co_await tempio::async_commit_all(files);
    co_return seconds(clock::now() - t0) / group_size * 1e6;
}

// The floor: the batch with plain calls, on the calling thread.
double plain_group(const std::string& dir) {
    std::string data(publish_size, 'x');
    auto t0 = clock::now();
    std::vector<std::string> temps;
    for (int i = 0; i < group_size; ++i) {
        std::string tmp = dir + "/.t" + std::to_string(i) + ".tmp";
        int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0) fail("open");
        for (std::size_t done = 0; done < data.size();) {
            ssize_t r = ::write(fd, data.data() + done, data.size() - done);
            if (r < 0) fail("write");
            done += static_cast<std::size_t>(r);
        }
        if (::fdatasync(fd) != 0) fail("fdatasync");
        if (::close(fd) != 0) fail("close");
        temps.push_back(std::move(tmp));
    }
    for (int i = 0; i < group_size; ++i)
        if (::rename(temps[i].c_str(), target_of(dir, i).c_str()) != 0) fail("rename");
    int d = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (d < 0 || ::fsync(d) != 0) fail("fsync(dir)");
    ::close(d);
    return seconds(clock::now() - t0) / group_size * 1e6;
}

std::string make_dir(const config& c, const char* stem) {
    std::string dir = fresh_path(c, stem);
    if (::mkdir(dir.c_str(), 0700) != 0) fail("mkdir");
    return dir;
}

}  // namespace

void group_commit(const config& c, std::vector<row>& out) {
    std::string grouped = make_dir(c, "group"), single = make_dir(c, "single"),
                plain = make_dir(c, "plain");
    reactor_loop loop;
    auto m = interleaved(c, c.reps,
                         {[&] { return loop.run(tempio_group(grouped, true)); },
                          [&] { return loop.run(tempio_group(single, false)); },
                          [&] { return plain_group(plain); }});
    out.push_back({"group_commit_100_durable_vs_one_by_one", m[0], m[1], m[1] > 0 ? m[0] / m[1] : 0,
                   "us/op", "(info)", "-"});
    out.push_back({"group_commit_100_durable_vs_plain_batch", m[0], m[2],
                   m[2] > 0 ? m[0] / m[2] : 0, "us/op", "(info)", "-"});
}

}  // namespace bench
