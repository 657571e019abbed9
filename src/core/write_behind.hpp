// A full write buffer written by a worker while the file's user fills the
// next one (write-behind): the part of a file's state a worker touches
// without the file. The file keeps one, shared with the job that runs it,
// so that the job's last touch (the notification) never reaches a file
// already destroyed.
#pragma once

#include <atomic>
#include <cstddef>
#include <string>

#include <boost/system/error_code.hpp>

namespace tempio::detail {

struct write_behind {
    // Set by the file before it hands the job to a worker; read by the file
    // again only once `running` is false (acquire).
    int fd = -1;
    std::string bytes;
    std::size_t written = 0;
    boost::system::error_code ec;
    std::atomic<bool> running{false};

    // On a worker: writes `bytes` at the file position (all, or until a
    // call fails), then clears `running`.
    void run() noexcept;
    // The worker pool could not take the job: nothing written.
    void reject(boost::system::error_code why) noexcept;
    // Blocks until the worker is done (a file's blocking operations only).
    void wait() const noexcept { running.wait(true, std::memory_order_acquire); }
    bool done() const noexcept { return !running.load(std::memory_order_acquire); }

  private:
    void finish() noexcept;
};

}  // namespace tempio::detail
