#include "support/test_dir.hpp"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>

#include "tempio/mkstemp.hpp"

namespace tempio::test {

std::set<std::string> all_open_fds() {
    std::set<std::string> fds;
    for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd"))
        fds.insert(e.path().filename().string());
    return fds;
}

std::set<std::string> open_fds() {
    std::set<std::string> fds;
    for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) {
        // Pipes are left out: tempio never makes one, but UBSan's vptr check
        // opens and closes a pipe to probe memory (IsAccessibleMemoryRange),
        // on whichever thread checks, so under sanitizers a snapshot taken
        // while another thread works could see one come and go.
        std::error_code ec;
        auto target = std::filesystem::read_symlink(e.path(), ec);
        if (ec || target.native().rfind("pipe:", 0) == 0) continue;  // ec: already closed
        fds.insert(e.path().filename().string());
    }
    return fds;
}

std::vector<std::string> entries(const std::filesystem::path& dir) {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(dir))
        names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

std::map<std::string, std::string> tree_snapshot(const std::filesystem::path& dir) {
    namespace fs = std::filesystem;
    std::map<std::string, std::string> out;
    auto opts = fs::directory_options::skip_permission_denied;
    for (auto it = fs::recursive_directory_iterator(dir, opts); it != fs::end(it); ++it) {
        struct stat st {};
        ::lstat(it->path().c_str(), &st);
        std::string v = std::to_string(st.st_mode) + ":";
        if (S_ISLNK(st.st_mode)) v += fs::read_symlink(it->path()).string();
        if (S_ISREG(st.st_mode)) {
            std::ifstream in(it->path());
            v.append(std::istreambuf_iterator<char>(in), {});
        }
        out[fs::relative(it->path(), dir).string()] = v;
    }
    struct stat st {};
    ::lstat(dir.c_str(), &st);
    out["."] = std::to_string(st.st_mode);
    return out;
}

int run_unprivileged(const std::function<int()>& body) {
    if (::geteuid() != 0) return -1;
    pid_t pid = ::fork();
    if (pid == 0) {
        if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(99);
        if (::geteuid() != 65534) ::_exit(98);
        ::_exit(body());
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void test_dir::SetUp() {
    // Created with the library under test would hide its bugs: use the
    // standard library here.
    auto base = std::filesystem::temp_directory_path() / "tempio-tests";
    std::filesystem::create_directories(base);
    std::filesystem::permissions(base, std::filesystem::perms::all);  // for uid 65534
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = std::string(info->test_suite_name()) + "." + info->name();
    std::replace(name.begin(), name.end(), '/', '_');
    dir_ = base / (name + "." + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directory(dir_);
    fds_before_ = open_fds();
}

void test_dir::TearDown() {
    EXPECT_EQ(open_fds(), fds_before_) << "descriptors leaked";
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
}

}  // namespace tempio::test
