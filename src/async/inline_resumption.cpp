// The per-thread count behind inline_resumption (detail/handler.hpp).
#include "tempio/detail/handler.hpp"

namespace tempio::detail {

thread_local constinit unsigned inline_resumptions_nested = 0;

}  // namespace tempio::detail
