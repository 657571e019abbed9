// Group publishing (DESIGN section 12, git's core.fsyncMethod=batch): N
// durable publishes cost N data flushes and one fsync per distinct target
// directory, not 2N. Phase one (every file's data synced, nothing visible
// changed), phase two (every name, in order), phase three (the directories).
#include <algorithm>
#include <cerrno>
#include <string>
#include <vector>

#include "core/file_core.hpp"
#include "core/os_error.hpp"

namespace tempio::detail {
namespace {

using boost::system::system_category;

// Every core present and none twice (a file cannot be published twice in one
// group: its second publish would see the first's state half made).
bool distinct(const std::vector<file_ptr>& files, error_code& ec) {
    std::vector<const file_core*> seen;
    seen.reserve(files.size());
    for (const auto& f : files) {
        if (!f) {
            ec = os_error(EBADF);
            return false;
        }
        seen.push_back(f.get());
    }
    std::sort(seen.begin(), seen.end());
    if (std::adjacent_find(seen.begin(), seen.end()) != seen.end()) {
        ec = os_error(EINVAL);
        return false;
    }
    return true;
}

// Phase three: one fsync per directory that received a durable publish, in
// the order first published. Directories are told apart by their path (two
// paths of one directory, through a symbolic link, sync it twice: harmless).
class directory_syncs {
  public:
    void add(const target_place& place) {
        for (const target_place* p : places_)
            if (p->dir_path == place.dir_path) return;
        places_.push_back(&place);
    }
    error_code run() const {
        error_code first;
        for (const target_place* p : places_) {
            error_code e = sync_directory(*p);
            if (e && !first) first = e;
        }
        return first;
    }

  private:
    std::vector<const target_place*> places_;
};

}  // namespace

std::size_t file_core::commit_all(const std::vector<file_ptr>& files, error_code& ec) {
    ec.clear();
    if (!distinct(files, ec)) return 0;
    const std::size_t n = files.size();
    std::vector<publish_request> requests(n);
    std::vector<prepared> preps(n);  // not published: their copies removed
    for (std::size_t i = 0; i < n; ++i)
        if (!files[i]->prepare_commit(requests[i], preps[i], ec)) return 0;
    std::size_t done = 0;
    error_code late;  // a file published, then its close failed
    for (; done < n; ++done) {
        error_code e;
        if (!files[done]->finish_commit(requests[done], preps[done], false, e)) {
            ec = e;
            break;
        }
        if (e && !late) late = e;
    }
    directory_syncs dirs;
    for (std::size_t i = 0; i < done; ++i)
        if (requests[i].durable) dirs.add(*files[i]->commit_place_);
    error_code synced = dirs.run();
    for (std::size_t i = 0; i < done; ++i) files[i]->commit_place_.reset();
    if (!ec) ec = late ? late : synced;
    return done;
}

std::size_t file_core::publish_all(const std::vector<file_ptr>& files,
                                   const std::vector<publish_request>& requests, error_code& ec) {
    ec.clear();
    if (files.size() != requests.size()) {
        ec = os_error(EINVAL);
        return 0;
    }
    if (!distinct(files, ec)) return 0;
    const std::size_t n = files.size();
    std::vector<target_place> places(n);
    for (std::size_t i = 0; i < n; ++i)
        if (!files[i]->publishable(requests[i], ec) ||
            !open_target(requests[i], false, places[i], ec))
            return 0;
    std::vector<prepared> preps(n);
    for (std::size_t i = 0; i < n; ++i)
        if (!files[i]->prepare_publish(places[i], requests[i], preps[i], ec)) return 0;
    std::size_t done = 0;
    error_code late;  // published, and then our old name could not be removed
    for (; done < n; ++done) {
        error_code e;
        if (!files[done]->name_into_place(places[done], requests[done], preps[done], e)) {
            ec = e;
            break;
        }
        files[done]->published(places[done], false, false, e);
        if (e && !late) late = e;
    }
    directory_syncs dirs;
    for (std::size_t i = 0; i < done; ++i)
        if (requests[i].durable) dirs.add(places[i]);
    error_code synced = dirs.run();
    if (!ec) ec = late ? late : synced;
    return done;
}

}  // namespace tempio::detail
