// The io_uring backend's ring: one per io_context (an Asio service), set up
// on first use. Requests are submitted at once from any thread (under a
// mutex); completions are reaped by the loop when the ring's eventfd becomes
// readable, and run there. Built without liburing, nothing here is usable.
#include "backend/ring.hpp"

#include "backend/backend.hpp"
#include "core/fork_generation.hpp"
#include "core/sys.hpp"

namespace tempio::detail {
#if TEMPIO_TEST_SEAM
setup_fault_state& uring_setup_faults() noexcept {
    static setup_fault_state state;
    return state;
}
#endif
}  // namespace tempio::detail

#if TEMPIO_HAS_LIBURING

#include <liburing.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

namespace tempio::detail {
namespace {

constexpr unsigned ring_entries = 256;

// io_uring_setup; in test builds through the seam (counted apart, failable
// on demand).
int setup_ring(io_uring& r, unsigned entries, io_uring_params& params) {
#if TEMPIO_TEST_SEAM
    auto& f = uring_setup_faults();
    f.calls.fetch_add(1);
    if (int err = f.fail_errno.load()) return -err;
#endif
    return io_uring_queue_init_params(entries, &r, &params);
}

// The calls core/steps/syscall.hpp names, and writes at the file position.
bool supports_requests(io_uring& r, const io_uring_params& params) {
    if (!(params.features & IORING_FEAT_RW_CUR_POS)) return false;
    io_uring_probe* probe = io_uring_get_probe_ring(&r);
    if (probe == nullptr) return false;
    bool ok = true;
    for (int op : {IORING_OP_OPENAT, IORING_OP_MKDIRAT, IORING_OP_UNLINKAT, IORING_OP_STATX,
                   IORING_OP_CLOSE, IORING_OP_WRITEV, IORING_OP_READ})
        ok = ok && io_uring_opcode_supported(probe, op);
    io_uring_free_probe(probe);
    return ok;
}

// kernel.io_uring_disabled = 2: nobody may set up a ring (1 restricts it to
// a group, which io_uring_setup answers with EPERM).
bool disabled_by_sysctl() {
    std::FILE* f = std::fopen("/proc/sys/kernel/io_uring_disabled", "re");
    if (f == nullptr) return false;
    int value = 0;
    bool disabled = std::fscanf(f, "%d", &value) == 1 && value == 2;
    std::fclose(f);
    return disabled;
}

void prepare(io_uring_sqe* sqe, const syscall& c) {
    switch (c.what) {
        case syscall::kind::openat:
            io_uring_prep_openat(sqe, c.fd, c.path, c.flags, c.mode);
            break;
        case syscall::kind::mkdirat:
            io_uring_prep_mkdirat(sqe, c.fd, c.path, c.mode);
            break;
        case syscall::kind::unlinkat:
            io_uring_prep_unlinkat(sqe, c.fd, c.path, c.flags);
            break;
        case syscall::kind::stat_name:  // platform/linux: statx, the inode
            io_uring_prep_statx(sqe, c.fd, c.path, AT_SYMLINK_NOFOLLOW, STATX_INO, c.st);
            break;
        case syscall::kind::close:
            io_uring_prep_close(sqe, c.fd);
            break;
        case syscall::kind::writev:
            io_uring_prep_writev(sqe, c.fd, c.iov, c.iovcnt, static_cast<__u64>(-1));
            break;
        case syscall::kind::read:
            io_uring_prep_read(sqe, c.fd, c.buf, c.len, static_cast<__u64>(-1));
            break;
        case syscall::kind::seek:  // made by the driver itself, never submitted
        case syscall::kind::none:
            io_uring_prep_nop(sqe);
            break;
    }
}

// user_data: the op's address.
std::uint64_t tag(ring_op& op) {
    return reinterpret_cast<std::uintptr_t>(&op);
}
ring_op& op_of(std::uint64_t data) {
    return *reinterpret_cast<ring_op*>(static_cast<std::uintptr_t>(data));
}

}  // namespace

class ring final : public net::execution_context::service {
  public:
    static net::execution_context::id id;

    explicit ring(net::execution_context& ctx) : service(ctx), generation_(fork_generation()) {
        io_uring_params params{};
        if (setup_ring(ring_, ring_entries, params) < 0) return;
        int efd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (efd < 0 || io_uring_register_eventfd(&ring_, efd) < 0) {
            if (efd >= 0) ::close(efd);
            io_uring_queue_exit(&ring_);
            return;
        }
        ready_fd_ = std::make_unique<net::posix::stream_descriptor>(
            static_cast<net::io_context&>(ctx), efd);
        capacity_ = ring_.cq.ring_entries;
        set_up_ = true;
    }

    ~ring() override { shutdown(); }

    bool usable() const noexcept { return set_up_ && fork_generation() == generation_; }

    void submit(ring_op& op, const syscall& c) {
        std::lock_guard lock(mutex_);
        bool wake = false;
        std::uint64_t data = tag(op);
#if TEMPIO_TEST_SEAM
        // The same seam as the blocking calls, so the failure sweeps cover
        // the ring too: an error, or a short result (made here, at once, as
        // the ring would have: core/sys.hpp fault_kind).
        if (sys::driver_fault f = sys::driver_call_fault(reads_or_writes(c)); f.err != 0) {
            // As the close wrapper: a failed close still releases the fd.
            if (c.what == syscall::kind::close) ::close(c.fd);
            injected_.push_back({data, -f.err});
            wake = true;
        } else if (f.partial) {
            injected_.push_back({data, perform_partial(c)});
            wake = true;
        } else {
            backlog_.push_back({data, c});
        }
#else
        backlog_.push_back({data, c});
#endif
        if (!submit_backlog_locked()) wake = true;
        if (wake) ::eventfd_write(ready_fd_->native_handle(), 1);
        arm_locked();
    }

  private:
    struct completion {
        std::uint64_t data;
        int res;
    };
    struct queued {
        std::uint64_t data;
        syscall request;
    };

    // Moves queued requests to the kernel while the completion queue has
    // room for all in flight (so it never overflows). False if the kernel
    // refused the submission (retried on the next wake-up).
    bool submit_backlog_locked() {
        bool any = false;
        while (!backlog_.empty() && in_flight_ < capacity_) {
            io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
            if (sqe == nullptr) break;
            prepare(sqe, backlog_.front().request);
            io_uring_sqe_set_data64(sqe, backlog_.front().data);
            backlog_.pop_front();
            ++in_flight_;
            any = true;
        }
        if (!any && io_uring_sq_ready(&ring_) == 0) return true;
        int r;
        do r = io_uring_submit(&ring_);
        while (r == -EINTR);
        return r >= 0;
    }

    // Waits for the eventfd while anything is pending, once.
    void arm_locked() {
        if (waiting_ || (in_flight_ == 0 && injected_.empty() && backlog_.empty())) return;
        waiting_ = true;
        ready_fd_->async_wait(net::posix::stream_descriptor::wait_read,
                              [this](const error_code& ec) { on_ready(ec); });
    }

    void reap_locked(std::vector<completion>& out) {
        unsigned head;
        unsigned seen = 0;
        io_uring_cqe* cqe;
        io_uring_for_each_cqe(&ring_, head, cqe) {
            out.push_back({cqe->user_data, cqe->res});
            ++seen;
        }
        io_uring_cq_advance(&ring_, seen);
        in_flight_ -= seen;
    }

    void on_ready(const error_code& ec) {
        if (ec == net::error::operation_aborted) return;  // shutting down
        std::vector<completion> done;
        {
            std::lock_guard lock(mutex_);
            waiting_ = false;
            eventfd_t ignored;
            ::eventfd_read(ready_fd_->native_handle(),
                           &ignored);  // before reaping: no lost wake-up
            done.swap(injected_);
            reap_locked(done);
            if (!submit_backlog_locked()) ::eventfd_write(ready_fd_->native_handle(), 1);
            arm_locked();
        }
        for (const completion& c : done) op_of(c.data).complete(c.res);
    }

    // The io_context is going away: every request still in the kernel is
    // waited for (it may write into its op), then each op undoes its result.
    void shutdown() override {
        if (!set_up_) return;
        set_up_ = false;
        if (fork_generation() != generation_) {
            // A forked child's copy: the requests and the eventfd's
            // registration belong to the parent. Only drop our mapping.
            static_cast<void>(ready_fd_.release());  // closing it would unregister the parent's
            io_uring_queue_exit(&ring_);
            return;
        }
        std::vector<completion> done;
        {
            std::lock_guard lock(mutex_);
            done.swap(injected_);
            while (in_flight_ > 0) {
                io_uring_cqe* cqe;
                int r = io_uring_wait_cqe(&ring_, &cqe);
                if (r == -EINTR) continue;
                if (r < 0) break;  // cannot happen with requests in flight
                reap_locked(done);
            }
            for (const queued& q : backlog_) done.push_back({q.data, -ECANCELED});
            backlog_.clear();
        }
        for (const completion& c : done) op_of(c.data).abandon(c.res);
        ready_fd_.reset();
        io_uring_queue_exit(&ring_);
    }

    unsigned generation_;  // fork_generation() of the process that set it up
    bool set_up_ = false;
    io_uring ring_{};
    std::unique_ptr<net::posix::stream_descriptor> ready_fd_;  // the registered eventfd
    unsigned capacity_ = 0;

    std::mutex mutex_;
    bool waiting_ = false;
    unsigned in_flight_ = 0;            // submitted to the kernel, not yet reaped
    std::vector<completion> injected_;  // failed by the seam, to be delivered
    std::deque<queued> backlog_;        // waiting for room in the completion queue
};

net::execution_context::id ring::id;

ring* ring_for(net::io_context* io) {
    if (io == nullptr || active_backend() != backend_kind::io_uring) return nullptr;
    ring& r = net::use_service<ring>(static_cast<net::execution_context&>(*io));
    return r.usable() ? &r : nullptr;
}

void submit(ring& r, ring_op& op, const syscall& c) {
    r.submit(op, c);
}

bool ring_built() noexcept {
    return true;
}

bool ring_usable() noexcept {
    if (disabled_by_sysctl()) return false;
    io_uring probe_ring{};
    io_uring_params params{};
    // ENOSYS, EPERM, EACCES, ENOMEM or anything else: the pool does the work.
    if (setup_ring(probe_ring, 4, params) < 0) return false;
    bool ok = supports_requests(probe_ring, params);
    io_uring_queue_exit(&probe_ring);
    return ok;
}

}  // namespace tempio::detail

#else  // built without liburing

namespace tempio::detail {

class ring {};

ring* ring_for(net::io_context*) {
    return nullptr;
}
void submit(ring&, ring_op&, const syscall&) {}
bool ring_built() noexcept {
    return false;
}
bool ring_usable() noexcept {
    return false;
}

}  // namespace tempio::detail

#endif
