// job_watch (backend/job_watch.hpp): orphaning a context's jobs when it is
// destroyed, and delivering its completions in batches.
#include "backend/job_watch.hpp"

#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

namespace tempio::detail {
namespace {

// Bumped whenever a job_watch shuts down or is destroyed: a (context,
// watch) pair cached before may name a destroyed context, whose address a
// new one may have.
std::atomic<unsigned long> g_watch_generation{0};

// The last context this thread started a job for, and its watch: a thread
// mostly starts jobs for one context, and use_service takes the context's
// registry mutex (about 100 instructions of the ~2,000 a pool round trip
// makes, callgrind; 5 with this).
struct watch_cache {
    const net::execution_context* ctx = nullptr;
    job_watch* watch = nullptr;
    unsigned long generation = 0;
};
thread_local constinit watch_cache t_watch;

// Oldest first: the stack reversed.
job* in_order(job* newest_first) noexcept {
    job* out = nullptr;
    while (newest_first != nullptr) {
        job* next = newest_first->next;
        newest_first->next = out;
        out = newest_first;
        newest_first = next;
    }
    return out;
}

}  // namespace

net::execution_context::id job_watch::id;

job_watch::~job_watch() {
    // Made after the context's shutdown (a job started while it is
    // destroyed): never shut down, so here. But only a watch that was
    // handed out: two threads asking for the first watch of a context at
    // once each make one, and Asio destroys the one it did not register;
    // that one must not orphan the live context's jobs.
    if (handed_out_.load(std::memory_order_acquire)) shutdown();
    g_watch_generation.fetch_add(1);
}

bool job_watch::push(job* j) noexcept {
    return prepend(j, j);
}

bool job_watch::prepend(job* newest, job* oldest) noexcept {
    job* old = batch_.load(std::memory_order_relaxed);
    do {
        oldest->next = old;
    } while (!batch_.compare_exchange_weak(old, newest, std::memory_order_release,
                                           std::memory_order_relaxed));
    return old == nullptr;
}

void job_watch::post_drain() noexcept {
    try {
        net::post(static_cast<net::io_context&>(context()), [this] { drain(); });
    } catch (...) {
        // Out of memory for the drain: one post per completion, as far as
        // memory allows.
        take_back_and_post_singly();
    }
}

void job_watch::drain() {
    job* list = in_order(batch_.exchange(nullptr, std::memory_order_acquire));
    // A handler that throws leaves the rest for a drain of their own (as
    // Asio's scheduler leaves the handlers after one that threw).
    struct rest_guard {
        job_watch& watch;
        job*& rest;
        ~rest_guard() {
            if (rest != nullptr) watch.requeue(rest);
        }
    } guard{*this, list};
    while (list != nullptr) {
        job* j = std::exchange(list, list->next);
        j->next = nullptr;
        j->deliver();  // owns j from here
    }
}

// Puts back `rest` (oldest first), and makes sure a drain will take it.
void job_watch::requeue(job* rest) noexcept {
    job* oldest = rest;  // the tail once reversed
    if (prepend(in_order(rest), oldest)) post_drain();
}

void job_watch::take_back_and_post_singly() noexcept {
    auto& io = static_cast<net::io_context&>(context());
    job* list = in_order(batch_.exchange(nullptr, std::memory_order_acquire));
    while (list != nullptr) {
        job* j = std::exchange(list, list->next);
        j->next = nullptr;
        try {
            net::post(io, [j] { j->deliver(); });
        } catch (...) {
            delete j;  // nowhere to deliver: undone
        }
    }
}

void job_watch::shutdown() {
    // Before orphaning: a job made from here on (by a destructor run below)
    // is refused, never queued behind this call.
    if (shut_down_.exchange(true)) return;
    g_watch_generation.fetch_add(1);
    orphan_jobs(context());
    // No worker delivers into the context any more: the completions still
    // waiting for their batch are deleted (their results undone).
    job* list = batch_.exchange(nullptr, std::memory_order_acquire);
    while (list != nullptr) delete std::exchange(list, list->next);
}

bool watch_jobs_of(net::execution_context& ctx, job& j) {
    // Read first: a context destroyed after this read bumps it, and the pair
    // cached now is not used again.
    const unsigned long generation = g_watch_generation.load(std::memory_order_acquire);
    if (t_watch.ctx != &ctx || t_watch.generation != generation) {
        job_watch& watch = net::use_service<job_watch>(ctx);
        watch.hand_out();
        t_watch = {&ctx, &watch, generation};
    }
    if (!t_watch.watch->accepts()) return false;
    j.context = &ctx;
    j.watch = t_watch.watch;
    return true;
}

}  // namespace tempio::detail
