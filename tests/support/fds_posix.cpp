// The descriptor table and unprivileged runs, where the platform is POSIX
// (Linux's /proc/self/fd; the posix preset also runs on Linux).
#include <sys/wait.h>
#include <unistd.h>

#include "support/test_dir.hpp"

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

bool can_give_files_away() {
    return ::geteuid() == 0;
}
bool can_fork() {
    return true;
}
bool has_posix_modes() {
    return true;
}
bool can_trace_system_calls() {
    return true;
}
bool can_make_symlinks() {
    return true;
}
bool anonymous_files_have_no_name() {
    return true;
}
bool can_replace_open_files() {
    return true;
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

}  // namespace tempio::test
