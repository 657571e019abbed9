// The POSIX subset on Win32 (posix_api.hpp): reads, writes, positions,
// flushes, listings, and what is done to a name through an open handle.
#include <windows.h>
#include <winternl.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "platform/windows/nt.hpp"
#include "platform/windows/posix_api.hpp"

namespace tempio::detail::os {

namespace nt {
namespace {
// The C runtime's descriptors are small integers (its table holds 8192 at
// most by default); one bit each.
constexpr int max_fds = 1 << 16;
std::atomic<unsigned char> g_append[max_fds];

// Information classes winternl.h does not name.
constexpr int file_rename_information = 10;
constexpr int file_link_information = 11;
constexpr int file_disposition_information = 13;
constexpr int file_disposition_information_ex = 64;
constexpr int file_rename_information_ex = 65;

// FILE_RENAME_INFORMATION and FILE_LINK_INFORMATION share this layout.
int name_information(void* handle, int newdirfd, const char* newpath, unsigned long flags,
                     int info_class) noexcept {
    name n;
    if (!name_of(newdirfd, newpath, n)) return -1;
    try {
        std::size_t bytes = n.text.size() * sizeof(wchar_t);
        std::vector<unsigned char> buf(sizeof(FILE_RENAME_INFO) + bytes);
        auto* info = reinterpret_cast<FILE_RENAME_INFO*>(buf.data());
        info->Flags = flags;
        info->RootDirectory = static_cast<HANDLE>(n.root);
        info->FileNameLength = static_cast<DWORD>(bytes);
        std::memcpy(info->FileName, n.text.data(), bytes);
        return set_information(handle, info, static_cast<unsigned long>(buf.size()), info_class);
    } catch (...) {
        errno = ENOMEM;
        return -1;
    }
}
}  // namespace

void set_append(int fd, bool append) noexcept {
    if (fd >= 0 && fd < max_fds) g_append[fd].store(append ? 1 : 0, std::memory_order_relaxed);
}
bool is_append(int fd) noexcept {
    return fd >= 0 && fd < max_fds && g_append[fd].load(std::memory_order_relaxed) != 0;
}

int delete_open(void* handle, unsigned long attributes) noexcept {
    // Windows 10 1709+ on NTFS: the name goes at once, even while the file
    // is open elsewhere (FILE_SHARE_DELETE); read-only ignored (1809+).
    FILE_DISPOSITION_INFO_EX ex{};
    ex.Flags = FILE_DISPOSITION_FLAG_DELETE | FILE_DISPOSITION_FLAG_POSIX_SEMANTICS |
               FILE_DISPOSITION_FLAG_IGNORE_READONLY_ATTRIBUTE;
    if (set_information(handle, &ex, sizeof ex, file_disposition_information_ex) == 0) return 0;
    if (errno != EINVAL && errno != EOPNOTSUPP && errno != EACCES) return -1;
    // Older systems, FAT, Wine: the classic disposition. The name stays
    // until the last handle closes (a listing still shows it); a read-only
    // file is made writable first, as CPython's rmtree does.
    if (attributes & FILE_ATTRIBUTE_READONLY) {
        FILE_BASIC_INFO basic{};
        basic.FileAttributes = (attributes & ~DWORD{FILE_ATTRIBUTE_READONLY});
        if (basic.FileAttributes == 0) basic.FileAttributes = FILE_ATTRIBUTE_NORMAL;
        SetFileInformationByHandle(static_cast<HANDLE>(handle), FileBasicInfo, &basic,
                                   sizeof basic);
    }
    FILE_DISPOSITION_INFO classic{};
    classic.DeleteFile = TRUE;
    return set_information(handle, &classic, sizeof classic, file_disposition_information);
}

namespace {
// Whether `path` (relative to `dirfd`) names the open file itself.
bool is_name_of(void* handle, int dirfd, const char* path) noexcept {
    void* other = nullptr;
    const int saved = errno;
    if (open(dirfd, path, FILE_READ_ATTRIBUTES, 0, FILE_OPEN, FILE_OPEN_REPARSE_POINT, &other) !=
        0) {
        errno = saved;
        return false;
    }
    BY_HANDLE_FILE_INFORMATION a{}, b{};
    const bool same = GetFileInformationByHandle(static_cast<HANDLE>(handle), &a) &&
                      GetFileInformationByHandle(static_cast<HANDLE>(other), &b) &&
                      a.dwVolumeSerialNumber == b.dwVolumeSerialNumber &&
                      a.nFileIndexHigh == b.nFileIndexHigh && a.nFileIndexLow == b.nFileIndexLow;
    CloseHandle(static_cast<HANDLE>(other));
    errno = saved;
    return same;
}
}  // namespace

int rename_open(void* handle, int newdirfd, const char* newpath, bool replace) noexcept {
    if (replace) {
        // A replace that works while the target is open elsewhere (POSIX
        // semantics), else the classic one.
        if (name_information(handle, newdirfd, newpath,
                             FILE_RENAME_FLAG_REPLACE_IF_EXISTS | FILE_RENAME_FLAG_POSIX_SEMANTICS,
                             file_rename_information_ex) == 0)
            return 0;
        if (errno != EINVAL && errno != EOPNOTSUPP) return -1;
        return name_information(handle, newdirfd, newpath, TRUE, file_rename_information);
    }
    // Windows renames a file to a name it already has as a success doing
    // nothing; a rename that never replaces says the name exists, as
    // renameat2(RENAME_NOREPLACE) and link(2) do.
    if (is_name_of(handle, newdirfd, newpath)) {
        errno = EEXIST;
        return -1;
    }
    return name_information(handle, newdirfd, newpath, FALSE, file_rename_information);
}

int link_open(void* handle, int newdirfd, const char* newpath) noexcept {
    return name_information(handle, newdirfd, newpath, FALSE, file_link_information);
}

}  // namespace nt

namespace {
constexpr DWORD max_transfer = 1u << 30;

HANDLE checked_handle(int fd) noexcept {
    return static_cast<HANDLE>(handle_of(fd));
}

long long failed() noexcept {
    DWORD e = GetLastError();
    if (e == ERROR_HANDLE_EOF || e == ERROR_BROKEN_PIPE) return 0;
    errno = errno_of_win32(e);
    return -1;
}

bool position(HANDLE h, std::int64_t& at) noexcept {
    LARGE_INTEGER zero{}, now{};
    if (!SetFilePointerEx(h, zero, &now, FILE_CURRENT)) return false;
    at = now.QuadPart;
    return true;
}
void set_position(HANDLE h, std::int64_t at) noexcept {
    LARGE_INTEGER to{};
    to.QuadPart = at;
    SetFilePointerEx(h, to, nullptr, FILE_BEGIN);
}

// One WriteFile at the position, at an offset (off >= 0), or at the end.
long long write_one(HANDLE h, const void* buf, std::size_t n, std::int64_t off,
                    bool append) noexcept {
    DWORD done = 0;
    DWORD ask = static_cast<DWORD>(std::min<std::size_t>(n, max_transfer));
    OVERLAPPED ov{};
    OVERLAPPED* where = nullptr;
    if (append) {
        ov.Offset = ov.OffsetHigh = 0xFFFFFFFF;  // FILE_WRITE_TO_END_OF_FILE
        where = &ov;
    } else if (off >= 0) {
        ov.Offset = static_cast<DWORD>(off);
        ov.OffsetHigh = static_cast<DWORD>(static_cast<std::uint64_t>(off) >> 32);
        where = &ov;
    }
    if (!WriteFile(h, buf, ask, &done, where)) return failed();
    return done;
}
}  // namespace

long long read(int fd, void* buf, std::size_t n) noexcept {
    HANDLE h = checked_handle(fd);
    if (h == INVALID_HANDLE_VALUE) return -1;
    DWORD done = 0;
    if (!ReadFile(h, buf, static_cast<DWORD>(std::min<std::size_t>(n, max_transfer)), &done,
                  nullptr))
        return failed();
    return done;
}

long long pread(int fd, void* buf, std::size_t n, std::int64_t off) noexcept {
    HANDLE h = checked_handle(fd);
    if (h == INVALID_HANDLE_VALUE) return -1;
    // A synchronous handle's position moves with an OVERLAPPED offset too:
    // put it back, as pread(2) never moves it.
    std::int64_t at = 0;
    if (!position(h, at)) return failed();
    OVERLAPPED ov{};
    ov.Offset = static_cast<DWORD>(off);
    ov.OffsetHigh = static_cast<DWORD>(static_cast<std::uint64_t>(off) >> 32);
    DWORD done = 0;
    BOOL ok =
        ReadFile(h, buf, static_cast<DWORD>(std::min<std::size_t>(n, max_transfer)), &done, &ov);
    DWORD e = GetLastError();
    set_position(h, at);
    if (!ok) {
        SetLastError(e);
        return failed();
    }
    return done;
}

long long write(int fd, const void* buf, std::size_t n) noexcept {
    HANDLE h = checked_handle(fd);
    if (h == INVALID_HANDLE_VALUE) return -1;
    return write_one(h, buf, n, -1, nt::is_append(fd));
}

long long writev(int fd, const iovec* iov, int iovcnt) noexcept {
    HANDLE h = checked_handle(fd);
    if (h == INVALID_HANDLE_VALUE) return -1;
    bool append = nt::is_append(fd);
    long long total = 0;
    for (int i = 0; i < iovcnt; ++i) {
        if (iov[i].iov_len == 0) continue;
        long long r = write_one(h, iov[i].iov_base, iov[i].iov_len, -1, append);
        if (r < 0) return total > 0 ? total : -1;
        total += r;
        if (static_cast<std::size_t>(r) < iov[i].iov_len) break;  // short: say so
    }
    return total;
}

long long pwritev(int fd, const iovec* iov, int iovcnt, std::int64_t off) noexcept {
    HANDLE h = checked_handle(fd);
    if (h == INVALID_HANDLE_VALUE) return -1;
    std::int64_t at = 0;
    if (!position(h, at)) return failed();
    bool append = nt::is_append(fd);
    long long total = 0;
    for (int i = 0; i < iovcnt; ++i) {
        if (iov[i].iov_len == 0) continue;
        long long r = write_one(h, iov[i].iov_base, iov[i].iov_len, off + total, append);
        if (r < 0) {
            if (total == 0) total = -1;
            break;
        }
        total += r;
        if (static_cast<std::size_t>(r) < iov[i].iov_len) break;
    }
    int err = errno;
    set_position(h, at);
    errno = err;
    return total;
}

std::int64_t lseek(int fd, std::int64_t off, int whence) noexcept {
    HANDLE h = checked_handle(fd);
    if (h == INVALID_HANDLE_VALUE) return -1;
    DWORD method = whence == SEEK_SET ? FILE_BEGIN : whence == SEEK_CUR ? FILE_CURRENT : FILE_END;
    if (whence != SEEK_SET && whence != SEEK_CUR && whence != SEEK_END) {
        errno = EINVAL;
        return -1;
    }
    LARGE_INTEGER to{}, now{};
    to.QuadPart = off;
    if (!SetFilePointerEx(h, to, &now, method)) {
        errno = errno_of_win32(GetLastError());
        return -1;
    }
    return now.QuadPart;
}

int ftruncate(int fd, std::int64_t size) noexcept {
    HANDLE h = checked_handle(fd);
    if (h == INVALID_HANDLE_VALUE) return -1;
    if (size < 0) {
        errno = EINVAL;
        return -1;
    }
    FILE_END_OF_FILE_INFO eof{};
    eof.EndOfFile.QuadPart = size;
    if (!SetFileInformationByHandle(h, FileEndOfFileInfo, &eof, sizeof eof)) {
        errno = errno_of_win32(GetLastError());
        return -1;
    }
    return 0;
}

int fsync(int fd) noexcept {
    HANDLE h = checked_handle(fd);
    if (h == INVALID_HANDLE_VALUE) return -1;
    BY_HANDLE_FILE_INFORMATION info{};
    if (GetFileInformationByHandle(h, &info) && (info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY))
        return 0;  // Windows flushes no directory: NTFS journals its names (docs/platforms.md)
    if (FlushFileBuffers(h)) return 0;
    DWORD e = GetLastError();
    if (e == ERROR_ACCESS_DENIED) {
        // FlushFileBuffers needs write access; fsync(2) flushes through a
        // descriptor opened for reading too (a durable tree opens each
        // file read-only). The same file, reopened for writing to flush it.
        HANDLE w =
            ReOpenFile(h, GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, 0);
        if (w != INVALID_HANDLE_VALUE) {
            const bool flushed = FlushFileBuffers(w) != 0;
            e = flushed ? 0 : GetLastError();
            CloseHandle(w);
            if (flushed) return 0;
        } else {
            e = GetLastError();
        }
    }
    errno = errno_of_win32(e);
    return -1;
}

// ---- listings -----------------------------------------------------------------

struct dir_stream {
    int fd = -1;
    bool restart = true;
    bool done = false;
    DWORD pos = 0;
    DWORD end = 0;
    dir_entry entry;
    alignas(8) unsigned char buf[32 * 1024];
};

dir_stream* fdopendir(int fd) noexcept {
    if (checked_handle(fd) == INVALID_HANDLE_VALUE) return nullptr;
    auto* d = new (std::nothrow) dir_stream;
    if (d == nullptr) {
        errno = ENOMEM;
        return nullptr;
    }
    d->fd = fd;
    return d;
}

dir_entry* readdir(dir_stream* d) noexcept {
    HANDLE h = checked_handle(d->fd);
    for (;;) {
        if (d->pos >= d->end) {
            if (d->done) {
                errno = 0;
                return nullptr;
            }
            FILE_INFO_BY_HANDLE_CLASS what =
                d->restart ? FileIdBothDirectoryRestartInfo : FileIdBothDirectoryInfo;
            d->restart = false;
            if (!GetFileInformationByHandleEx(h, what, d->buf, sizeof d->buf)) {
                DWORD e = GetLastError();
                if (e == ERROR_NO_MORE_FILES) {
                    d->done = true;
                    errno = 0;
                    return nullptr;
                }
                errno = errno_of_win32(e);
                return nullptr;
            }
            d->pos = 0;
            d->end = sizeof d->buf;
        }
        auto* info = reinterpret_cast<FILE_ID_BOTH_DIR_INFO*>(d->buf + d->pos);
        d->pos = info->NextEntryOffset == 0 ? d->end : d->pos + info->NextEntryOffset;
        std::size_t units = info->FileNameLength / sizeof(wchar_t);
        const wchar_t* name = info->FileName;
        if ((units == 1 && name[0] == L'.') || (units == 2 && name[0] == L'.' && name[1] == L'.'))
            continue;
        std::string utf8;
        if (!narrow(name, units, utf8) || utf8.size() >= sizeof d->entry.d_name) continue;
        std::memcpy(d->entry.d_name, utf8.c_str(), utf8.size() + 1);
        DWORD attrs = info->FileAttributes;
        // A reparse point's tag is in EaSize (FILE_ID_BOTH_DIR_INFO's rule).
        bool link =
            (attrs & FILE_ATTRIBUTE_REPARSE_POINT) &&
            (info->EaSize == IO_REPARSE_TAG_SYMLINK || info->EaSize == IO_REPARSE_TAG_MOUNT_POINT);
        d->entry.d_type = link ? DT_LNK : (attrs & FILE_ATTRIBUTE_DIRECTORY) ? DT_DIR : DT_REG;
        return &d->entry;
    }
}

int dirfd(dir_stream* d) noexcept {
    return d->fd;
}

int closedir(dir_stream* d) noexcept {
    int r = close(d->fd);
    delete d;
    return r;
}

}  // namespace tempio::detail::os
