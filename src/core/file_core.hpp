// The state and blocking operations of one temporary file: an fd with a
// user-space write buffer, or (spooled, before rollover) a memory buffer.
// The async layer (src/async/file_ops.cpp) decides per operation whether it
// can run on the caller's thread (no system call) or needs one worker hop.
#pragma once

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/system/error_code.hpp>

#include "core/core_slots.hpp"
#include "core/create.hpp"
#include "core/memory_image.hpp"
#include "core/mode.hpp"
#include "core/on_demand_path.hpp"
#include "core/publish.hpp"
#include "core/signal_cleanup.hpp"
#include "core/steps/io_steps.hpp"
#include "core/steps/remove_name_steps.hpp"
#include "core/sys.hpp"
#include "core/write_behind.hpp"
#include "tempio/unique_fd.hpp"

namespace tempio::detail {

using boost::system::error_code;

enum class file_kind { anonymous, named, spooled };

struct file_request {
    file_kind kind = file_kind::anonymous;
    std::string mode = "w+b";
    name_request names;
    std::size_t buffer_size = 65536;  // 0: every write reaches the kernel at once
    bool keep = false;
    bool delete_on_close = true;
    std::size_t max_size = 0;  // spooled only
    // Anonymous: O_TMPFILE without O_EXCL, so that it can be published
    // (linked) later. A spooled file's rollover file always is.
    bool linkable = false;
    // Its directory is on a memory file system (core/memory_fs.hpp): its
    // close may run on the calling thread.
    bool on_memory_fs = false;
    // Bounded writes may run at once on a memory file system
    // (TEMPIO_INLINE=writes or on): when on_memory_fs was not known at
    // creation, the first flush learns it (writes_at_once). Otherwise nothing
    // asks, and no fstatfs is made.
    bool learns_memory_fs = false;
};

class file_core;
using file_ptr = std::shared_ptr<file_core>;

class file_core : public std::enable_shared_from_this<file_core> {
  public:
    // Validates the request; creates nothing (spooled) or opens the file.
    static std::shared_ptr<file_core> create(file_request req, error_code& ec);
    static std::shared_ptr<file_core> create_spooled(file_request req, error_code& ec);
    // atomic_file: a linkable O_TMPFILE in the target's directory, else (no
    // O_TMPFILE there) a hidden ".<name>.XXXXXXXX" file deleted unless
    // committed. `to` is what commit() publishes.
    static std::shared_ptr<file_core> create_atomic(file_request req, publish_request to,
                                                    error_code& ec);
    // For a backend that opens the file itself: check the mode and affixes
    // first (from the caller's views, before any request is built), then
    // adopt what was opened (`path` empty for an anonymous file). adopt fstats
    // a named file for its identity (see remove_name); when that fails it
    // closes the file, removes the name and returns null with the error, as
    // create() does.
    static error_code prepare(std::string_view mode_text, std::string_view prefix,
                              std::string_view suffix, open_mode& mode);
    static std::shared_ptr<file_core> adopt(file_request&& req, open_mode mode, unique_fd fd,
                                            std::string path, error_code& ec);
    // Closes and deletes as configured; never throws. In another process (a
    // forked child destroying its copy) it only closes: the name belongs to
    // the creating process.
    ~file_core();

    file_core(const file_core&) = delete;
    file_core& operator=(const file_core&) = delete;

    // --- queries, free of system calls ---
    // Where operations find this core (detail::core_ref).
    core_ref ref() const noexcept {
        return {slot_, slot_->generation.load(std::memory_order_relaxed)};
    }
    bool is_open() const noexcept { return !closed_; }
    bool in_memory() const noexcept { return in_memory_; }
    bool on_memory_fs() const noexcept { return req_.on_memory_fs; }
    int native_handle() const noexcept { return fd_.get(); }
    const std::string& path() const noexcept { return path_.native(); }
    // The same, as the public headers hand it out (path(); made on first
    // request). Throws std::bad_alloc.
    const std::filesystem::path& public_path() const { return path_.public_path(); }
    // Whether an operation can complete without a system call (a spooled
    // file's rollover is never free: it runs on a worker).
    bool write_is_free(std::size_t n) const noexcept;
    // A write of n bytes that may run on the calling thread although it
    // makes a system call: the file is known to be on a memory file system
    // (at creation, or learned at its first flush: learns_memory_fs) and
    // the buffer plus n is at most at_once_write_max bytes (a memory copy of
    // tens of microseconds, less than one hand-off: DESIGN section 9).
    static constexpr std::size_t at_once_write_max = std::size_t(128) << 10;
    bool writes_at_once(std::size_t n) const noexcept {
        return memory_fs_ == memory_fs::yes && !closed_ && !in_memory_ && mode_.writable &&
               n <= at_once_write_max && wbuf_.size() + n <= at_once_write_max && behind_quiet();
    }
    bool flushes_at_once() const noexcept { return writes_at_once(0); }
    // A write of n bytes that will succeed without a system call (try_write):
    // open, writable, into the buffer or memory, no rollover.
    bool accepts_write_now(std::size_t n) const noexcept {
        return !closed_ && mode_.writable && write_is_free(n);
    }
    // The common case of write() inlined for try_write: an fd's buffer
    // takes the bytes (nothing read ahead, not append mode, no EFBIG).
    // False, nothing changed: write() decides.
    bool buffer_now(const char* data, std::size_t n) noexcept {
        if (closed_ || in_memory_ || !mode_.writable || mode_.append || read_buffered() != 0 ||
            req_.buffer_size == 0 || n > req_.buffer_size - wbuf_.size() ||
            wbuf_.size() > req_.buffer_size || n > max_offset - (kpos_ + wbuf_.size()))
            return false;
        try {
            wbuf_.append(data, n);
        } catch (...) {
            return false;
        }
        return true;
    }
    bool tell_is_free() const noexcept { return closed_ || in_memory_ || pos_known_; }
    bool flush_is_free() const noexcept {
        return closed_ || in_memory_ || (wbuf_.empty() && behind_quiet());
    }
    // Reads the read buffer can serve whole (readline: a '\n' is buffered).
    bool readline_is_free() const noexcept { return !buffered_line().empty(); }
    bool read_is_free(std::size_t max) const noexcept {
        return !closed_ && !in_memory_ && mode_.readable && max != SIZE_MAX &&
               max <= read_buffered();
    }
    bool readinto_is_free() const noexcept {
        return !closed_ && !in_memory_ && mode_.readable && read_buffered() != 0;
    }
    bool truncate_is_free(const std::uint64_t* size) const noexcept;
    bool sync_is_free() const noexcept { return closed_ || in_memory_; }

    // --- write-behind (core/write_behind.hpp): a write of n bytes the buffer
    // cannot take, while no earlier full buffer is being written, may hand
    // the full buffer to a worker and start the next buffer with its bytes;
    // the write then needs no hop. Every operation that needs the kernel
    // (flush, close, reads, seek, ...) first settles it and puts back what
    // it could not write, so its error is the next one's.
    // Null (nothing changed) when it cannot; else the job to run on a worker.
    std::shared_ptr<write_behind> start_write_behind(const char* data, std::size_t n) noexcept;

    // --- blocking operations (any may be called on a worker) ---
    std::size_t write(const char* data, std::size_t n, error_code& ec);
    std::string read(std::size_t max, error_code& ec);  // max == SIZE_MAX: to EOF
    std::string readline(error_code& ec);
    // The next whole line in the read buffer, through its '\n', searched
    // once and not consumed (consume_buffered does); empty when none is
    // buffered or the file is not read from. Inline: async_readline's fast
    // path is this, one std::string and consume_buffered.
    std::string_view buffered_line() const noexcept {
        if (closed_ || in_memory_ || !mode_.readable || !wbuf_.empty()) return {};
        const char* begin = rbuf_.data() + rpos_;
        auto* nl = static_cast<const char*>(std::memchr(begin, '\n', read_buffered()));
        return nl ? std::string_view(begin, static_cast<std::size_t>(nl - begin) + 1)
                  : std::string_view();
    }
    void consume_buffered(std::size_t n) noexcept { rpos_ += n; }  // n <= read_buffered()
    std::vector<std::string> readlines(error_code& ec);
    std::size_t readinto(char* data, std::size_t n, error_code& ec);
    std::uint64_t seek(std::int64_t off, int whence, error_code& ec);
    std::uint64_t tell(error_code& ec);
    std::uint64_t truncate(const std::uint64_t* size, error_code& ec);
    void flush(error_code& ec);
    // flush(), then fsync (fdatasync when data_only). In memory: nothing to do.
    void sync(bool data_only, error_code& ec);
    void close(error_code& ec);     // idempotent
    void rollover(error_code& ec);  // spooled: memory -> file, keeps position
    int fileno(error_code& ec);     // spooled: rolls over, flushes
    // Closes and deletes whatever the settings (a cancelled creation, an
    // abandoned atomic_file); a name that could not be removed is the error,
    // retried by the destructor.
    error_code discard() noexcept;
    // Publishing (core/publish.hpp, file_publish.cpp): the file gets the name
    // `r.target` and is never deleted from then on; on failure nothing
    // changed (the file keeps its temporary name, or none, and is deleted as
    // before). A spooled file still in memory is written to a new file in the
    // target's directory first. `close_after`: closed once published (commit).
    void publish(const publish_request& r, bool close_after, error_code& ec);
    // atomic_file: publish as created for (permissions: the replaced
    // target's mode, else 0666 & ~umask, unless given), then close.
    void commit(error_code& ec);

    // Group publishing (core/group_publish.cpp, DESIGN section 12): every
    // file's data made durable (as each request says), then every name
    // given, in order, then one fsync per distinct target directory. A
    // failure before the first name changes publishes nothing; a failure of
    // the k-th name leaves the first k published (the count returned), the
    // rest untouched. The cores must be distinct (else EINVAL) and have no
    // other operation running.
    static std::size_t commit_all(const std::vector<file_ptr>& files, error_code& ec);
    static std::size_t publish_all(const std::vector<file_ptr>& files,
                                   const std::vector<publish_request>& requests, error_code& ec);
    // The error latch (docs/publishing.md): the first error of a write,
    // flush, sync or truncate that reached the file (not a refusal such as
    // a closed file or a read-only mode). From then on every publish fails
    // with it and changes nothing: the file may hold part of what was
    // written. Drivers that write themselves (src/async/ops) report here.
    void note_write_error(const error_code& e) noexcept {
        if (e && !write_error_) write_error_ = e;
    }
    const error_code& write_error() const noexcept { return write_error_; }
    // Stop deleting (Rust's keep()): returns the path.
    const std::string& keep() noexcept {
        req_.keep = true;
        name_watch_.reset();  // the user's now: not removed on a signal
        return path_.native();
    }

    // --- direct I/O: operations that are nothing but system calls on the fd
    // (core/steps), which a driver may make itself (src/async/ops) ---
    // A close on disk is: the write buffer written out, close(fd), then,
    // for a named file deleted at close, the name's removal
    // (core/steps/close_file_steps.hpp: close_removal, note_name_removed). begin
    // hands the fd, the unwritten bytes and where they go (write_start)
    // over (the file counts as closed from now on); -1 when closed already
    // or in memory (close() then).
    int begin_direct_close(std::string& unwritten, std::int64_t& start) noexcept;
    bool removes_name_after_close() const noexcept { return unlinks_at_close(); }
    // The name removal a close makes: a named file deleted at close.
    std::optional<remove_name_steps> close_removal() const {
        if (!removes_name_after_close()) return std::nullopt;
        return name_removal();
    }
    // Unlinks path_ if it still names this file (its identity, from
    // creation); gone, or another file under the name: no error.
    remove_name_steps name_removal() const noexcept;
    // A refused unlink is reported; the destructor tries once more.
    void note_name_removed(const error_code& rm) noexcept {
        deleted_ = !rm;
        if (deleted_) name_watch_.reset();
    }
    // A write that goes straight to the kernel at the file position: nothing
    // buffered, too big for the buffer, not in append mode.
    bool writes_through(std::size_t n) const noexcept;
    // A read that is only read(2) calls at the file position: nothing
    // buffered to write first, position known.
    bool reads_through() const noexcept {
        return !closed_ && !in_memory_ && mode_.readable && wbuf_.empty() && pos_known_ &&
               read_buffered() == 0 && behind_quiet();
    }
    // Direct reads and writes moved the kernel's position by n.
    void advance(std::size_t n) noexcept { kpos_ += n; }
    // Where a write to the kernel goes now (core/steps/io_steps.hpp): the
    // kernel's offset, or at_end in append mode, where it is not known.
    std::int64_t write_start() const noexcept {
        return mode_.append ? at_end : static_cast<std::int64_t>(kpos_);
    }
    // Where a read from the kernel starts: the kernel's offset (known
    // whenever one is made: reads_through, or after flush_buffer).
    std::uint64_t read_start() const noexcept { return kpos_; }

    // Only file_core makes one (make): one allocation for it and its count.
    class key {
        friend class file_core;
        explicit key() = default;
    };
    file_core(key, file_request&& req, open_mode mode);

  private:
    static std::shared_ptr<file_core> make(file_request&& req, open_mode mode);
    static error_code last_error();  // errno as an error_code (EIO if errno is 0)
    // A named file, to delete at close, not deleted yet.
    bool unlinks_at_close() const noexcept {
        return !path_.empty() && !req_.keep && req_.delete_on_close && !deleted_;
    }
    bool check(bool want_read, bool want_write, error_code& ec) const;
    // write() and truncate() once check() passed (their errors latch).
    std::size_t write_checked(const char* data, std::size_t n, error_code& ec);
    std::uint64_t truncate_checked(const std::uint64_t* size, error_code& ec);
    bool can_write_behind(std::size_t n) const noexcept;
    // No write-behind outstanding, or one written whole: the fd and kpos_
    // are as if the bytes had been written here (checked without waiting).
    bool behind_quiet() const noexcept { return !behind_ || behind_->quiet(); }
    // Waits for an outstanding write-behind (blocking: only where the file's
    // operations may block) and puts back the bytes it did not write, in
    // front of the buffer. False only when they could be neither kept (no
    // memory) nor written: ec says why, and they are lost.
    bool settle_behind(error_code& ec);
    // The write buffer to the kernel, and the read buffer given back (the
    // kernel's offset moved to the logical position): what every operation
    // that uses the kernel's offset needs first.
    bool flush_buffer(error_code& ec);
    bool flush_writes(error_code& ec);
    bool drop_read_buffer(error_code& ec);
    // Bytes read from the kernel ahead of the position (readline's buffer).
    std::size_t read_buffered() const noexcept { return rbuf_.size() - rpos_; }
    // Takes up to n buffered bytes.
    std::size_t take_buffered(char* out, std::size_t n) noexcept;
    bool sync_position(error_code& ec);
    std::size_t write_fd(const char* data, std::size_t n, error_code& ec);
    // In memory: whether a write of n bytes rolls over.
    bool write_rolls_over(std::size_t n) const noexcept;
    // The read loops on the fd (they may throw bad_alloc: the callers catch).
    void read_fd(std::string& out, std::size_t max, error_code& ec);
    void readline_fd(std::string& out, error_code& ec);
    // Puts the position back after a read whose result could not be allocated.
    void unread(std::uint64_t start) noexcept;
    // Records the named file's device and inode (fstat).
    bool note_identity(error_code& ec);
    error_code remove_name();  // name_removal(), blocking
    void destroy() noexcept;
    void set_path(std::string path);
    // The temporary name path_ registered for removal on a signal
    // (core/signal_cleanup.hpp): while it exists and is ours to delete.
    void watch_name() noexcept {
        name_watch_.watch(path_.native(), signal_cleanup::name_kind::file);
    }
    // A publish in two phases, so that a group can make every file's data
    // durable before any name changes (commit_all, publish_all); a single
    // publish is a group of one (publish_at).
    // What phase one made for phase two: a new file beside the target that
    // holds the data (a spooled file's memory, a copy), removed unless
    // published.
    struct prepared {
        unique_fd fresh;
        std::string fresh_path;        // its hidden name; empty: anonymous (linked)
        bool replaces_source = false;  // a copy across file systems: our old name goes after
        signal_cleanup::registered_name watch;  // fresh_path, while it is ours
        prepared() = default;
        prepared(prepared&&) = delete;  // the signal registration stays put
        prepared& operator=(prepared&&) = delete;
        ~prepared();
    };
    // Phase one: everything before the name changes (the buffer flushed,
    // the data written beside the target where it must be, the mode set,
    // the data synced when durable). Nothing visible changes.
    bool prepare_publish(const target_place& target, const publish_request& r, prepared& p,
                         error_code& ec);
    // Phase two: the rename or link (a late copy when it meets EXDEV and
    // the request allows one). True once the target is ours, ec then
    // possibly a later error (our old name could not be removed).
    bool name_into_place(const target_place& target, const publish_request& r, prepared& p,
                         error_code& ec);
    // The copy beside the target (hidden name) that phase two renames:
    // a spooled file's memory, an unnamed file, or one on another file system.
    template <class Fill>
    bool copy_beside(const target_place& target, const publish_request& r, Fill fill, prepared& p,
                     error_code& ec);
    bool copy_across(const target_place& target, const publish_request& r, prepared& p,
                     error_code& ec);
    // atomic_file's commit, phase one (the latch, the target's mode, owner
    // and attributes as preserve says, then prepare_publish) and phase two
    // (the name, then close; the directory synced when sync_directory).
    bool prepare_commit(publish_request& r, prepared& p, error_code& ec);
    bool finish_commit(const publish_request& r, prepared& p, bool sync_dir, error_code& ec);
    // What commit() takes of the replaced target (preserve_*).
    bool take_from_target(const target_place& place, publish_request& r, error_code& ec);
    // Not closed, no latched error, not an exchange (directories only).
    bool publishable(const publish_request& r, error_code& ec) const;
    // publish() once the target is resolved.
    void publish_at(const target_place& target, const publish_request& r, bool close_after,
                    error_code& ec);
    // A spooled file's data, written to `fd` at its position, is there now.
    void leave_memory(unique_fd fd) noexcept;
    // After the rename or link: the object refers to the target. The
    // directory is synced when sync_dir (a group syncs each directory once).
    void published(const target_place& target, bool close_after, bool sync_dir, error_code& ec);

    core_slot* const slot_;  // operations' way to this core (core/core_slots.hpp)
    file_request req_;
    open_mode mode_;
    unique_fd fd_;
    // Named files only (and published ones).
    on_demand_path path_;
    bool linkable_ = false;                       // an O_TMPFILE opened without O_EXCL
    std::optional<publish_request> commit_to_;    // atomic_file only
    std::unique_ptr<target_place> commit_place_;  // atomic_file: where commit_to_ resolved
    // The named file's identity, from an fstat when it was created.
    std::optional<file_identity> identity_;
    error_code write_error_;                      // the latch: note_write_error
    signal_cleanup::registered_name name_watch_;  // watch_name
    bool closed_ = false;
    bool deleted_ = false;
    unsigned generation_;  // fork_generation(): the destructor deletes only in the creating process
    // Whether the file is on a memory file system (writes_at_once).
    enum class memory_fs : unsigned char { unknown, yes, no };
    memory_fs memory_fs_ = memory_fs::unknown;
    // fd mode: bytes not yet written, to go to the kernel offset kpos_.
    std::string wbuf_;
    // fd mode, reading: bytes read ahead of the position; the kernel's offset
    // kpos_ is their end, the position kpos_ - read_buffered(). Never both
    // buffers hold data: a write gives the read buffer back first.
    std::string rbuf_;
    std::size_t rpos_ = 0;
    std::uint64_t kpos_ = 0;
    bool pos_known_ = true;  // false in append mode after a write
    // spooled, before rollover. Positions never pass INT64_MAX (off_t's
    // limit), as on a rolled-over file.
    bool in_memory_ = false;
    memory_image mem_;
    // The write-behind, shared with the worker writing it (made at the
    // first, dropped at close); outstanding from its start until settled by
    // the thread using the file (its state idle again).
    std::shared_ptr<write_behind> behind_;
};

}  // namespace tempio::detail
