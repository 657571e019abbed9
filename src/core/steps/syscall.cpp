#include "core/steps/syscall.hpp"

#include <cerrno>

#include "core/sys.hpp"

namespace tempio::detail {
namespace {

int result(long r) noexcept {
    return r < 0 ? -(errno != 0 ? errno : EIO) : static_cast<int>(r);
}

}  // namespace

int perform(const syscall& c) noexcept {
    switch (c.what) {
        case syscall::kind::openat:
            return result(sys::openat(c.fd, c.path, c.flags, c.mode));
        case syscall::kind::mkdirat:
            return result(sys::mkdirat(c.fd, c.path, c.mode));
        case syscall::kind::unlinkat:
            return result(sys::unlinkat(c.fd, c.path, c.flags));
        case syscall::kind::stat_name:
            return result(platform::stat_name(c.fd, c.path, c.st));
        case syscall::kind::close:
            return result(sys::close(c.fd));
        case syscall::kind::writev:
            return result(sys::writev(c.fd, c.iov, static_cast<int>(c.iovcnt)));
        case syscall::kind::read:
            return result(sys::read(c.fd, c.buf, c.len));
        case syscall::kind::seek:  // the new offset does not fit an int
            return sys::lseek(c.fd, static_cast<off_t>(c.offset), SEEK_SET) < 0 ? result(-1) : 0;
        case syscall::kind::none:
            break;
    }
    return -EINVAL;
}

#if TEMPIO_TEST_SEAM
int perform_partial(const syscall& c) noexcept {
    if (c.what == syscall::kind::writev)
        return result(sys::partial_writev(c.fd, c.iov, static_cast<int>(c.iovcnt)));
    return result(sys::partial_read(c.fd, c.buf, c.len));
}
#endif

}  // namespace tempio::detail
