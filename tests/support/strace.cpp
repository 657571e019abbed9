#include "support/strace.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

namespace tempio::test {

bool have_strace() {
    return std::system("strace -V >/dev/null 2>&1") == 0;
}

int run_self_under_strace(const std::string& filter, const std::string& env,
                          const std::filesystem::path& work, const std::string& calls,
                          const std::filesystem::path& trace, const std::filesystem::path& log) {
    const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe");
    const std::string gtest_filter = "--gtest_filter=" + filter;
    const std::string trace_calls = "trace=" + calls;
    pid_t pid = ::fork();
    if (pid == 0) {
        ::setenv(env.c_str(), work.c_str(), 1);
        // LeakSanitizer stops the world with ptrace: not under strace.
        std::string asan = "detect_leaks=0";
        if (const char* old = std::getenv("ASAN_OPTIONS")) asan = std::string(old) + ":" + asan;
        ::setenv("ASAN_OPTIONS", asan.c_str(), 1);
        int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (out >= 0) {
            ::dup2(out, 1);
            ::dup2(out, 2);
        }
        const char* argv[] = {"strace",
                              "-f",
                              "-qq",
                              "-s",
                              "4096",
                              "-o",
                              trace.c_str(),
                              "-e",
                              trace_calls.c_str(),
                              self.c_str(),
                              gtest_filter.c_str(),
                              nullptr};
        ::execvp("strace", const_cast<char* const*>(argv));
        ::_exit(127);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::vector<std::string> read_trace(const std::filesystem::path& file) {
    std::ifstream in(file);
    std::vector<std::string> calls;
    std::map<std::string, std::size_t> pending;  // pid -> its unfinished call
    std::string line;
    static const std::regex with_pid(R"(^\s*([0-9]+)\s+(.*)$)");
    while (std::getline(in, line)) {
        // "PID  call(...)": strace pads the pid (low pids get more spaces).
        std::smatch m;
        std::string pid, rest = line;
        if (std::regex_match(line, m, with_pid)) {
            pid = m[1].str();
            rest = m[2].str();
        }
        if (rest.rfind("+++", 0) == 0 || rest.rfind("---", 0) == 0) continue;
        if (auto u = rest.find(" <unfinished ...>"); u != std::string::npos) {
            pending[pid] = calls.size();
            calls.push_back(rest.substr(0, u));
            continue;
        }
        if (rest.rfind("<... ", 0) == 0) {
            auto r = rest.find("resumed>");
            auto it = pending.find(pid);
            if (r != std::string::npos && it != pending.end()) {
                calls[it->second] += rest.substr(r + 8);
                pending.erase(it);
            }
            continue;
        }
        calls.push_back(rest);
    }
    return calls;
}

std::string read_text(const std::filesystem::path& file) {
    std::ifstream in(file);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace tempio::test
