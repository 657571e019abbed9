/// @file
/// @brief tempio/whence.hpp: the reference point of a seek, as in Python's io.
#pragma once

namespace tempio {

/// @brief The reference point of basic_async_file::async_seek (Python's
/// `os.SEEK_SET`, `SEEK_CUR`, `SEEK_END`).
enum class whence {
    set = 0,  ///< From the start of the file.
    cur = 1,  ///< From the position.
    end = 2   ///< From the end of the file.
};

}  // namespace tempio
