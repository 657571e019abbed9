// Removing the registered names from a signal handler or at exit, and
// installing the handlers (tempio/signal_cleanup.hpp). Everything reachable
// from the handler is async-signal-safe: atomics, getpid, unlinkat, openat,
// lseek, close, the platform's allocation-free listing, sigaction,
// sigprocmask, raise. Its buffers are static (an alternate signal stack may
// be small), used by one cleanup at a time.
#include <errno.h>
#include <limits.h>
#include <signal.h>
#if TEMPIO_PLATFORM_WINDOWS
#include <windows.h>
#endif

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <system_error>

#include "core/fork_generation.hpp"
#include "core/signal_registry.hpp"
#include "core/sys.hpp"
#include "platform/platform.hpp"
#include "tempio/signal_cleanup.hpp"

namespace tempio::detail::signal_cleanup {
namespace {

// A tree deeper than this, or with more entries, is removed in part.
constexpr int max_depth = 16;
constexpr long max_entries = 100000;
constexpr std::size_t listing_size = 8192;

std::atomic<bool> g_busy{false};  // a cleanup is running (another thread, or interrupted)
alignas(8) char g_listing[max_depth][listing_size];
char g_path[PATH_MAX];
long g_budget = 0;

bool retry_eintr_unlinkat(int dirfd, const char* name, int flags) noexcept {
    int r;
    do r = os::unlinkat(dirfd, name, flags);
    while (r != 0 && errno == EINTR);
    return r == 0;
}

// Empties the directory open as `fd`, `depth` levels below the root, never
// following a symbolic link (O_NOFOLLOW, and unlinkat removes a link
// itself). Removals while listing may hide entries: listed again until a
// pass finds nothing, a few times at most.
void empty_directory(int fd, int depth) noexcept {
    for (int pass = 0; pass < 4; ++pass) {
        if (os::lseek(fd, 0, SEEK_SET) < 0) return;
        platform::signal_safe_entries list(fd, g_listing[depth], listing_size);
        bool any = false;
        bool is_dir = false;
        while (const char* name = list.next(&is_dir)) {
            if (--g_budget < 0) return;
            any = true;
            if (!is_dir && retry_eintr_unlinkat(fd, name, 0)) continue;
            if (retry_eintr_unlinkat(fd, name, AT_REMOVEDIR)) continue;
            if ((errno != ENOTEMPTY && errno != EEXIST) || depth + 1 >= max_depth) continue;
            int sub;
            do sub = os::openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            while (sub < 0 && errno == EINTR);
            if (sub < 0) continue;
            empty_directory(sub, depth + 1);
            os::close(sub);
            retry_eintr_unlinkat(fd, name, AT_REMOVEDIR);
        }
        if (!any) return;
    }
}

void remove_path(const char* path, name_kind kind) noexcept {
    if (kind == name_kind::file) {
        retry_eintr_unlinkat(AT_FDCWD, path, 0);
        return;
    }
    if (retry_eintr_unlinkat(AT_FDCWD, path, AT_REMOVEDIR)) return;
    int fd;
    do fd = os::openat(AT_FDCWD, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0) return;
    g_budget = max_entries;
    empty_directory(fd, 0);
    os::close(fd);
    retry_eintr_unlinkat(AT_FDCWD, path, AT_REMOVEDIR);
}

// Copies slot i's path into g_path, then takes the slot (removed) if it is
// still the word read: else it changed meanwhile, and the copy is not used.
bool take(chunk& c, std::uint32_t i, pid_t me, name_kind want) noexcept {
    std::uint32_t w = c.word[i].load(std::memory_order_acquire);
    if (state_of(w) != slot_state::active) return false;
    if (c.owner[i].load(std::memory_order_relaxed) != me) return false;  // a parent's
    if (c.kind[i].load(std::memory_order_relaxed) != static_cast<unsigned char>(want)) return false;
    for (std::size_t k = 0; k < PATH_MAX; ++k) {
        g_path[k] = std::atomic_ref<char>(c.path[i][k]).load(std::memory_order_relaxed);
        if (g_path[k] == '\0') break;
    }
    g_path[PATH_MAX - 1] = '\0';
    return c.word[i].compare_exchange_strong(w, make_word(use_of(w), slot_state::removed),
                                             std::memory_order_acq_rel, std::memory_order_relaxed);
}

// ---- the handlers --------------------------------------------------------------
#if TEMPIO_PLATFORM_WINDOWS
// Windows has no SIGHUP or SIGQUIT, and Ctrl+C reaches a console program as
// a control event on a thread of its own (the C runtime's SIGINT is made
// from it): the event's handler removes the names, then says it did not
// handle the event, so the next handler (or the default, ExitProcess) runs.
BOOL WINAPI on_console_event(DWORD event) {
    switch (event) {
        case CTRL_C_EVENT:
        case CTRL_BREAK_EVENT:
        case CTRL_CLOSE_EVENT:
        case CTRL_LOGOFF_EVENT:
        case CTRL_SHUTDOWN_EVENT:
            remove_all();
            break;
        default:
            break;
    }
    return FALSE;
}

void at_exit() noexcept {
    remove_all();
}

void install() {
    if (std::atexit(at_exit) != 0) throw std::system_error(ENOMEM, std::system_category());
    if (!SetConsoleCtrlHandler(on_console_event, TRUE))
        throw std::system_error(static_cast<int>(GetLastError()), std::system_category(),
                                "SetConsoleCtrlHandler");
}
#else

constexpr int g_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
constexpr int g_signal_count = 4;
struct sigaction g_previous[g_signal_count];

int index_of(int sig) noexcept {
    for (int i = 0; i < g_signal_count; ++i)
        if (g_signals[i] == sig) return i;
    return -1;
}

// The default action, as if tempio had never been there: restored, the
// signal unblocked (it is blocked while its handler runs) and raised again.
void die_by_default(int sig) noexcept {
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    ::sigaction(sig, &dfl, nullptr);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    ::sigprocmask(SIG_UNBLOCK, &set, nullptr);
    ::raise(sig);
}

void on_signal(int sig, siginfo_t* info, void* context) {
    const int saved = errno;
    remove_all();
    const int i = index_of(sig);
    if (i < 0) return;
    const struct sigaction& prev = g_previous[i];
    if ((prev.sa_flags & SA_SIGINFO) != 0 && prev.sa_sigaction != nullptr)
        prev.sa_sigaction(sig, info, context);
    else if ((prev.sa_flags & SA_SIGINFO) == 0 && prev.sa_handler != SIG_DFL &&
             prev.sa_handler != SIG_IGN)
        prev.sa_handler(sig);
    else
        die_by_default(sig);
    errno = saved;
}

void at_exit() noexcept {
    remove_all();
}

void install() {
    fork_generation();  // its fork handler, before any child can be made
    if (std::atexit(at_exit) != 0) throw std::system_error(ENOMEM, std::system_category());
    for (int i = 0; i < g_signal_count; ++i) {
        if (::sigaction(g_signals[i], nullptr, &g_previous[i]) != 0)
            throw std::system_error(errno, std::system_category(), "sigaction");
        // Ignored (nohup's SIGHUP): stays ignored, and removes nothing.
        if ((g_previous[i].sa_flags & SA_SIGINFO) == 0 && g_previous[i].sa_handler == SIG_IGN)
            continue;
        struct sigaction ours {};
        ours.sa_sigaction = on_signal;
        // A previous handler that returns keeps its restart and stack choice.
        ours.sa_flags = SA_SIGINFO | (g_previous[i].sa_flags & (SA_RESTART | SA_ONSTACK));
        // Blocked while it runs: the four (one cleanup at a time on this
        // thread), and whatever the previous handler had blocked for itself.
        sigemptyset(&ours.sa_mask);
        for (int s : g_signals) sigaddset(&ours.sa_mask, s);
#ifdef NSIG
        for (int s = 1; s < NSIG; ++s)
            if (sigismember(&g_previous[i].sa_mask, s) == 1) sigaddset(&ours.sa_mask, s);
#endif
        if (::sigaction(g_signals[i], &ours, nullptr) != 0)
            throw std::system_error(errno, std::system_category(), "sigaction");
    }
}
#endif

}  // namespace

void remove_all() noexcept {
    // One cleanup at a time: a second signal on another thread, or one
    // interrupting the exit's cleanup, leaves it to the one running.
    if (g_busy.exchange(true, std::memory_order_acquire)) return;
    const int saved = errno;
    const pid_t me = ::getpid();
    // Files first: one inside a registered directory goes before its tree.
    for (name_kind kind : {name_kind::file, name_kind::directory})
        for (chunk* c = g_head.load(std::memory_order_acquire); c != nullptr; c = c->next)
            for (std::uint32_t i = 0; i < chunk::size; ++i)
                if (take(*c, i, me, kind)) remove_path(g_path, kind);
    errno = saved;
    g_busy.store(false, std::memory_order_release);
}

void enable() {
    static std::once_flag once;
    std::call_once(once, [] {
        install();
        g_enabled.store(true, std::memory_order_release);
    });
}

}  // namespace tempio::detail::signal_cleanup

namespace tempio {

void enable_signal_cleanup() {
    detail::signal_cleanup::enable();
}

bool signal_cleanup_enabled() noexcept {
    return detail::signal_cleanup::enabled();
}

void signal_cleanup_now() noexcept {
    detail::signal_cleanup::remove_all();
}

}  // namespace tempio
