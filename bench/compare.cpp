// tempio-compare: each workload of DESIGN section 6 through tempio and
// through the raw system calls doing the same work (the floor), in the same
// process run; prints one tab-separated line per workload. Timings are
// printed, never asserted: the exit status is 0 whatever the ratios.
//
//   tempio-compare [--quick] [--reps N] [--dir PATH] [--only PREFIX]
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include <tempio/tempio.hpp>

#include "bench.hpp"

namespace bench {

std::string fresh_path(const config& c, const char* stem) {
    static unsigned long counter = 0;
    return c.root + "/" + stem + "-" + std::to_string(++counter) + "-";
}

}  // namespace bench

namespace {

std::string cpu_model() {
    std::ifstream in("/proc/cpuinfo");
    for (std::string line; std::getline(in, line);)
        if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
    return "unknown";
}

void usage() {
    std::fprintf(stderr,
                 "usage: tempio-compare [--quick] [--reps N] [--dir PATH] [--only PREFIX]\n");
}

}  // namespace

int main(int argc, char** argv) {
    bench::config c;
    std::string parent;
    int reps = 0;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--quick") {
            c.quick = true;
        } else if (a == "--reps" && i + 1 < argc) {
            reps = std::atoi(argv[++i]);
        } else if (a == "--dir" && i + 1 < argc) {
            parent = argv[++i];
        } else if (a == "--only" && i + 1 < argc) {
            c.only = argv[++i];
        } else {
            usage();
            return 2;
        }
    }
    c.reps = reps > 0 ? reps : c.quick ? 3 : 7;
    c.budget_s = c.quick ? 4 : 60;
    try {
        // Everything happens in one scratch directory, removed at the end.
        c.root = tempio::mkdtemp({.prefix = "tempio-compare-", .dir = parent}).native();

        utsname u{};
        ::uname(&u);
        std::printf("# tempio-compare %s: backend=%s workers=%zu nproc=%u reps=%d\n",
                    c.quick ? "--quick" : "(full)", tempio::backend_name(),
                    tempio::worker_threads(), std::thread::hardware_concurrency(), c.reps);
        std::printf("# machine: %s, kernel %s %s, dir %s\n", cpu_model().c_str(), u.sysname,
                    u.release, c.root.c_str());
        std::printf("workload\ttempio\tfloor\tratio\tunit\ttarget\tstatus\n");
        std::fflush(stdout);

        using fn = void (*)(const bench::config&, std::vector<bench::row>&);
        const std::pair<const char*, fn> workloads[] = {
            {"named_create_close_delete", bench::named_sequential},
            {"named_create_close_delete_64_in_flight", bench::named_in_flight},
            {"directory_create_cleanup", bench::directory_sequential},
            {"write_64B", bench::small_writes},
            {"write_1MiB", bench::large_writes},
            {"spooled_write_64B", bench::spooled_writes},
            {"cleanup_tree", bench::tree_cleanup},
            {"loop_lag", bench::loop_lag},
        };
        for (auto [name, run] : workloads) {
            if (std::strncmp(name, c.only.c_str(), c.only.size()) != 0) continue;
            std::vector<bench::row> rows;
            run(c, rows);
            for (const auto& r : rows)
                std::printf("%s\t%.4g\t%.4g\t%.2f\t%s\t%s\t%s\n", r.workload.c_str(), r.tempio,
                            r.floor, r.ratio, r.unit.c_str(), r.target.c_str(), r.status.c_str());
            std::fflush(stdout);
        }
        std::filesystem::remove_all(c.root);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "tempio-compare: %s\n", e.what());
        if (!c.root.empty()) std::filesystem::remove_all(c.root);
        return 1;
    }
    return 0;
}
