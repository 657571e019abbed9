// Workloads on whole trees and on the event loop: cleanup of a 10,000-file
// tree against `rm -rf`, and timer lag while many tasks churn temp files.
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <optional>
#include <string>
#include <system_error>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <tempio/tempio.hpp>

#include "bench.hpp"
#include "loop.hpp"
#include "mechanism_plain.hpp"

extern char** environ;

namespace net = tempio::net;

namespace bench {
namespace {

[[noreturn]] void fail(const char* what) {
    throw std::system_error(errno, std::generic_category(), what);
}

// 100 x 100 = 10,000 files; --quick uses 100 x 20 (building the tree is the
// slow part).
constexpr int tree_dirs = 100;
int tree_files = 100;

// 100 directories of 100 empty files each, under `root` (which exists).
void populate(const std::string& root) {
    int top = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (top < 0) fail("open tree root");
    char name[32];
    for (int d = 0; d < tree_dirs; ++d) {
        std::snprintf(name, sizeof name, "d%03d", d);
        if (::mkdirat(top, name, 0700) != 0) fail("mkdirat");
        int dfd = ::openat(top, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0) fail("openat dir");
        for (int f = 0; f < tree_files; ++f) {
            std::snprintf(name, sizeof name, "f%03d", f);
            int fd = ::openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
            if (fd < 0) fail("openat file");
            ::close(fd);
        }
        ::close(dfd);
    }
    ::close(top);
}

net::awaitable<double> tempio_tree(std::string dir) {
    auto d = co_await tempio::temporary_directory::async_create({.dir = dir});
    populate(d.path().native());
    auto t0 = clock::now();
    co_await d.async_cleanup();
    co_return seconds(clock::now() - t0) * 1e3;
}

// The floor: fork/exec of `rm -rf`, as a user would run it.
double floor_rm(const config& c) {
    std::string p = fresh_path(c, "tree");
    if (::mkdir(p.c_str(), 0700) != 0) fail("mkdir");
    populate(p);
    char arg0[] = "rm", arg1[] = "-rf";
    char* argv[] = {arg0, arg1, p.data(), nullptr};
    auto t0 = clock::now();
    pid_t pid;
    if (int e = ::posix_spawnp(&pid, "rm", nullptr, nullptr, argv, environ); e != 0) {
        errno = e;
        fail("posix_spawnp rm");
    }
    int status = 0;
    if (::waitpid(pid, &status, 0) < 0) fail("waitpid");
    double ms = seconds(clock::now() - t0) * 1e3;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || ::access(p.c_str(), F_OK) == 0)
        throw std::runtime_error("rm -rf failed");
    return ms;
}

// Informative: libstdc++'s remove_all, the baseline DESIGN section 3 names.
double remove_all_tree(const config& c) {
    std::string p = fresh_path(c, "tree");
    if (::mkdir(p.c_str(), 0700) != 0) fail("mkdir");
    populate(p);
    auto t0 = clock::now();
    std::filesystem::remove_all(p);
    return seconds(clock::now() - t0) * 1e3;
}

// ---- event-loop lag ----------------------------------------------------------

struct lag_result {
    std::vector<double> lags_us;
    unsigned long churned = 0;
};

// A 1 ms periodic timer; each tick records how late it woke. The next tick
// is due 1 ms after this wake, so one stall is counted once.
net::awaitable<void> ticker(double run_s, std::vector<double>& lags, bool& stop) {
    net::steady_timer timer(co_await net::this_coro::executor);
    auto end = clock::now() +
               std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(run_s));
    auto due = clock::now() + std::chrono::milliseconds(1);
    while (clock::now() < end) {
        timer.expires_at(due);
        co_await timer.async_wait(net::deferred);
        auto now = clock::now();
        lags.push_back(std::chrono::duration<double, std::micro>(now - due).count());
        due = now + std::chrono::milliseconds(1);
    }
    stop = true;
}

// Each file gets `writes` writes of `size` bytes.
net::awaitable<void> churner(std::string dir, const bool& stop, unsigned long& done,
                             std::size_t size, int writes) {
    std::string data(size, 'x');
    while (!stop) {
        auto f = co_await tempio::named_temporary_file::async_create({.dir = dir});
        for (int i = 0; i < writes; ++i) co_await f.async_write(data);
        co_await f.async_close();
        ++done;
    }
}

// The same churn written plainly (mechanism_plain.hpp): a thread pool as
// tempio's (2 workers, nice +5) and Asio posts, two hops per file as
// tempio's pool makes: open(O_CREAT|O_EXCL) of a fresh name, then write
// 1 KiB, close and unlink.
net::awaitable<void> plain_churner(plain_worker_pool& pool, std::string dir, int id,
                                   const bool& stop, unsigned long& done) {
    std::string data(1024, 'x');
    for (unsigned long i = 0; !stop; ++i) {
        std::string path = dir + "/plain-" + std::to_string(id) + "-" + std::to_string(i);
        int fd = -1;
        co_await async_run(pool, [&] {
            fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
            if (fd < 0) throw_errno("open");
        });
        co_await async_run(pool, [&] {
            iovec iov{data.data(), data.size()};
            write_all(fd, &iov, 1);
            ::close(fd);
            if (::unlink(path.c_str()) != 0) throw_errno("unlink");
        });
        ++done;
    }
}

enum class churn_by { tempio, plain_pool };

lag_result measure_lag(const std::string& dir, double run_s, int tasks, std::size_t size = 1024,
                       int writes = 1, churn_by by = churn_by::tempio) {
    lag_result r;
    bool stop = false;
    net::io_context ctx(1);
    auto rethrow = [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
    };
    std::optional<plain_worker_pool> pool;
    if (by == churn_by::plain_pool) pool.emplace(tempio::worker_threads());
    net::co_spawn(ctx, ticker(run_s, r.lags_us, stop), rethrow);
    for (int i = 0; i < tasks; ++i) {
        if (by == churn_by::tempio)
            net::co_spawn(ctx, churner(dir, stop, r.churned, size, writes), rethrow);
        else
            net::co_spawn(ctx, plain_churner(*pool, dir, i, stop, r.churned), rethrow);
    }
    ctx.run();
    return r;
}

double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    std::size_t i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
    return v[std::min(i, v.size() - 1)];
}

}  // namespace

void tree_cleanup(const config& c, std::vector<row>& out) {
    int reps = c.quick ? 3 : 5;
    tree_files = c.quick ? 20 : 100;
    std::string name = c.quick ? "cleanup_2k_tree" : "cleanup_10k_tree";
    auto [t, f] = paired(
        c, reps, [&] { return run_with_reactor([&] { return tempio_tree(c.root); }); },
        [&] { return floor_rm(c); });
    out.push_back(at_most(name + "_vs_rm_rf", t, f, "ms", 1.0));
    if (!c.quick) {
        std::vector<double> ra;
        for (int i = 0; i < reps; ++i) ra.push_back(remove_all_tree(c));
        double r = median(ra);
        out.push_back(
            {"cleanup_10k_tree_vs_remove_all", t, r, r > 0 ? t / r : 0, "ms", "(info)", "-"});
    }
}

void loop_lag(const config& c, std::vector<row>& out) {
    double run_s = c.quick ? 2.0 : 6.0;
    // Floor: the same timer on an idle loop (the OS's and Asio's own jitter).
    auto idle = measure_lag(c.root, run_s / 2, 0);
    auto busy = measure_lag(c.root, run_s, 64);
    auto add = [&](const char* name, double p, const char* target, bool check) {
        double t = percentile(busy.lags_us, p) / 1e3, f = percentile(idle.lags_us, p) / 1e3;
        row r{name, t, f, f > 0 ? t / f : 0, "ms", target, "-"};
        if (check) r.status = t < 1.0 ? "met" : "MISSED";
        out.push_back(r);
    };
    add("loop_lag_p50_64_tasks", 0.50, "(info)", false);
    add("loop_lag_p99_64_tasks", 0.99, "< 1 ms", true);
    add("loop_lag_max_64_tasks", 1.00, "(info)", false);
    std::printf(
        "# loop lag: %zu ticks under churn (%lu files created, written, deleted: %.0f/s), "
        "%zu idle\n",
        busy.lags_us.size(), busy.churned, busy.churned / run_s, idle.lags_us.size());
    // The same with two 60 KiB writes per file: the second one flushes the
    // buffer, which is where running bounded writes at once on tmpfs
    // (TEMPIO_INLINE=writes) costs the loop its lag.
    auto heavy = measure_lag(c.root, run_s, 64, 60 << 10, 2);
    double t = percentile(heavy.lags_us, 0.99) / 1e3, f = percentile(idle.lags_us, 0.99) / 1e3;
    out.push_back({"loop_lag_p99_64_tasks_2x60KiB", t, f, f > 0 ? t / f : 0, "ms", "(info)", "-"});
    // The mechanism: the same churn through a plain thread pool and Asio
    // posts (as many workers as tempio's), its p99 beside tempio's.
    auto plain = measure_lag(c.root, run_s, 64, 1024, 1, churn_by::plain_pool);
    double p = percentile(plain.lags_us, 0.99) / 1e3, b = percentile(busy.lags_us, 0.99) / 1e3;
    out.push_back(
        {"loop_lag_p99_64_tasks_vs_plain_pool", b, p, p > 0 ? b / p : 0, "ms", "(info)", "-"});
    std::printf(
        "# loop lag, plain pool: p50 %.3f ms, p99 %.3f ms, max %.3f ms; %lu files (%.0f/s)\n",
        percentile(plain.lags_us, 0.5) / 1e3, p, percentile(plain.lags_us, 1.0) / 1e3,
        plain.churned, plain.churned / run_s);
}

}  // namespace bench
