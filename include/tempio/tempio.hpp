/// @file
/// @brief tempio/tempio.hpp: everything.
#pragma once

#include "tempio/async_file.hpp"
#include "tempio/atomic_file.hpp"
#include "tempio/backend.hpp"
#include "tempio/config.hpp"
#include "tempio/group_publish.hpp"
#include "tempio/mkstemp.hpp"
#include "tempio/named_temporary_file.hpp"
#include "tempio/path_view.hpp"
#include "tempio/platform.hpp"
#include "tempio/publish.hpp"
#include "tempio/run.hpp"
#include "tempio/run_blocking.hpp"
#include "tempio/scoped.hpp"
#include "tempio/spooled_temporary_file.hpp"
#include "tempio/sweep.hpp"
#include "tempio/tempdir.hpp"
#include "tempio/temporary_directory.hpp"
#include "tempio/temporary_file.hpp"
#include "tempio/unique_fd.hpp"
#include "tempio/whence.hpp"
