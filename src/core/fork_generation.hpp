// "Is this still the process that made it?" without a system call: a
// counter bumped in every forked child, by pthread_atfork and, for a fork
// that runs no atfork handler (syscall(SYS_fork), clone), by a page the
// kernel wipes in the child. getpid() is a real system call in glibc, too
// dear for every operation (it is the fallback before Linux 4.14).
#pragma once

namespace tempio::detail {

// The current generation. The first call registers the fork handler, so
// call it when creating what must later be checked (before any fork).
unsigned fork_generation() noexcept;

}  // namespace tempio::detail
