// libFuzzer target: the tree remover on generated trees. The input is a
// little program that builds a tree (random nesting, files, modes 000-777 on
// files and directories, symlinks pointing out of the tree, into it, to
// itself and dangling, FIFOs), then remove_tree runs on it. It must remove
// everything and touch nothing outside: an outside canary directory (files,
// a subdirectory, their modes, contents, inode numbers) is checksummed
// before and after. Any difference, leftover or crash aborts.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/remove_tree.hpp"

namespace fs = std::filesystem;

namespace {

const fs::path& base() {
    static const fs::path b = [] {
        fs::path p = fs::temp_directory_path() / ("tempio-fuzz-" + std::to_string(::getpid()));
        fs::remove_all(p);
        fs::create_directories(p / "outside" / "subdir");
        std::ofstream(p / "outside" / "file") << "canary";
        std::ofstream(p / "outside" / "subdir" / "deep") << "deep canary";
        ::chmod((p / "outside" / "file").c_str(), 0640);
        ::chmod((p / "outside" / "subdir").c_str(), 0750);
        std::atexit([] { fs::remove_all(base()); });
        return p;
    }();
    return b;
}

// Everything observable about the outside tree.
std::string checksum(const fs::path& root) {
    std::string sum;
    struct stat st {};
    ::lstat(root.c_str(), &st);
    sum += std::to_string(st.st_mode) + ":" + std::to_string(st.st_ino) + ";";
    for (auto& e : fs::recursive_directory_iterator(root)) {
        ::lstat(e.path().c_str(), &st);
        sum += e.path().string() + ":" + std::to_string(st.st_mode) + ":" +
               std::to_string(st.st_ino) + ":" + std::to_string(st.st_size) + ":" +
               std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
        if (S_ISREG(st.st_mode)) {
            std::ifstream in(e.path());
            sum += ":" + std::string(std::istreambuf_iterator<char>(in), {});
        }
        sum += ";";
    }
    return sum;
}

void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "remove_tree_fuzz: %s\n", what);
        std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const fs::path outside = base() / "outside";
    static const std::string before = checksum(outside);
    const fs::path root = base() / "root";
    fs::create_directory(root);

    // Build: directories known so far, current one chosen by the input.
    std::vector<fs::path> dirs{root};
    std::vector<std::pair<fs::path, mode_t>> modes;  // applied last (children first)
    std::size_t i = 0;
    auto next = [&]() -> unsigned { return i < size ? data[i++] : 0; };
    for (int n = 0; i < size && n < 64; ++n) {
        unsigned op = next();
        const fs::path& at = dirs[next() % dirs.size()];
        fs::path p = at / ("e" + std::to_string(n));
        switch (op % 8) {
            case 0:
            case 1:
                if (dirs.size() < 40 && ::mkdir(p.c_str(), 0700) == 0) dirs.push_back(p);
                break;
            case 2:
                std::ofstream(p) << std::string(next(), 'x');
                break;
            case 3:  // out of the tree
                ::symlink((next() & 1 ? outside : outside / "file").c_str(), p.c_str());
                break;
            case 4: {  // into the tree, relative or absolute, or to itself
                unsigned k = next();
                fs::path target = k % 3 == 0   ? fs::path("..")
                                  : k % 3 == 1 ? dirs[k % dirs.size()]
                                               : p;
                ::symlink(target.c_str(), p.c_str());
                break;
            }
            case 5:
                ::symlink("../../outside/subdir", p.c_str());
                break;
            case 6:
                ::mkfifo(p.c_str(), 0600);
                break;
            case 7: {  // a mode for a directory (applied after building) or a file
                unsigned m = (next() << 8 | next()) & 0777;
                const fs::path& d = dirs[next() % dirs.size()];
                if (d != root) modes.emplace_back(d, m);
                break;
            }
        }
    }
    for (auto it = modes.rbegin(); it != modes.rend(); ++it) ::chmod(it->first.c_str(), it->second);

    auto result = tempio::detail::remove_tree(root.string());
    // As root every tree is removable; unprivileged, unsearchable
    // directories are repaired through held descriptors: also removable.
    check(!result.ec, "remove_tree reported an error");
    check(!fs::exists(fs::symlink_status(root)), "the tree is still there");
    check(checksum(outside) == before, "something outside the tree changed");
    return 0;
}
