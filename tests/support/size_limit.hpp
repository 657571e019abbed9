// Short writes the kernel really makes: runs a body in a forked child whose
// files may not grow past a limit (RLIMIT_FSIZE, SIGXFSZ ignored, so
// write(2) says EFBIG once nothing more fits). The limit is per process, so
// the parent never starts tempio's workers for it.
#pragma once

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cerrno>

#include <cstddef>
#include <exception>
#include <functional>
#include <iostream>

#include <gtest/gtest.h>

namespace tempio::test {

// Status of the child: 0 when every expectation held there, 77 when the
// limit could not be lowered (callers skip).
inline int with_file_size_limit(std::size_t limit, const std::function<void()>& body) {
    std::cout.flush();
    pid_t pid = ::fork();
    if (pid < 0) return errno == ENOSYS ? 77 : 1;  // no fork (Windows): no limit either
    if (pid == 0) {
        rlimit old{};
        ::getrlimit(RLIMIT_FSIZE, &old);
        rlimit low{limit, old.rlim_max};
        auto old_handler = ::signal(SIGXFSZ, SIG_IGN);
        if (::setrlimit(RLIMIT_FSIZE, &low) != 0) ::_exit(77);
        try {
            body();
        } catch (const std::exception& e) {
            ADD_FAILURE() << "exception: " << e.what();
        }
        ::setrlimit(RLIMIT_FSIZE, &old);
        ::signal(SIGXFSZ, old_handler);
        std::cout.flush();
        ::_exit(::testing::Test::HasFailure() ? 1 : 0);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace tempio::test
