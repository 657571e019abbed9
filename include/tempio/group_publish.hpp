/// @file
/// @brief tempio/group_publish.hpp: many files published as one group, with
/// one flush per file and one per directory (git's `core.fsyncMethod=batch`
/// idea, DESIGN section 12).
///
/// N durable publishes one by one cost 2N flushes: each file's data, then
/// its directory. As a group, every file's data is made durable first (one
/// flush each), then every name changes (in the range's order), then each
/// distinct target directory is flushed once: N + D flushes for D
/// directories, N + 1 when they share one. docs/publishing.md, "Group commit".
///
/// All or report: a failure before the first name changes (a latched write
/// error, a failed sync, a target that cannot be resolved) publishes
/// nothing. A failure of the k-th name (say a `persist_noclobber` target
/// that exists) completes with that error and `k`: the first k files are
/// published (and their directories flushed when durable), the k-th and
/// those after it keep their temporaries, their data synced and their mode
/// set, and can be published again or abandoned.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "tempio/atomic_file.hpp"
#include "tempio/detail/file_engine.hpp"
#include "tempio/detail/handler.hpp"
#include "tempio/publish.hpp"

namespace tempio {

/// @brief Commits every atomic_file in `files` as one group: each file's
/// data made durable (as its own `durable` option says), then every
/// rename or link in the range's order, then one fsync per distinct target
/// directory of the durable ones. One job on a worker.
///
/// @param files A range of atomic_file (or basic_atomic_file) objects, each
/// at most once (else `invalid_argument`); held weakly until the operation
/// is initiated. They must have no other operation in flight.
/// @param token The completion token (default `net::deferred`).
/// @return What the token makes of the operation.
/// @par Completion signature
/// `void(error_code ec, std::size_t committed)`: the first `committed` files
/// of the range are published (and closed). With `ec` clear, all are.
/// @par Per-operation cancellation
/// terminal, partial, total: before the job starts nothing is committed;
/// once it runs it completes.
/// @par Errors
/// As async_commit for each file; `bad_file_descriptor` for a file already
/// committed, abandoned or destroyed; `invalid_argument` for a file twice.
template <class Range,
          net::completion_token_for<void(error_code, std::size_t)> Token = net::deferred_t>
auto async_commit_all(Range& files, Token&& token = {}) {
    std::vector<std::weak_ptr<detail::file_core>> cores;
    for (auto& f : files) cores.push_back(detail::core_access::weak_core(f));
    return detail::initiate<std::size_t>(
        std::forward<Token>(token),
        [](std::vector<std::weak_ptr<detail::file_core>> cores, auto h) {
            detail::start_commit_all(std::move(cores), std::move(h));
        },
        std::move(cores));
}

/// @brief Publishes every file of `items` to its target as one group:
/// `items` is a range of pairs (or tuples) of a file object (a reference to
/// a temporary_file, named_temporary_file or spooled_temporary_file; each
/// at most once) and its target (anything a path_view is made from). As
/// async_persist for each, with `o` for all, but each file's data is made
/// durable (when `o.durable`) before any name changes, and each distinct
/// target directory is flushed once, after the last name.
///
/// The targets are copied, a relative one resolved against the current
/// directory, when the operation is initiated. One job on a worker.
/// @param items The (file, target) pairs.
/// @param o The options, for every file.
/// @param token The completion token (default `net::deferred`).
/// @return What the token makes of the operation.
/// @par Completion signature
/// `void(error_code ec, std::size_t published)`: the first `published`
/// files of the range refer to their targets now (they stay open).
/// @par Per-operation cancellation
/// terminal, partial, total: before the job starts nothing is published.
/// @par Errors
/// As async_persist for each file; `invalid_argument` for a file twice.
template <class Range,
          net::completion_token_for<void(error_code, std::size_t)> Token = net::deferred_t>
auto async_persist_all(Range& items, publish_options o, Token&& token = {}) {
    std::vector<std::weak_ptr<detail::file_core>> cores;
    std::vector<std::string> targets;
    for (auto& item : items) {
        auto& file = std::get<0>(item);
        cores.push_back(detail::core_access::weak_core(file));
        targets.emplace_back(path_view(std::get<1>(item)).utf8());
    }
    return detail::initiate<std::size_t>(
        std::forward<Token>(token),
        [o](std::vector<std::weak_ptr<detail::file_core>> cores, std::vector<std::string> targets,
            auto h) {
            detail::start_persist_all(std::move(cores), std::move(targets), o, false, std::move(h));
        },
        std::move(cores), std::move(targets));
}

/// @brief As async_persist_all with default options (not durable).
/// @param items The (file, target) pairs.
/// @param token The completion token (default `net::deferred`).
/// @return What the token makes of the operation.
template <class Range,
          net::completion_token_for<void(error_code, std::size_t)> Token = net::deferred_t>
auto async_persist_all(Range& items, Token&& token = {}) {
    return async_persist_all(items, publish_options{}, std::forward<Token>(token));
}

}  // namespace tempio
