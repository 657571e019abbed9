#include "core/write_behind.hpp"

#include "core/steps/io_steps.hpp"

namespace tempio::detail {

void write_behind::run() noexcept {
    write_steps writing(fd, std::string_view(), bytes);
    run_steps(writing);
    written = writing.written();
    ec = writing.error();
    finish();
}

void write_behind::reject(boost::system::error_code why) noexcept {
    written = 0;
    ec = why;
    finish();
}

void write_behind::finish() noexcept {
    running.store(false, std::memory_order_release);
    running.notify_all();
}

}  // namespace tempio::detail
