// tempio/whence.hpp: the reference point of a seek, as in Python's io.
#pragma once

namespace tempio {

enum class whence { set = 0, cur = 1, end = 2 };

}  // namespace tempio
