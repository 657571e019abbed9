// tempio-compare: each workload of DESIGN section 6 through tempio and
// through the raw system calls doing the same work (the floor), in the same
// process run; prints one tab-separated line per workload. Timings are
// printed, never asserted: the exit status is 0 whatever the ratios.
//
//   tempio-compare [--quick] [--reps N] [--dir PATH] [--only PREFIX]
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
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

// What the scratch directory lives on: the mount's type from
// /proc/self/mountinfo (matched by device number, the last mount wins), and
// statfs's magic, named where known (the magic alone cannot tell ext2, ext3
// and ext4 apart).
std::string file_system_of(const std::string& dir) {
    struct statfs sfs {};
    struct stat st {};
    if (::statfs(dir.c_str(), &sfs) != 0 || ::stat(dir.c_str(), &st) != 0) return "unknown";
    auto magic = static_cast<unsigned long>(sfs.f_type);
    static const std::pair<unsigned long, const char*> known[] = {
        {0x01021994, "tmpfs"},     {0x858458f6, "ramfs"}, {0xef53, "ext2/3/4"},
        {0x58465342, "xfs"},       {0x9123683e, "btrfs"}, {0xf2f52010, "f2fs"},
        {0x794c7630, "overlayfs"}, {0x2fc12fc1, "zfs"},   {0x6969, "nfs"},
        {0x65735546, "fuse"},      {0x01021997, "9p"},
    };
    const char* by_magic = "unknown";
    for (auto [m, name] : known)
        if (m == magic) by_magic = name;
    std::string type, mount;
    std::ifstream in("/proc/self/mountinfo");
    for (std::string line; std::getline(in, line);) {
        // id parent major:minor root mount-point options [optional...] - type source ...
        std::istringstream fields(line);
        std::string id, parent, dev, root, point;
        fields >> id >> parent >> dev >> root >> point;
        unsigned maj = 0, min = 0;
        if (std::sscanf(dev.c_str(), "%u:%u", &maj, &min) != 2) continue;
        if (maj != major(st.st_dev) || min != minor(st.st_dev)) continue;
        auto dash = line.find(" - ");
        if (dash == std::string::npos) continue;
        std::istringstream tail(line.substr(dash + 3));
        tail >> type;
        mount = point;
    }
    char hex[32];
    std::snprintf(hex, sizeof hex, "0x%lx", magic);
    if (type.empty()) return std::string(by_magic) + " (statfs magic " + hex + ")";
    return type + " (statfs magic " + hex + ": " + by_magic + "), mounted at " + mount;
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
        std::printf("# file system: %s\n", file_system_of(c.root).c_str());
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
            {"readline_200k", bench::readline},
            {"gather_write_1000x64B", bench::gather_write},
            {"atomic_publish", bench::atomic_publish},
            {"group_commit", bench::group_commit},
            {"mechanism", bench::mechanism},
        };
        for (auto [name, run] : workloads) {
            if (std::strncmp(name, c.only.c_str(), c.only.size()) != 0) continue;
            std::vector<bench::row> rows;
            run(c, rows);
            // Two decimals, or two significant digits below 0.1 (0.0016, not 0.00).
            for (const auto& r : rows)
                std::printf(r.ratio < 0.1 ? "%s\t%.4g\t%.4g\t%.2g\t%s\t%s\t%s\n"
                                          : "%s\t%.4g\t%.4g\t%.2f\t%s\t%s\t%s\n",
                            r.workload.c_str(), r.tempio, r.floor, r.ratio, r.unit.c_str(),
                            r.target.c_str(), r.status.c_str());
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
