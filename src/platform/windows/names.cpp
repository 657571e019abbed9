// The platform seam on Windows: names (platform.hpp). Every call is made
// through a handle (posix_api.cpp): a rename or a link names its file by the
// handle opened on it, so what is renamed is what was looked at.
#include <windows.h>

#include <cerrno>

#include "core/os_error.hpp"
#include "core/sys.hpp"
#include "platform/platform.hpp"

namespace tempio::detail::platform {

int rename_at(int fromdir, const char* from, int todir, const char* to, rename_how how) noexcept {
    switch (how) {
        case rename_how::replace:
            return sys::renameat(fromdir, from, todir, to);
        case rename_how::noclobber:
#if TEMPIO_TEST_SEAM
            if (sys::counted_call_fails()) return -1;
#endif
            return os::renameat(fromdir, from, todir, to, /*replace=*/false);
        case rename_how::exchange:
            break;
    }
    errno = EOPNOTSUPP;
    return -1;
}

int link_open_file(int, int, const char*) noexcept {
    errno = EOPNOTSUPP;  // no anonymous files to link
    return -1;
}

std::string path_of_directory(int fd) {
    auto h = static_cast<HANDLE>(os::handle_of(fd));
    if (h == INVALID_HANDLE_VALUE) return {};
    wchar_t small[MAX_PATH];
    DWORD need = GetFinalPathNameByHandleW(h, small, MAX_PATH, FILE_NAME_NORMALIZED);
    if (need == 0) return {};
    std::wstring wide;
    if (need < MAX_PATH) {
        wide.assign(small, need);
    } else {
        wide.resize(need);
        DWORD got = GetFinalPathNameByHandleW(h, wide.data(), need, FILE_NAME_NORMALIZED);
        if (got == 0 || got >= need) return {};
        wide.resize(got);
    }
    // "\\?\C:\dir" -> "C:\dir"; "\\?\UNC\server\share" -> "\\server\share".
    if (wide.rfind(L"\\\\?\\UNC\\", 0) == 0)
        wide = L"\\\\" + wide.substr(8);
    else if (wide.rfind(L"\\\\?\\", 0) == 0 && wide.size() < MAX_PATH + 4)
        wide = wide.substr(4);
    std::string out;
    if (!os::narrow(wide.data(), wide.size(), out)) return {};
    return out;
}

int stat_name(int dirfd, const char* path, name_stat* st) noexcept {
    return sys::fstatat(dirfd, path, st, AT_SYMLINK_NOFOLLOW);
}
sys::device_id device_of(const name_stat& st) noexcept {
    return st.st_dev;
}
sys::inode_id inode_of(const name_stat& st) noexcept {
    return st.st_ino;
}

bool facts_of_directory(const std::string& dir, directory_facts& out, error_code& ec) {
    sys::file_stat st{};
    if (sys::fstatat(AT_FDCWD, dir.c_str(), &st, 0) != 0) {
        ec = os_error(errno);
        return false;
    }
    out.dev = st.st_dev;
    out.dev_known = true;
    return true;
}

// A directory has no mode on Windows: nothing to repair (a read-only
// attribute on a directory does not stop its listing or its removal).
int make_held_directory_ours(int) noexcept {
    return 0;
}
int make_directory_ours(int, const char*) noexcept {
    return -2;
}

}  // namespace tempio::detail::platform
