// The POSIX subset on Win32 (posix_api.hpp): opens, names and metadata.
// Reads, writes and directory listings are in io.cpp.
#include "platform/windows/posix_api.hpp"

#include <windows.h>
#include <winternl.h>

#include <cstring>
#include <string>
#include <vector>

#include "platform/windows/nt.hpp"
#include "tempio/unique_fd.hpp"

namespace tempio::detail::os {

bool widen(const char* utf8, std::size_t n, std::wstring& out) noexcept {
    try {
        out.clear();
        if (n == 0) return true;
        int len = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8, static_cast<int>(n),
                                      nullptr, 0);
        if (len <= 0) {
            errno = EILSEQ;
            return false;
        }
        out.resize(static_cast<std::size_t>(len));
        MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8, static_cast<int>(n), out.data(),
                            len);
        return true;
    } catch (...) {
        errno = ENOMEM;
        return false;
    }
}

bool narrow(const wchar_t* utf16, std::size_t n, std::string& out) noexcept {
    try {
        out.clear();
        if (n == 0) return true;
        int len = WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, utf16, static_cast<int>(n),
                                      nullptr, 0, nullptr, nullptr);
        if (len <= 0) {
            errno = EILSEQ;
            return false;
        }
        out.resize(static_cast<std::size_t>(len));
        WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, utf16, static_cast<int>(n), out.data(),
                            len, nullptr, nullptr);
        return true;
    } catch (...) {
        errno = ENOMEM;
        return false;
    }
}

void* handle_of(int fd) noexcept {
    if (fd < 0) {
        errno = EBADF;
        return INVALID_HANDLE_VALUE;
    }
    auto h = reinterpret_cast<HANDLE>(_get_osfhandle(fd));
    if (h == INVALID_HANDLE_VALUE) errno = EBADF;
    return h;
}

namespace nt {

bool name_of(int dirfd, const char* path, name& out) noexcept {
    std::wstring wide;
    if (!widen(path, std::strlen(path), wide)) return false;
    for (auto& c : wide)
        if (c == L'/') c = L'\\';
    bool absolute = (wide.size() >= 2 && wide[1] == L':') || (!wide.empty() && wide[0] == L'\\');
    try {
        if (dirfd != AT_FDCWD && !absolute) {
            // Relative to the directory's handle. The NT layer has no "." or
            // "..": "." components are dropped (an empty name opens the
            // directory itself), and a name with ".." is resolved from the
            // directory's own path, as Win32 would resolve it.
            HANDLE root = static_cast<HANDLE>(handle_of(dirfd));
            if (root == INVALID_HANDLE_VALUE) return false;
            if (wide.empty()) {
                errno = ENOENT;
                return false;
            }
            std::wstring kept;
            bool climbs = false;
            for (std::size_t at = 0; at <= wide.size();) {
                std::size_t end = wide.find(L'\\', at);
                if (end == std::wstring::npos) end = wide.size();
                const std::wstring_view part(wide.data() + at, end - at);
                if (part == L"..") climbs = true;
                if (!part.empty() && part != L".") {
                    if (!kept.empty()) kept += L'\\';
                    kept += part;
                }
                at = end + 1;
            }
            if (!climbs) {
                out.root = root;
                out.text = std::move(kept);
                return true;
            }
            DWORD need = GetFinalPathNameByHandleW(root, nullptr, 0, FILE_NAME_NORMALIZED);
            std::wstring base(need, L'\0');
            DWORD got =
                need ? GetFinalPathNameByHandleW(root, base.data(), need, FILE_NAME_NORMALIZED) : 0;
            if (got == 0 || got >= need) {
                errno = got == 0 ? errno_of_win32(GetLastError()) : ENAMETOOLONG;
                return false;
            }
            base.resize(got);
            // Without its \\?\ prefix, so that GetFullPathNameW below
            // collapses the "..".
            if (base.rfind(L"\\\\?\\UNC\\", 0) == 0)
                base = L"\\\\" + base.substr(8);
            else if (base.rfind(L"\\\\?\\", 0) == 0)
                base = base.substr(4);
            wide = base + L'\\' + wide;
        }
        // A whole path: made absolute as Win32 would ("..", "/", the current
        // directory), then given the NT prefix, which also lifts MAX_PATH.
        if (wide.empty()) {
            errno = ENOENT;
            return false;
        }
        DWORD need = GetFullPathNameW(wide.c_str(), 0, nullptr, nullptr);
        if (need == 0) {
            errno = errno_of_win32(GetLastError());
            return false;
        }
        std::wstring full(need, L'\0');
        DWORD got = GetFullPathNameW(wide.c_str(), need, full.data(), nullptr);
        if (got == 0 || got >= need) {
            errno = got == 0 ? errno_of_win32(GetLastError()) : ENAMETOOLONG;
            return false;
        }
        full.resize(got);
        out.root = nullptr;
        if (full.rfind(L"\\\\?\\", 0) == 0)
            out.text = L"\\??\\" + full.substr(4);
        else if (full.rfind(L"\\\\", 0) == 0)
            out.text = L"\\??\\UNC\\" + full.substr(2);
        else
            out.text = L"\\??\\" + full;
        return true;
    } catch (...) {
        errno = ENOMEM;
        return false;
    }
}

int open(int dirfd, const char* path, unsigned long access, unsigned long attributes,
         unsigned long disposition, unsigned long options, void** handle) noexcept {
    name n;
    if (!name_of(dirfd, path, n)) return -1;
    UNICODE_STRING us;
    us.Buffer = n.text.data();
    us.Length = static_cast<USHORT>(n.text.size() * sizeof(wchar_t));
    us.MaximumLength = us.Length;
    if (n.text.size() * sizeof(wchar_t) > 0xFFFE) {
        errno = ENAMETOOLONG;
        return -1;
    }
    OBJECT_ATTRIBUTES oa;
    InitializeObjectAttributes(&oa, &us, OBJ_CASE_INSENSITIVE, static_cast<HANDLE>(n.root),
                               nullptr);
    IO_STATUS_BLOCK io{};
    HANDLE h = nullptr;
    NTSTATUS st = NtCreateFile(&h, access | SYNCHRONIZE, &oa, &io, nullptr, attributes,
                               FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, disposition,
                               options | FILE_SYNCHRONOUS_IO_NONALERT, nullptr, 0);
    if (st < 0) {
        errno = errno_of_status(st);
        return -1;
    }
    *handle = h;
    return 0;
}

int set_information(void* handle, void* info, unsigned long size, int info_class) noexcept {
    IO_STATUS_BLOCK io{};
    NTSTATUS st = NtSetInformationFile(static_cast<HANDLE>(handle), &io, info, size,
                                       static_cast<FILE_INFORMATION_CLASS>(info_class));
    if (st < 0) {
        errno = errno_of_status(st);
        return -1;
    }
    return 0;
}

}  // namespace nt

namespace {

// Wraps an open handle in a C runtime descriptor, or closes it.
int descriptor_of(HANDLE h, int flags) noexcept {
    int crt = _O_BINARY | ((flags & O_ACCMODE) == O_RDONLY ? _O_RDONLY : 0);
    int fd = _open_osfhandle(reinterpret_cast<intptr_t>(h), crt);
    if (fd < 0) {
        CloseHandle(h);
        errno = EMFILE;
        return -1;
    }
    nt::set_append(fd, (flags & O_APPEND) != 0);
    return fd;
}

// What a reparse point is, for S_IFLNK: symbolic links and junctions are
// links; other reparse points (deduplicated, cloud files) are their files.
bool is_link(HANDLE h, unsigned long attributes) noexcept {
    if ((attributes & FILE_ATTRIBUTE_REPARSE_POINT) == 0) return false;
    FILE_ATTRIBUTE_TAG_INFO tag{};
    if (!GetFileInformationByHandleEx(h, FileAttributeTagInfo, &tag, sizeof tag)) return true;
    return tag.ReparseTag == IO_REPARSE_TAG_SYMLINK || tag.ReparseTag == IO_REPARSE_TAG_MOUNT_POINT;
}

int stat_handle(HANDLE h, file_stat* st) noexcept {
    BY_HANDLE_FILE_INFORMATION info{};
    if (!GetFileInformationByHandle(h, &info)) {
        errno = errno_of_win32(GetLastError());
        return -1;
    }
    *st = file_stat{};
    st->st_dev = info.dwVolumeSerialNumber;
    st->st_ino = (static_cast<std::uint64_t>(info.nFileIndexHigh) << 32) | info.nFileIndexLow;
    st->st_nlink = info.nNumberOfLinks;
    st->st_size = static_cast<std::int64_t>((static_cast<std::uint64_t>(info.nFileSizeHigh) << 32) |
                                            info.nFileSizeLow);
    st->attributes = info.dwFileAttributes;
    unsigned perms = (info.dwFileAttributes & FILE_ATTRIBUTE_READONLY) ? 0444 : 0666;
    if (is_link(h, info.dwFileAttributes))
        st->st_mode = S_IFLNK | 0777;
    else if (info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)
        st->st_mode = S_IFDIR | 0777;
    else
        st->st_mode = S_IFREG | perms;
    // 100 ns since 1601 -> the Unix epoch.
    std::uint64_t t = (static_cast<std::uint64_t>(info.ftLastWriteTime.dwHighDateTime) << 32) |
                      info.ftLastWriteTime.dwLowDateTime;
    constexpr std::uint64_t unix_epoch = 116444736000000000ULL;
    if (t >= unix_epoch) t -= unix_epoch;
    st->st_mtim.tv_sec = static_cast<time_t>(t / 10000000ULL);
    st->st_mtim.tv_nsec = static_cast<long>((t % 10000000ULL) * 100);
    return 0;
}

int set_readonly(HANDLE h, bool readonly) noexcept {
    FILE_BASIC_INFO basic{};
    if (!GetFileInformationByHandleEx(h, FileBasicInfo, &basic, sizeof basic)) {
        errno = errno_of_win32(GetLastError());
        return -1;
    }
    if (basic.FileAttributes & FILE_ATTRIBUTE_DIRECTORY) return 0;  // no meaning for a directory
    DWORD want = readonly ? (basic.FileAttributes | FILE_ATTRIBUTE_READONLY)
                          : (basic.FileAttributes & ~DWORD{FILE_ATTRIBUTE_READONLY});
    if (want == 0) want = FILE_ATTRIBUTE_NORMAL;
    if (want == basic.FileAttributes) return 0;
    FILE_BASIC_INFO set{};
    set.FileAttributes = want;  // zero times: left as they are
    if (!SetFileInformationByHandle(h, FileBasicInfo, &set, sizeof set)) {
        errno = errno_of_win32(GetLastError());
        return -1;
    }
    return 0;
}

}  // namespace

int openat(int dirfd, const char* path, int flags, unsigned mode) noexcept {
    unsigned long access = FILE_READ_ATTRIBUTES;
    unsigned long options = 0;
    if (flags & O_DIRECTORY) {
        access |= FILE_LIST_DIRECTORY | FILE_TRAVERSE;
        options |= FILE_DIRECTORY_FILE;
    } else {
        switch (flags & O_ACCMODE) {
            case O_RDONLY:
                access |= GENERIC_READ;
                break;
            case O_WRONLY:
                access |= GENERIC_WRITE;
                break;
            default:
                access |= GENERIC_READ | GENERIC_WRITE;
                break;
        }
        options |= FILE_NON_DIRECTORY_FILE;
    }
    if (flags & O_NOFOLLOW) options |= FILE_OPEN_REPARSE_POINT;
    unsigned long disposition = FILE_OPEN;
    if ((flags & O_CREAT) && (flags & O_EXCL))
        disposition = FILE_CREATE;
    else if ((flags & O_CREAT) && (flags & O_TRUNC))
        disposition = FILE_OVERWRITE_IF;
    else if (flags & O_CREAT)
        disposition = FILE_OPEN_IF;
    else if (flags & O_TRUNC)
        disposition = FILE_OVERWRITE;
    unsigned long attributes = FILE_ATTRIBUTE_NORMAL;
    if ((flags & O_CREAT) && (mode & 0222) == 0) attributes = FILE_ATTRIBUTE_READONLY;
    void* h = nullptr;
    if (nt::open(dirfd, path, access, attributes, disposition, options, &h) != 0) return -1;
    if (flags & O_NOFOLLOW) {
        // POSIX's O_NOFOLLOW: a link at the name is refused, not opened.
        BY_HANDLE_FILE_INFORMATION info{};
        if (GetFileInformationByHandle(static_cast<HANDLE>(h), &info) &&
            is_link(static_cast<HANDLE>(h), info.dwFileAttributes)) {
            CloseHandle(static_cast<HANDLE>(h));
            errno = ELOOP;
            return -1;
        }
    }
    return descriptor_of(static_cast<HANDLE>(h), flags);
}

int mkdirat(int dirfd, const char* path, unsigned) noexcept {
    void* h = nullptr;
    if (nt::open(dirfd, path, FILE_LIST_DIRECTORY, FILE_ATTRIBUTE_NORMAL, FILE_CREATE,
                 FILE_DIRECTORY_FILE, &h) != 0)
        return -1;
    CloseHandle(static_cast<HANDLE>(h));
    return 0;
}

int unlinkat(int dirfd, const char* path, int flags) noexcept {
    // The name's own file, never a link's target: opened as a reparse point.
    // Then deleted through that handle: POSIX semantics (the name goes now,
    // open handles keep the data) where the file system has them; a
    // read-only file is removed as unlink(2) would, whatever its mode.
    bool dir = (flags & AT_REMOVEDIR) != 0;
    unsigned long options = FILE_OPEN_REPARSE_POINT | (dir ? FILE_DIRECTORY_FILE : 0);
    void* raw = nullptr;
    unsigned long access = DELETE | FILE_READ_ATTRIBUTES | FILE_WRITE_ATTRIBUTES;
    if (nt::open(dirfd, path, access, 0, FILE_OPEN, options, &raw) != 0) {
        if (errno != EACCES) return -1;
        access = DELETE | FILE_READ_ATTRIBUTES;
        if (nt::open(dirfd, path, access, 0, FILE_OPEN, options, &raw) != 0) return -1;
    }
    auto h = static_cast<HANDLE>(raw);
    BY_HANDLE_FILE_INFORMATION info{};
    if (!GetFileInformationByHandle(h, &info)) {
        errno = errno_of_win32(GetLastError());
        CloseHandle(h);
        return -1;
    }
    bool link = is_link(h, info.dwFileAttributes);
    bool is_dir = (info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) != 0 && !link;
    if (!dir && is_dir) {
        CloseHandle(h);
        errno = EISDIR;
        return -1;
    }
    if (dir && link) {
        CloseHandle(h);
        errno = ENOTDIR;
        return -1;
    }
    int r = nt::delete_open(h, info.dwFileAttributes);
    int err = errno;
    CloseHandle(h);
    errno = err;
    return r;
}

int renameat(int olddirfd, const char* oldpath, int newdirfd, const char* newpath,
             bool replace) noexcept {
    void* h = nullptr;
    if (nt::open(olddirfd, oldpath, DELETE | FILE_READ_ATTRIBUTES, 0, FILE_OPEN,
                 FILE_OPEN_REPARSE_POINT, &h) != 0)
        return -1;
    int r = nt::rename_open(h, newdirfd, newpath, replace);
    int err = errno;
    CloseHandle(static_cast<HANDLE>(h));
    errno = err;
    return r;
}

int linkat(int olddirfd, const char* oldpath, int newdirfd, const char* newpath,
           int flags) noexcept {
    void* h = nullptr;
    unsigned long options = (flags & AT_SYMLINK_FOLLOW) ? 0 : FILE_OPEN_REPARSE_POINT;
    if (nt::open(olddirfd, oldpath, FILE_READ_ATTRIBUTES, 0, FILE_OPEN,
                 options | FILE_NON_DIRECTORY_FILE, &h) != 0)
        return -1;
    int r = nt::link_open(h, newdirfd, newpath);
    int err = errno;
    CloseHandle(static_cast<HANDLE>(h));
    errno = err;
    return r;
}

int fstat(int fd, file_stat* st) noexcept {
    auto h = static_cast<HANDLE>(handle_of(fd));
    if (h == INVALID_HANDLE_VALUE) return -1;
    return stat_handle(h, st);
}

int fstatat(int dirfd, const char* path, file_stat* st, int flags) noexcept {
    void* h = nullptr;
    unsigned long options = (flags & AT_SYMLINK_NOFOLLOW) ? FILE_OPEN_REPARSE_POINT : 0;
    if (nt::open(dirfd, path, FILE_READ_ATTRIBUTES, 0, FILE_OPEN, options, &h) != 0) return -1;
    int r = stat_handle(static_cast<HANDLE>(h), st);
    int err = errno;
    CloseHandle(static_cast<HANDLE>(h));
    errno = err;
    return r;
}

int fchmod(int fd, unsigned mode) noexcept {
    auto h = static_cast<HANDLE>(handle_of(fd));
    if (h == INVALID_HANDLE_VALUE) return -1;
    BY_HANDLE_FILE_INFORMATION info{};
    if (GetFileInformationByHandle(h, &info) && (info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY))
        return 0;  // a directory's handle: nothing a mode could change
    return set_readonly(h, (mode & 0222) == 0);
}

int fchmodat(int dirfd, const char* path, unsigned mode, int flags) noexcept {
    void* h = nullptr;
    unsigned long options = (flags & AT_SYMLINK_NOFOLLOW) ? FILE_OPEN_REPARSE_POINT : 0;
    if (nt::open(dirfd, path, FILE_READ_ATTRIBUTES | FILE_WRITE_ATTRIBUTES, 0, FILE_OPEN, options,
                 &h) != 0)
        return -1;
    int r = set_readonly(static_cast<HANDLE>(h), (mode & 0222) == 0);
    int err = errno;
    CloseHandle(static_cast<HANDLE>(h));
    errno = err;
    return r;
}

int chmod(const char* path, unsigned mode) noexcept {
    return fchmodat(AT_FDCWD, path, mode, 0);
}

int close(int fd) noexcept {
    nt::set_append(fd, false);
    return ::_close(fd);
}

int dup(int fd) noexcept {
    auto h = static_cast<HANDLE>(handle_of(fd));
    if (h == INVALID_HANDLE_VALUE) return -1;
    HANDLE copy = nullptr;
    if (!DuplicateHandle(GetCurrentProcess(), h, GetCurrentProcess(), &copy, 0, FALSE,
                         DUPLICATE_SAME_ACCESS)) {
        errno = errno_of_win32(GetLastError());
        return -1;
    }
    return descriptor_of(copy, O_RDWR | (nt::is_append(fd) ? O_APPEND : 0));
}

bool getcwd(std::string& out) noexcept {
    DWORD need = GetCurrentDirectoryW(0, nullptr);
    if (need == 0) {
        errno = errno_of_win32(GetLastError());
        return false;
    }
    try {
        std::wstring buf(need, L'\0');
        DWORD got = GetCurrentDirectoryW(need, buf.data());
        if (got == 0 || got >= need) {
            errno = ERANGE;
            return false;
        }
        return narrow(buf.data(), got, out);
    } catch (...) {
        errno = ENOMEM;
        return false;
    }
}

}  // namespace tempio::detail::os

namespace tempio::detail {

native_handle_type handle_of_descriptor(int fd) noexcept {
    const int saved = errno;      // an accessor: errno is the caller's
    void* h = os::handle_of(fd);  // INVALID_HANDLE_VALUE for -1 or a closed descriptor
    errno = saved;
    return h;
}

}  // namespace tempio::detail
