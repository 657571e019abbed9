// async_run_blocking: the caller's function as one pool job.
#include "async/blocking_op.hpp"
#include "tempio/run_blocking.hpp"

namespace tempio::detail {

void start_user_work(user_work_ptr w, handler<user_work_ptr> h) {
    // On abort the work is simply destroyed with the job, never run.
    run_blocking<user_work_ptr>(std::move(h), [w = std::move(w)](error_code&, const auto&) mutable {
        w->run();
        return std::move(w);
    });
}

}  // namespace tempio::detail
