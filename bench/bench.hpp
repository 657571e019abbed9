// Shared pieces of tempio-compare: configuration, timing, result rows.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <tempio/named_temporary_file.hpp>

namespace bench {

namespace net = boost::asio;

using clock = std::chrono::steady_clock;

struct config {
    bool quick = false;
    int reps = 7;      // repetitions per workload; medians are reported
    std::string root;  // scratch directory every workload works in
    std::string only;  // run only workloads whose name starts with this
    // Repetitions stop early (after at least one) once a workload has run
    // this long, so a slow file system cannot stretch --quick past a minute.
    double budget_s = 30;
};

// One printed line. `ratio` is always tempio / floor in the unit shown, so
// for time units lower is better and for throughput units higher is better.
struct row {
    std::string workload;
    double tempio = 0, floor = 0, ratio = 0;
    std::string unit, target, status;
};

inline double median(std::vector<double> v) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    std::size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

inline double seconds(clock::duration d) {
    return std::chrono::duration<double>(d).count();
}

// Runs `tempio_rep` and `floor_rep` `reps` times each, alternating which goes
// first so that drift (page cache, other load) hits both alike. Each returns
// its measurement for one repetition; the medians come back.
inline std::pair<double, double> paired(const config& c, int reps,
                                        const std::function<double()>& tempio_rep,
                                        const std::function<double()>& floor_rep) {
    std::vector<double> t, f;
    auto start = clock::now();
    for (int i = 0; i < reps && (i == 0 || seconds(clock::now() - start) < c.budget_s); ++i) {
        if (i % 2 == 0) {
            t.push_back(tempio_rep());
            f.push_back(floor_rep());
        } else {
            f.push_back(floor_rep());
            t.push_back(tempio_rep());
        }
    }
    return {median(t), median(f)};
}

// As paired, for any number of sides: each repetition runs every side once,
// starting with a different one each time. Returns each side's median.
inline std::vector<double> interleaved(const config& c, int reps,
                                       const std::vector<std::function<double()>>& sides) {
    std::vector<std::vector<double>> got(sides.size());
    auto start = clock::now();
    for (int i = 0; i < reps && (i == 0 || seconds(clock::now() - start) < c.budget_s); ++i)
        for (std::size_t k = 0; k < sides.size(); ++k) {
            std::size_t j = (k + static_cast<std::size_t>(i)) % sides.size();
            got[j].push_back(sides[j]());
        }
    std::vector<double> medians;
    for (auto& g : got) medians.push_back(median(std::move(g)));
    return medians;
}

// Lower is better (time per op): met when tempio <= limit x floor.
inline row at_most(std::string name, double t, double f, std::string unit, double limit) {
    row r{std::move(name), t, f, f > 0 ? t / f : 0, std::move(unit), "", ""};
    char buf[64];
    std::snprintf(buf, sizeof buf, "<= %.1fx", limit);
    r.target = buf;
    r.status = r.ratio <= limit ? "met" : "MISSED";
    return r;
}

// Higher is better (throughput): met when tempio >= limit x floor.
inline row at_least(std::string name, double t, double f, std::string unit, double limit) {
    row r{std::move(name), t, f, f > 0 ? t / f : 0, std::move(unit), "", ""};
    char buf[64];
    std::snprintf(buf, sizeof buf, ">= %.1fx", limit);
    r.target = buf;
    r.status = r.ratio >= limit ? "met" : "MISSED";
    return r;
}

// A fresh, unused path under the scratch directory (for the floors).
std::string fresh_path(const config& c, const char* stem);

// The workloads; each appends its rows.
void named_sequential(const config& c, std::vector<row>& out);
void named_in_flight(const config& c, std::vector<row>& out);
void directory_sequential(const config& c, std::vector<row>& out);
void small_writes(const config& c, std::vector<row>& out);
void large_writes(const config& c, std::vector<row>& out);
void spooled_writes(const config& c, std::vector<row>& out);
void tree_cleanup(const config& c, std::vector<row>& out);
void loop_lag(const config& c, std::vector<row>& out);
void readline(const config& c, std::vector<row>& out);
void gather_write(const config& c, std::vector<row>& out);
void atomic_publish(const config& c, std::vector<row>& out);
void group_commit(const config& c, std::vector<row>& out);
// Pieces of files.cpp that mechanism.cpp measures against its floors: a
// named file created and closed n times (us/op), 64 tasks doing it on one
// loop (ops/s), n writes of `chunk` bytes (MB/s), fwrite's floor (MB/s).
// ask_path: also asks each file its path() (files.cpp).
net::awaitable<double> tempio_named(std::string dir, int n, bool ask_path = false);
double tempio_named_parallel(const std::string& dir, int total, int tasks);
net::awaitable<double> tempio_writes(std::string dir, std::size_t chunk, int n);
double floor_fwrite(const config& c, std::size_t chunk, int n);
// A temporary directory created and cleaned up n times (us/op).
net::awaitable<double> tempio_dirs(std::string dir, int n);
// Pieces of streams.cpp likewise. Every side of readline hands over each
// line as a std::string and counts its bytes (which also keeps the compiler
// from eliding the strings); expect() throws unless the counts match.
struct tally {
    std::size_t lines = 0, bytes = 0;
};
void expect(const tally& got, const tally& want, const char* who);
std::string make_lines(std::size_t n);  // n lines of 40 bytes (the peers')
net::awaitable<void> make_file(std::string dir, const std::string& content,
                               std::optional<tempio::named_temporary_file>& out);
net::awaitable<double> tempio_readline(tempio::named_temporary_file& f, tally want);  // lines/s
net::awaitable<void> close_file(tempio::named_temporary_file& f);
// n times net::async_write of gather_count buffers of gather_size bytes,
// then a flush (MB/s).
inline constexpr std::size_t gather_count = 1000, gather_size = 64;
net::awaitable<double> tempio_gather(std::string dir, const std::vector<net::const_buffer>& bufs,
                                     int n);
// The same work through the same mechanism, plainly (mechanism.cpp).
void mechanism(const config& c, std::vector<row>& out);

}  // namespace bench
