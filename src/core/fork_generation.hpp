// "Is this still the process that made it?" without a system call: a
// counter bumped in every forked child (pthread_atfork). getpid() is a real
// system call in glibc, too dear for every operation.
#pragma once

namespace tempio::detail {

// The current generation. The first call registers the fork handler, so
// call it when creating what must later be checked (before any fork).
unsigned fork_generation() noexcept;

}  // namespace tempio::detail
