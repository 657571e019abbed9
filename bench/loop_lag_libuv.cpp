// loop-lag-libuv: tempio-compare's loop-lag workload (bench/tree.cpp,
// loop_lag) on libuv's loop with libuv's own thread pool, for comparison
// (issue 30, DESIGN section 6: "no worse than libuv's loop under the same
// churn"). Built only where libuv's development files are installed
// (apt-get install libuv1-dev).
//
//   loop-lag-libuv [DIR] [SECONDS] [TASKS]     (defaults: /tmp 2 64)
//
// A 1 ms timer records how late each tick wakes (the next is due 1 ms after
// the wake), first on an idle loop for half the time, then while TASKS
// chains each create a file (uv_fs_open O_CREAT|O_EXCL), write 1 KiB, close
// and unlink it, over and over: four pool hops per file where tempio's pool
// makes two. libuv's timers count whole milliseconds, so the idle floor is
// up to 1 ms late by itself: compare the busy figures with it.
// Prints tempio-compare's row shape: workload, busy, idle, ratio, unit.
#include <fcntl.h>
#include <uv.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

uv_loop_t* loop;
uv_timer_t timer;
std::vector<double> lags_ms;
std::uint64_t due_ns = 0, end_ns = 0;
bool stopping = false;
unsigned long churned = 0;
std::string dir;
char data[1024];

void check(ssize_t r, const char* what) {
    if (r < 0) {
        std::fprintf(stderr, "loop-lag-libuv: %s: %s\n", what, uv_strerror(static_cast<int>(r)));
        std::exit(1);
    }
}

struct chain {
    uv_fs_t req;
    uv_buf_t buf;
    uv_file fd = -1;
    int id = 0;
    unsigned long next = 0;
    char path[4096];
};

void start(chain* c);

void on_unlink(uv_fs_t* r) {
    auto* c = reinterpret_cast<chain*>(r);
    check(r->result, "unlink");
    uv_fs_req_cleanup(r);
    ++churned;
    if (!stopping) start(c);
}
void on_close(uv_fs_t* r) {
    auto* c = reinterpret_cast<chain*>(r);
    check(r->result, "close");
    uv_fs_req_cleanup(r);
    uv_fs_unlink(loop, &c->req, c->path, on_unlink);
}
void on_write(uv_fs_t* r) {
    auto* c = reinterpret_cast<chain*>(r);
    check(r->result, "write");
    uv_fs_req_cleanup(r);
    uv_fs_close(loop, &c->req, c->fd, on_close);
}
void on_open(uv_fs_t* r) {
    auto* c = reinterpret_cast<chain*>(r);
    check(r->result, "open");
    c->fd = static_cast<uv_file>(r->result);
    uv_fs_req_cleanup(r);
    c->buf = uv_buf_init(data, sizeof data);
    uv_fs_write(loop, &c->req, c->fd, &c->buf, 1, -1, on_write);
}
void start(chain* c) {
    std::snprintf(c->path, sizeof c->path, "%s/uv-%d-%lu", dir.c_str(), c->id, c->next++);
    uv_fs_open(loop, &c->req, c->path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, 0600, on_open);
}

void on_tick(uv_timer_t*) {
    std::uint64_t now = uv_hrtime();
    // Early counts as on time: libuv fires a timer by its loop's cached
    // millisecond clock, which may run ahead of uv_hrtime's.
    auto late = static_cast<std::int64_t>(now - due_ns);
    lags_ms.push_back(late > 0 ? static_cast<double>(late) / 1e6 : 0.0);
    if (now >= end_ns) {
        stopping = true;
        return;
    }
    due_ns = now + 1000000;
    uv_timer_start(&timer, on_tick, 1, 0);
}

std::vector<double> measure(double seconds, int tasks) {
    lags_ms.clear();
    stopping = false;
    std::vector<chain> chains(static_cast<std::size_t>(tasks));
    std::uint64_t now = uv_hrtime();
    end_ns = now + static_cast<std::uint64_t>(seconds * 1e9);
    due_ns = now + 1000000;
    uv_timer_start(&timer, on_tick, 1, 0);
    for (int i = 0; i < tasks; ++i) {
        chains[static_cast<std::size_t>(i)].id = i;
        start(&chains[static_cast<std::size_t>(i)]);
    }
    uv_run(loop, UV_RUN_DEFAULT);  // returns once the chains stop and the timer is done
    return lags_ms;
}

double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
    return v[std::min(i, v.size() - 1)];
}

}  // namespace

int main(int argc, char** argv) {
    std::string parent = argc > 1 ? argv[1] : "/tmp";
    double seconds = argc > 2 ? std::atof(argv[2]) : 2.0;
    int tasks = argc > 3 ? std::atoi(argv[3]) : 64;
    std::memset(data, 'x', sizeof data);
    std::string tmpl = parent + "/loop-lag-libuv-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) {
        std::perror("loop-lag-libuv: mkdtemp");
        return 1;
    }
    dir = tmpl;
    loop = uv_default_loop();
    uv_timer_init(loop, &timer);
    auto idle = measure(seconds / 2, 0);
    churned = 0;
    auto busy = measure(seconds, tasks);
    const char* pool = std::getenv("UV_THREADPOOL_SIZE");
    std::printf("# loop-lag-libuv: libuv %s, thread pool %s, dir %s\n", uv_version_string(),
                pool ? pool : "4 (default)", dir.c_str());
    std::printf(
        "# loop lag: %zu ticks under churn (%lu files created, written, deleted: %.0f/s), "
        "%zu idle\n",
        busy.size(), churned, churned / seconds, idle.size());
    std::printf("workload\tlibuv\tidle\tratio\tunit\n");
    for (auto [name, p] :
         {std::pair{"loop_lag_p50_64_tasks", 0.5}, std::pair{"loop_lag_p99_64_tasks", 0.99},
          std::pair{"loop_lag_max_64_tasks", 1.0}}) {
        double b = percentile(busy, p), i = percentile(idle, p);
        std::printf("%s\t%.4g\t%.4g\t%.2f\tms\n", name, b, i, i > 0 ? b / i : 0);
    }
    uv_close(reinterpret_cast<uv_handle_t*>(&timer), nullptr);
    uv_run(loop, UV_RUN_DEFAULT);
    uv_loop_close(loop);
    if (rmdir(dir.c_str()) != 0) {
        std::perror("loop-lag-libuv: rmdir");
        return 1;
    }
    return 0;
}
