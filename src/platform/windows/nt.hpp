// The NT calls posix_api.cpp and io.cpp share: a name relative to a
// directory handle, an open with every share mode, and what is done through
// an open handle (delete, rename, link). Internal to this folder.
#pragma once

#include <string>

namespace tempio::detail::os::nt {

// A name as NtCreateFile takes it: relative to `root` (a directory's
// handle), or a whole NT path ("\??\C:\...") with no root.
struct name {
    void* root = nullptr;
    std::wstring text;
};
bool name_of(int dirfd, const char* path, name& out) noexcept;

// NtCreateFile with FILE_SHARE_READ|WRITE|DELETE, synchronous, never
// inheritable. 0, or -1 with errno.
int open(int dirfd, const char* path, unsigned long access, unsigned long attributes,
         unsigned long disposition, unsigned long options, void** handle) noexcept;
// NtSetInformationFile; -1 with errno.
int set_information(void* handle, void* info, unsigned long size, int info_class) noexcept;

// The open file's name removed (POSIX semantics where there are any; a
// read-only attribute cleared first where it must be).
int delete_open(void* handle, unsigned long attributes) noexcept;
// The open file renamed to `newpath` (relative to `newdirfd`'s handle).
int rename_open(void* handle, int newdirfd, const char* newpath, bool replace) noexcept;
// A new name for the open file; never replaces.
int link_open(void* handle, int newdirfd, const char* newpath) noexcept;

// O_APPEND, remembered per descriptor: a write then goes to the end.
void set_append(int fd, bool append) noexcept;
bool is_append(int fd) noexcept;

}  // namespace tempio::detail::os::nt
