// Windows has no <sched.h>: what the tests name from it is in posix_for_tests.hpp,
// and the tests that need it skip through a query.
#pragma once
