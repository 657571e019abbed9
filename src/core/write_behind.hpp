// A full write buffer written by a worker while the file's user fills the
// next one (write-behind): the part of a file's state a worker touches
// without the file. The file keeps one, shared with the job that runs it,
// so that the job's last touch (the notification) never reaches a file
// already destroyed.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

#include <boost/system/error_code.hpp>

namespace tempio::detail {

struct write_behind {
    // Set by the file before it hands the job to a worker (state queued);
    // read by the file again only once the state is done (acquire).
    // idle: none outstanding (none yet, or settled by the file).
    int fd = -1;
    std::string bytes;
    std::int64_t start = -1;  // where they go (core/steps/io_steps.hpp: write_steps)
    std::size_t written = 0;
    boost::system::error_code ec;

    enum state_t : unsigned char { idle, queued, writing, done };
    std::atomic<state_t> state{idle};

    // The job, on a worker: writes `bytes` at the file position (all, or
    // until a call fails), unless the file took the work back first.
    void run() noexcept;
    // The worker pool could not take the job: nothing written (the file
    // writes them itself when it settles).
    void reject(boost::system::error_code why) noexcept;
    // The file, where it may block: the work done. Still queued, it takes
    // the work back and writes here (never waits for a busy pool's queue);
    // being written, it waits for the worker.
    void finish_here() noexcept;
    // Nothing outstanding, or written whole (checked without waiting).
    bool quiet() const noexcept {
        state_t s = state.load(std::memory_order_acquire);
        return s == idle || (s == done && !ec);
    }

  private:
    void write_all() noexcept;
    void publish_done() noexcept;
};

}  // namespace tempio::detail
