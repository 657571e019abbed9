// Win32 and NTSTATUS codes as errno, and back (posix_api.hpp). The core
// speaks errno; an error_code it makes on Windows carries the Win32 code in
// system_category, as Asio's do, where that compares equal to the same
// std::errc (os_error, at the end).
#include <windows.h>
#include <winternl.h>

#include "core/os_error.hpp"
#include "platform/windows/posix_api.hpp"

namespace tempio::detail::os {

namespace {
struct pair {
    unsigned long win32;
    int err;
};
// The first entry of an errno is the Win32 code it maps back to.
constexpr pair table[] = {
    {ERROR_FILE_NOT_FOUND, ENOENT},
    {ERROR_PATH_NOT_FOUND, ENOENT},
    {ERROR_INVALID_DRIVE, ENOENT},
    {ERROR_BAD_NETPATH, ENOENT},
    {ERROR_BAD_PATHNAME, ENOENT},
    {ERROR_FILE_EXISTS, EEXIST},
    {ERROR_ALREADY_EXISTS, EEXIST},
    {ERROR_ACCESS_DENIED, EACCES},
    {ERROR_CANNOT_MAKE, EACCES},
    {ERROR_WRITE_PROTECT, EROFS},
    // Another handle holds the file without FILE_SHARE_DELETE (or a range
    // lock): its own errno, so that cleanup can say which file is busy.
    {ERROR_SHARING_VIOLATION, EBUSY},
    {ERROR_LOCK_VIOLATION, EBUSY},
    {ERROR_BUSY, EBUSY},
    {ERROR_DIR_NOT_EMPTY, ENOTEMPTY},
    {ERROR_NOT_SAME_DEVICE, EXDEV},
    {ERROR_DISK_FULL, ENOSPC},
    {ERROR_HANDLE_DISK_FULL, ENOSPC},
    {1295, EDQUOT},  // ERROR_DISK_QUOTA_EXCEEDED (not in MinGW-w64's winerror.h)
    {ERROR_DIRECTORY, ENOTDIR},
    {ERROR_INVALID_NAME, EINVAL},
    {ERROR_INVALID_PARAMETER, EINVAL},
    {ERROR_NEGATIVE_SEEK, EINVAL},
    {ERROR_FILENAME_EXCED_RANGE, ENAMETOOLONG},
    {ERROR_TOO_MANY_OPEN_FILES, EMFILE},
    {ERROR_NOT_ENOUGH_MEMORY, ENOMEM},
    {ERROR_OUTOFMEMORY, ENOMEM},
    {ERROR_INVALID_HANDLE, EBADF},
    {ERROR_NOT_SUPPORTED, EOPNOTSUPP},
    {ERROR_INVALID_FUNCTION, EOPNOTSUPP},
    {ERROR_CANT_RESOLVE_FILENAME, ELOOP},
    {ERROR_NO_UNICODE_TRANSLATION, EILSEQ},
    {ERROR_BROKEN_PIPE, EPIPE},
    {ERROR_IO_DEVICE, EIO},
    {ERROR_CRC, EIO},
    {ERROR_OPERATION_ABORTED, ECANCELED},
    {ERROR_TIMEOUT, ETIMEDOUT},
    {ERROR_CALL_NOT_IMPLEMENTED, ENOSYS},
    {ERROR_PRIVILEGE_NOT_HELD, EPERM},
    {ERROR_NOT_OWNER, EPERM},
    {ERROR_TOO_MANY_LINKS, EMLINK},
    {ERROR_NOT_READY, EAGAIN},
    {ERROR_RETRY, EAGAIN},
};
}  // namespace

int errno_of_win32(unsigned long code) noexcept {
    for (const pair& p : table)
        if (p.win32 == code) return p.err;
    return EIO;
}

int errno_of_status(long status) noexcept {
    // A directory opened where a file was asked for, and the reverse, have
    // their POSIX meanings (RtlNtStatusToDosError says ERROR_ACCESS_DENIED).
    switch (static_cast<unsigned long>(status)) {
        case 0xC00000BAUL:  // STATUS_FILE_IS_A_DIRECTORY
            return EISDIR;
        case 0xC0000103UL:  // STATUS_NOT_A_DIRECTORY
            return ENOTDIR;
        case 0xC0000056UL:  // STATUS_DELETE_PENDING: a name being removed
            return ENOENT;
        case 0xC0000101UL:  // STATUS_DIRECTORY_NOT_EMPTY
            return ENOTEMPTY;
        case 0xC0000035UL:  // STATUS_OBJECT_NAME_COLLISION
            return EEXIST;
        case 0xC0000043UL:  // STATUS_SHARING_VIOLATION
            return EBUSY;
        default:
            break;
    }
    return errno_of_win32(RtlNtStatusToDosError(status));
}

namespace {
// Where Asio names the error (net::error::*), its own code: on Windows Asio
// spells these as Winsock's codes, and an error_code compares equal only to
// the same code (Boost's Win32 table maps WSAE* codes to their conditions,
// so std::errc comparisons hold too). Not for EACCES and EMFILE: Winsock's
// messages for those speak of sockets; a denied file is ERROR_ACCESS_DENIED
// (net::error::no_permission there). 0: Asio has no name for it.
unsigned long asio_named(int err) noexcept {
    switch (err) {
        case EINVAL:
            return WSAEINVAL;  // net::error::invalid_argument
        case EBADF:
            return WSAEBADF;  // net::error::bad_descriptor
        case ENOTSUP:
        case EOPNOTSUPP:
            return WSAEOPNOTSUPP;  // net::error::operation_not_supported
        case ENAMETOOLONG:
            return WSAENAMETOOLONG;  // net::error::name_too_long
        case ECANCELED:
            return ERROR_OPERATION_ABORTED;  // net::error::operation_aborted
        default:
            return 0;
    }
}
}  // namespace

bool asio_named_errno(int err) noexcept {
    return asio_named(err) != 0;
}

unsigned long win32_of_errno(int err) noexcept {
    if (unsigned long named = asio_named(err)) return named;
    for (const pair& p : table)
        if (p.err == err) return p.win32;
    switch (err) {
        case EISDIR:
            return 336;  // ERROR_DIRECTORY_NOT_SUPPORTED
        case EINTR:
            return ERROR_OPERATION_ABORTED;
        case EFBIG:
            return ERROR_FILE_TOO_LARGE;
        case ENOTSUP:
            return ERROR_NOT_SUPPORTED;
        default:
            return ERROR_GEN_FAILURE;
    }
}

}  // namespace tempio::detail::os

namespace tempio::detail {

// An errno the core made, as the error_code a Windows program can test both
// ways: the Win32 code (Asio's kind, its own message) where Boost's Win32
// table takes that code back to the same condition, so that both
// `ec == net::error::...` and `ec == std::errc::...` hold; otherwise (EIO,
// EFBIG, EPERM, ENOTDIR, EISDIR, EROFS... whose Win32 codes Boost maps to
// another condition or to none) the errno itself in generic_category, so
// that std::errc comparisons hold on Windows as on POSIX. One exception: a
// sharing violation keeps its Win32 code and message (Boost calls it
// permission_denied): it is the error that says another handle holds the
// file, which is what a Windows user must be told.
boost::system::error_code os_error(int err) noexcept {
    unsigned long code = os::win32_of_errno(err);
    boost::system::error_code win32(static_cast<int>(code), boost::system::system_category());
    if (os::asio_named_errno(err) || code == ERROR_SHARING_VIOLATION ||
        win32.default_error_condition() ==
            boost::system::error_condition(err, boost::system::generic_category()))
        return win32;
    return {err, boost::system::generic_category()};
}

}  // namespace tempio::detail
