// The plain machinery of the mechanism floors (mechanism.cpp): tempio's two
// ways of completing an operation, written on Asio alone, with no tempio.
// - plain_worker_pool + async_run: a job on a worker thread, its completion
//   posted back to the handler's executor (tempio's pool hop: the loop
//   thread sleeps in epoll until Asio's post wakes it).
// - at_once: a result known at once resumes the awaiting coroutine inside
//   the initiation, at most 16 in a row per thread, else posted (tempio's
//   inline resumption, detail/handler.hpp).
// And what tempio's files do with them: a 64 KiB write buffer written
// behind (write_buffer, plain_stream) and a 64 KiB read buffer for lines (line_reader); and
// scratch_file, a plain side's own file.
#pragma once

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/system/error_code.hpp>

namespace bench {

namespace net = boost::asio;  // as in bench.hpp: this header uses nothing of tempio
using error_code = boost::system::error_code;

[[noreturn]] inline void throw_errno(const char* what) {
    throw std::system_error(errno, std::generic_category(), what);
}

// N threads waiting on one job queue (a mutex and a condition variable), at
// a lower priority than the loop as tempio's workers (TEMPIO_WORKER_NICE,
// default +5).
class plain_worker_pool {
  public:
    explicit plain_worker_pool(std::size_t threads) {
        const char* env = std::getenv("TEMPIO_WORKER_NICE");
        nice_ = env ? static_cast<int>(std::clamp(std::strtol(env, nullptr, 10), 0L, 19L)) : 5;
        for (std::size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { work(); });
    }
    ~plain_worker_pool() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        wake_.notify_all();
        for (auto& t : threads_) t.join();
    }
    template <class F>
    void submit(F f) {
        auto j = std::make_unique<job_of<F>>(std::move(f));
        {
            std::lock_guard lock(mutex_);
            jobs_.push_back(std::move(j));
        }
        wake_.notify_one();
    }

  private:
    struct job {
        virtual ~job() = default;
        virtual void run() = 0;
    };
    template <class F>
    struct job_of final : job {
        explicit job_of(F f) : f(std::move(f)) {}
        void run() override { f(); }
        F f;
    };
    void work() {
        if (nice_ != 0)  // relative to the thread's own, as tempio's lower_priority
            ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()),
                          std::min(::getpriority(PRIO_PROCESS, 0) + nice_, 19));
        std::unique_lock lock(mutex_);
        for (;;) {
            wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
            if (jobs_.empty()) return;  // stopping
            auto j = std::move(jobs_.front());
            jobs_.pop_front();
            lock.unlock();
            j->run();
            j.reset();
            lock.lock();
        }
    }
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::unique_ptr<job>> jobs_;
    bool stopping_ = false;
    int nice_ = 5;
    std::vector<std::thread> threads_;
};

// f() on a worker, then the handler posted to its associated executor, with
// the error f threw (a std::system_error's errno; anything else EIO).
// Signature void(error_code); the executor keeps work until the post.
template <class F, class Token = net::deferred_t>
auto async_run(plain_worker_pool& pool, F f, Token&& token = {}) {
    return net::async_initiate<Token, void(error_code)>(
        [&pool](auto h, F f) {
            auto work = net::make_work_guard(net::get_associated_executor(h));
            pool.submit([h = std::move(h), f = std::move(f), work = std::move(work)]() mutable {
                error_code ec;
                try {
                    f();
                } catch (const std::system_error& e) {
                    ec.assign(e.code().value(), boost::system::system_category());
                } catch (...) {
                    ec.assign(EIO, boost::system::system_category());
                }
                net::post(work.get_executor(),
                          [h = std::move(h), ec]() mutable { std::move(h)(ec); });
                work.reset();
            });
        },
        token, std::move(f));
}

// Completions made inside their initiation and not yet returned, on this
// thread.
inline thread_local unsigned at_once_depth = 0;

// Completes with `value` at once: inside the initiation, where Asio calls it
// after the coroutine suspended, while fewer than 16 are nested on this
// thread; else posted, which unwinds the stack. Only for a coroutine's
// co_await (the handler of a callback would run inside the call).
template <class T, class Token = net::deferred_t>
auto at_once(T value, Token&& token = {}) {
    return net::async_initiate<Token, void(error_code, T)>(
        [](auto h, T v) {
            if (at_once_depth < 16) {
                struct nested {
                    nested() { ++at_once_depth; }
                    ~nested() { --at_once_depth; }
                } slot;
                std::move(h)(error_code(), std::move(v));
                return;
            }
            auto ex = net::get_associated_executor(h);  // before h moves
            net::post(ex, [h = std::move(h), v = std::move(v)]() mutable {
                std::move(h)(error_code(), std::move(v));
            });
        },
        token, std::move(value));
}

// writev(2) of all of iov (changed on the way), as tempio's write steps:
// again after a short write or EINTR.
inline void write_all(int fd, iovec* iov, int count) {
    for (;;) {
        while (count > 0 && iov->iov_len == 0) ++iov, --count;
        if (count == 0) return;
        ssize_t r = ::writev(fd, iov, count);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            if (r == 0) errno = EIO;
            throw_errno("writev");
        }
        for (auto done = static_cast<std::size_t>(r); done != 0;) {
            std::size_t step = std::min(done, iov->iov_len);
            iov->iov_base = static_cast<char*>(iov->iov_base) + step;
            iov->iov_len -= step;
            done -= step;
            if (iov->iov_len == 0) ++iov, --count;
        }
    }
}

// A 64 KiB write buffer on a file descriptor (tempio's default buffering),
// with tempio's write-behind: a full buffer can be handed to a worker while
// the next one fills (one at a time); what writes the buffer waits first.
class write_buffer {
  public:
    explicit write_buffer(int fd) : fd_(fd), buf_(65536), behind_(65536) {}
    ~write_buffer() { wait_behind(); }
    bool fits(std::size_t n) const { return used_ + n <= buf_.size(); }
    bool empty() const { return used_ == 0; }
    void append(const void* p, std::size_t n) {
        std::memcpy(buf_.data() + used_, p, n);
        used_ += n;
    }
    // The full buffer to a worker, when none is being written; the next
    // one is empty then. False: one still is (write_with then, on a worker).
    bool hand_over(plain_worker_pool& pool) {
        if (running_.load(std::memory_order_acquire)) return false;
        if (failed_) throw std::runtime_error("write-behind failed");
        buf_.swap(behind_);
        std::size_t n = std::exchange(used_, 0);
        running_.store(true, std::memory_order_relaxed);
        pool.submit([this, n] {
            iovec iov{behind_.data(), n};
            try {
                write_all(fd_, &iov, 1);
            } catch (...) {
                failed_ = true;
            }
            running_.store(false, std::memory_order_release);
            running_.notify_all();
        });
        return true;
    }
    // The buffer then iov[0, count), in one writev(2): on a worker.
    void write_with(const iovec* iov, int count) {
        wait_behind();
        std::array<iovec, 65> all{};
        all[0] = {buf_.data(), used_};
        std::copy(iov, iov + count, all.begin() + 1);
        write_all(fd_, all.data(), count + 1);
        used_ = 0;
    }
    void flush() { write_with(nullptr, 0); }

  private:
    void wait_behind() const { running_.wait(true, std::memory_order_acquire); }

    int fd_;
    std::vector<char> buf_, behind_;
    std::size_t used_ = 0;
    std::atomic<bool> running_{false};
    bool failed_ = false;  // read after running_ is false
};

// A plain side's file, made and removed outside the timed part.
struct scratch_file {
    explicit scratch_file(std::string p) : path(std::move(p)) {
        fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0) throw_errno("open");
    }
    ~scratch_file() {
        ::close(fd);
        ::unlinkat(AT_FDCWD, path.c_str(), 0);
    }
    void expect_size(std::size_t bytes) const {
        struct stat st {};
        if (::fstat(fd, &st) != 0) throw_errno("fstat");
        if (static_cast<std::size_t>(st.st_size) != bytes)
            throw std::runtime_error(path + ": " + std::to_string(st.st_size) + " bytes, not " +
                                     std::to_string(bytes));
    }
    std::string path;
    int fd = -1;
};

// An AsyncWriteStream over a write_buffer: a write that fits is copied and
// completes by a post (net::async_write's handler is no coroutine's, so
// tempio posts it too), also when the full buffer can go behind; one that
// does not goes with the buffer in one writev on a worker (async_run). At most 64 buffers: Asio's
// write_op asks for no more.
class plain_stream {
  public:
    using executor_type = net::any_io_executor;
    plain_stream(executor_type ex, plain_worker_pool& pool, int fd)
        : ex_(std::move(ex)), pool_(pool), buf_(fd) {}
    executor_type get_executor() const noexcept { return ex_; }
    write_buffer& buffer() { return buf_; }

    template <class ConstBufferSequence, class Token = net::deferred_t>
    auto async_write_some(const ConstBufferSequence& buffers, Token&& token = {}) {
        return net::async_initiate<Token, void(error_code, std::size_t)>(
            [this](auto h, const ConstBufferSequence& b) { start(std::move(h), b); }, token,
            buffers);
    }

  private:
    template <class Handler, class Sequence>
    void start(Handler h, const Sequence& buffers) {
        std::array<iovec, 64> iov{};
        int count = 0;
        std::size_t total = 0;
        for (auto it = net::buffer_sequence_begin(buffers);
             it != net::buffer_sequence_end(buffers) && count < 64; ++it) {
            net::const_buffer b(*it);
            iov[count++] = {const_cast<void*>(b.data()), b.size()};
            total += b.size();
        }
        auto ex = net::get_associated_executor(h, ex_);
        auto done = [h = std::move(h), total](error_code ec) mutable {
            std::move(h)(ec, ec ? 0 : total);
        };
        if (buf_.fits(total) || (total <= 65536 && buf_.hand_over(pool_))) {
            for (int i = 0; i < count; ++i) buf_.append(iov[i].iov_base, iov[i].iov_len);
            net::post(ex, [done = std::move(done)]() mutable { done(error_code()); });
            return;
        }
        async_run(
            pool_, [this, iov, count] { buf_.write_with(iov.data(), count); },
            net::bind_executor(ex, std::move(done)));
    }

    executor_type ex_;
    plain_worker_pool& pool_;
    write_buffer buf_;
};

// Lines from a file descriptor through a 64 KiB read buffer (tempio's
// read_chunk): find() a '\n' already buffered, or read_line() on a worker.
class line_reader {
  public:
    explicit line_reader(int fd) : fd_(fd), buf_(64 * 1024) {}  // closes fd
    ~line_reader() { ::close(fd_); }
    line_reader(const line_reader&) = delete;
    line_reader& operator=(const line_reader&) = delete;
    void rewind() {
        if (::lseek(fd_, 0, SEEK_SET) != 0) throw_errno("lseek");
        pos_ = end_ = 0;
    }
    const char* find() const {
        return static_cast<const char*>(std::memchr(buf_.data() + pos_, '\n', end_ - pos_));
    }
    std::string take(const char* nl) {  // up to and with the '\n' find() found
        std::size_t from = pos_;
        pos_ = static_cast<std::size_t>(nl - buf_.data()) + 1;
        return std::string(buf_.data() + from, pos_ - from);
    }
    // What is buffered, then read(2)s of 64 KiB until a '\n' or the end.
    std::string read_line() {
        std::string out;
        for (;;) {
            if (const char* nl = find()) return out.append(take(nl));
            out.append(buf_.data() + pos_, end_ - pos_);
            pos_ = end_ = 0;
            ssize_t r = ::read(fd_, buf_.data(), buf_.size());
            if (r < 0 && errno == EINTR) continue;
            if (r < 0) throw_errno("read");
            end_ = static_cast<std::size_t>(r);
            if (r == 0) return out;
        }
    }

  private:
    int fd_;
    std::vector<char> buf_;
    std::size_t pos_ = 0, end_ = 0;
};

}  // namespace bench
