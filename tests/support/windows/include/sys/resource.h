// Windows has no <sys/resource.h>: no limits to set (the tests that set one
// skip through a query; getrlimit/setrlimit fail with ENOSYS).
#pragma once

using rlim_t = unsigned long long;
struct rlimit {
    rlim_t rlim_cur;
    rlim_t rlim_max;
};
#define RLIMIT_NOFILE 7
#define RLIMIT_FSIZE 1
#define RLIM_INFINITY (~0ULL)
extern "C" int getrlimit(int resource, struct rlimit* limit);
extern "C" int setrlimit(int resource, const struct rlimit* limit);
