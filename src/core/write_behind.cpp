#include "core/write_behind.hpp"

#include "core/atomic_wait.hpp"
#include "core/steps/io_steps.hpp"

namespace tempio::detail {

void write_behind::write_all() noexcept {
    write_steps writing(fd, std::string_view(), bytes, start);
    run_steps(writing);
    written = writing.written();
    ec = writing.error();
}

void write_behind::publish_done() noexcept {
    state.store(done, std::memory_order_release);
    atomic_notify_all(state);
}

void write_behind::run() noexcept {
    state_t expected = queued;
    if (!state.compare_exchange_strong(expected, writing, std::memory_order_acquire))
        return;  // taken back by the file
    write_all();
    publish_done();
}

void write_behind::reject(boost::system::error_code) noexcept {
    // Left queued: the file writes the bytes itself when it settles, and
    // reports what that write says.
}

void write_behind::finish_here() noexcept {
    state_t expected = queued;
    if (state.compare_exchange_strong(expected, writing, std::memory_order_acquire)) {
        write_all();
        state.store(done, std::memory_order_release);  // nobody else waits
        return;
    }
    for (state_t s = state.load(std::memory_order_acquire); s == writing;
         s = state.load(std::memory_order_acquire))
        atomic_wait(state, writing, std::memory_order_acquire);
}

}  // namespace tempio::detail
