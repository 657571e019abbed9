// Failure sweep of the blocking core: every operation, every one of its
// system calls failing in turn with each error that call can really return.
// Nothing may leak: the test directory and /proc/self/fd are as before, the
// error is reported (or absorbed, for EINTR and EEXIST where the core retries
// them), and the object is still usable or cleanly closed.
// The harness is in failure_sweep.hpp; the async API gets the same sweep in
// failure_sweep_async_test.cpp.
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "core/directory_core.hpp"
#include "core/file_core.hpp"
#include "core/tempdir.hpp"
#include "failure_sweep.hpp"
#include "tempio/mkstemp.hpp"
#include "tempio/platform.hpp"
#include "tempio/tempdir.hpp"

namespace fs = std::filesystem;
using namespace tempio::detail;
using tempio::error_code;
using tempio::test::entries;

namespace {

const auto* const report =
    ::testing::AddGlobalTestEnvironment(new tempio::test::sweep_report("blocking core"));

class core_sweep : public tempio::test::sweep_fixture {
  protected:
    file_request request(file_kind kind, std::string mode = "w+b") const {
        file_request r;
        r.kind = kind;
        r.mode = std::move(mode);
        r.names = {"tmp", ".sweep", dir_.string()};
        return r;
    }
    std::shared_ptr<file_core> make(file_kind kind, std::string mode = "w+b") const {
        error_code ec;
        auto f = kind == file_kind::spooled ? file_core::create_spooled(request(kind, mode), ec)
                                            : file_core::create(request(kind, mode), ec);
        EXPECT_FALSE(ec) << ec.message();
        return f;
    }
    std::shared_ptr<file_core> spooled(std::size_t max_size) const {
        auto r = request(file_kind::spooled);
        r.max_size = max_size;
        error_code ec;
        auto f = file_core::create_spooled(std::move(r), ec);
        EXPECT_FALSE(ec);
        return f;
    }
    // The whole content, read from the start (no failure armed).
    static std::string content(file_core& f) {
        error_code ec;
        f.seek(0, SEEK_SET, ec);
        EXPECT_FALSE(ec) << ec.message();
        std::string s = f.read(SIZE_MAX, ec);
        EXPECT_FALSE(ec) << ec.message();
        return s;
    }
    // Still usable after the failure: holds `expected`, takes more, reads back.
    static void expect_usable(file_core& f, const std::string& expected) {
        ASSERT_TRUE(f.is_open());
        EXPECT_EQ(content(f), expected);
        error_code ec;
        f.write("+", 1, ec);
        EXPECT_FALSE(ec) << ec.message();
        EXPECT_EQ(content(f), expected + "+");
    }
    static void write_all(file_core& f, const std::string& data) {
        error_code ec;
        EXPECT_EQ(f.write(data.data(), data.size(), ec), data.size());
        EXPECT_FALSE(ec);
    }
};

const std::string big(100000, 'B');  // more than the 65536-byte write buffer

}  // namespace

// ---- creation ----------------------------------------------------------------

TEST_F(core_sweep, creating_a_named_file) {
    sweep("core: named file create", {"open_unique", "fstat"}, [&] {
        error_code ec;
        arm();
        auto f = file_core::create(request(file_kind::named), ec);
        disarm();
        expect_outcome(ec);
        if (must_fail()) {
            EXPECT_EQ(f, nullptr);
            EXPECT_TRUE(entries(dir_).empty()) << "a failed creation creates nothing";
            return;
        }
        ASSERT_NE(f, nullptr);
        EXPECT_EQ(entries(dir_).size(), 1u);
        expect_usable(*f, "");
    });
}

TEST_F(core_sweep, creating_an_anonymous_file) {
    if (!tempio::has_anonymous_files())
        GTEST_SKIP() << "no anonymous files on this platform (tempio/platform.hpp): these are the "
                        "calls of O_TMPFILE";
    sweep("core: anonymous file create", {"open_tmpfile"}, [&] {
        error_code ec;
        arm();
        auto f = file_core::create(request(file_kind::anonymous), ec);
        disarm();
        expect_outcome(ec);
        EXPECT_TRUE(entries(dir_).empty()) << "an anonymous file has no name";
        if (must_fail()) {
            EXPECT_EQ(f, nullptr);
            return;
        }
        ASSERT_NE(f, nullptr);
        expect_usable(*f, "");
    });
}

TEST_F(core_sweep, creating_a_spooled_file_makes_no_system_call) {
    sweep("core: spooled file create", {}, [&] {
        error_code ec;
        arm();
        auto f = file_core::create_spooled(request(file_kind::spooled), ec);
        disarm();
        EXPECT_FALSE(ec);
        ASSERT_NE(f, nullptr);
        EXPECT_TRUE(f->in_memory());
    });
}

TEST_F(core_sweep, mkstemp) {
    sweep("core: mkstemp", {"open_unique"}, [&] {
        error_code ec;
        arm();
        auto r = tempio::mkstemp({.suffix = ".s", .dir = dir_}, ec);
        disarm();
        expect_outcome(ec);
        if (must_fail()) {
            EXPECT_FALSE(r.fd);
            EXPECT_TRUE(r.path.empty());
            return;
        }
        ASSERT_TRUE(r.fd);
        EXPECT_EQ(entries(dir_), std::vector<std::string>{r.path.filename().string()});
        fs::remove(r.path);  // the caller owns it
    });
}

TEST_F(core_sweep, mkdtemp) {
    sweep("core: mkdtemp", {"mkdir_unique"}, [&] {
        error_code ec;
        arm();
        fs::path p = tempio::mkdtemp({.dir = dir_}, ec);
        disarm();
        expect_outcome(ec);
        if (must_fail()) {
            EXPECT_TRUE(p.empty());
            return;
        }
        EXPECT_TRUE(fs::is_directory(p));
        fs::remove(p);
    });
}

TEST_F(core_sweep, creating_a_directory) {
    sweep("core: directory create", {"mkdir_unique"}, [&] {
        error_code ec;
        arm();
        auto d = directory_core::create({{"tmp", "", dir_.string()}}, ec);
        disarm();
        expect_outcome(ec);
        if (must_fail()) {
            EXPECT_EQ(d, nullptr);
            return;
        }
        ASSERT_NE(d, nullptr);
        EXPECT_TRUE(fs::is_directory(d->path()));
    });  // destroyed: removed
}

// ---- writing -----------------------------------------------------------------

TEST_F(core_sweep, a_write_past_the_buffer) {
    // "head" waits in the buffer; the big write goes out with it in one writev.
    sweep("core: write (past the buffer)", {"writev"}, [&] {
        auto f = make(file_kind::named);
        write_all(*f, "head");
        error_code ec;
        arm();
        std::size_t n = f->write(big.data(), big.size(), ec);
        disarm();
        expect_outcome(ec);
        EXPECT_EQ(n, must_fail() ? 0u : big.size());
        // Nothing is lost: the buffered head is still there either way.
        expect_usable(*f, must_fail() ? "head" : "head" + big);
    });
}

TEST_F(core_sweep, a_flush) {
    sweep("core: flush", {"write"}, [&] {
        auto f = make(file_kind::named);
        write_all(*f, "buffered");
        error_code ec;
        arm();
        f->flush(ec);
        disarm();
        expect_outcome(ec);
        // A failed flush keeps the data for the next one.
        expect_usable(*f, "buffered");
    });
}

TEST_F(core_sweep, a_write_in_append_mode_learns_the_position) {
    sweep("core: tell (append mode)", {"write", "lseek"}, [&] {
        auto f = make(file_kind::named, "a+");
        write_all(*f, "abc");
        error_code ec;
        arm();
        std::uint64_t pos = f->tell(ec);
        disarm();
        expect_outcome(ec);
        if (!must_fail()) {
            EXPECT_EQ(pos, 3u);
        }
        expect_usable(*f, "abc");
    });
}

// ---- reading -----------------------------------------------------------------

TEST_F(core_sweep, a_read_to_the_end) {
    // One read returns the data (short: the position is moved past it,
    // core/steps/io_steps.hpp), the next one end of file.
    sweep("core: read", {"read", "lseek", "read"}, [&] {
        auto f = make(file_kind::named);
        write_all(*f, "hello\n");
        content(*f);
        error_code ec;
        f->seek(0, SEEK_SET, ec);
        arm();
        std::string s = f->read(SIZE_MAX, ec);
        disarm();
        expect_outcome(ec);
        if (!must_fail()) {
            EXPECT_EQ(s, "hello\n");
        }
        if (must_fail() && failed_at(1)) {
            EXPECT_EQ(s, "");
        }
        if (must_fail() && !failed_at(1)) {
            EXPECT_EQ(s, "hello\n") << "what was read is returned";
        }
        expect_usable(*f, "hello\n");
    });
}

TEST_F(core_sweep, a_readline) {
    // One read(2) fills the read buffer (short: then the position is moved past it).
    sweep("core: readline", {"read", "lseek"}, [&] {
        auto f = make(file_kind::named);
        write_all(*f, "one\ntwo\n");
        content(*f);
        error_code ec;
        f->seek(0, SEEK_SET, ec);
        arm();
        std::string line = f->readline(ec);
        disarm();
        expect_outcome(ec);
        if (must_fail()) {
            EXPECT_EQ(line, "");
            // The position did not move: the line is still there.
            EXPECT_EQ(f->readline(ec), "one\n");
        } else {
            EXPECT_EQ(line, "one\n");
        }
        EXPECT_EQ(f->readline(ec), "two\n");
        expect_usable(*f, "one\ntwo\n");
    });
}

TEST_F(core_sweep, a_readinto) {
    sweep("core: readinto", {"read", "lseek"}, [&] {  // short: the position moved past it
        auto f = make(file_kind::named);
        write_all(*f, "abc");
        content(*f);
        error_code ec;
        f->seek(0, SEEK_SET, ec);
        char buf[8] = {};
        arm();
        std::size_t n = f->readinto(buf, sizeof buf, ec);
        disarm();
        expect_outcome(ec);
        EXPECT_EQ(n, failed_at(1) && must_fail() ? 0u : 3u) << "what was read is counted";
        expect_usable(*f, "abc");
    });
}

// ---- positioning -------------------------------------------------------------

TEST_F(core_sweep, a_seek_flushes_first) {
    sweep("core: seek", {"write", "lseek"}, [&] {
        auto f = make(file_kind::named);
        write_all(*f, "abcdef");
        error_code ec;
        arm();
        std::uint64_t pos = f->seek(2, SEEK_SET, ec);
        disarm();
        expect_outcome(ec);
        if (!must_fail()) {
            EXPECT_EQ(pos, 2u);
            EXPECT_EQ(f->read(2, ec), "cd");
        }
        expect_usable(*f, "abcdef");
    });
}

TEST_F(core_sweep, a_truncate) {
    sweep("core: truncate", {"write", "ftruncate"}, [&] {
        auto f = make(file_kind::named);
        write_all(*f, "abcdef");
        error_code ec;
        std::uint64_t size = 3;
        arm();
        std::uint64_t r = f->truncate(&size, ec);
        disarm();
        expect_outcome(ec);
        EXPECT_EQ(r, must_fail() ? 0u : 3u);
        expect_usable(*f, must_fail() ? "abcdef" : "abc");
    });
}

// ---- closing -----------------------------------------------------------------

TEST_F(core_sweep, closing_a_named_file_deletes_it) {
    sweep("core: close (named, delete on close)", {"write", "close", "fstatat", "unlink"}, [&] {
        auto f = make(file_kind::named);
        write_all(*f, "pending");
        error_code ec;
        arm();
        f->close(ec);
        disarm();
        expect_outcome(ec);
        EXPECT_FALSE(f->is_open()) << "closed, whatever failed";
        if (must_fail() && (current().call == "unlink" || current().call == "fstatat")) {
            // The kernel refused the unlink: reported, and the name stays
            // until the object is destroyed, which tries again.
            EXPECT_EQ(entries(dir_).size(), 1u);
        } else {
            EXPECT_TRUE(entries(dir_).empty());
        }
        f->close(ec);
        EXPECT_FALSE(ec) << "close is idempotent";
    });  // destroyed: the name is gone
}

TEST_F(core_sweep, closing_a_named_file_kept_until_the_end) {
    sweep("core: close (named, delete_on_close=false)", {"write", "close"}, [&] {
        auto r = request(file_kind::named);
        r.delete_on_close = false;
        error_code ec;
        auto f = file_core::create(std::move(r), ec);
        ASSERT_FALSE(ec);
        write_all(*f, "pending");
        arm();
        f->close(ec);
        disarm();
        expect_outcome(ec);
        EXPECT_FALSE(f->is_open());
        ASSERT_EQ(entries(dir_).size(), 1u) << "survives close";
        if (!must_fail()) {
            std::ifstream in(f->path());
            EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), "pending");
        }
    });  // destroyed: deleted
}

TEST_F(core_sweep, closing_an_anonymous_file) {
    sweep("core: close (anonymous)", {"write", "close"}, [&] {
        auto f = make(file_kind::anonymous);
        write_all(*f, "pending");
        error_code ec;
        arm();
        f->close(ec);
        disarm();
        expect_outcome(ec);
        EXPECT_FALSE(f->is_open());
    });
}

TEST_F(core_sweep, destroying_an_open_named_file) {
    sweep("core: destroy (named, still open)", {"write", "close", "fstatat", "unlink"}, [&] {
        auto f = make(file_kind::named);
        write_all(*f, "pending");
        std::string path = f->path();
        arm();
        f.reset();  // never throws, reports nothing
        disarm();
        // A refused unlink at close is tried once more before the object
        // is gone: a transient failure leaves nothing.
        EXPECT_FALSE(fs::exists(path));
    });
}

// ---- spooled files -------------------------------------------------------------

TEST_F(core_sweep, a_write_that_rolls_a_spooled_file_over) {
    if (!tempio::has_anonymous_files())
        GTEST_SKIP() << "no anonymous files on this platform (tempio/platform.hpp): these are the "
                        "calls of O_TMPFILE";
    // Rollover: the anonymous file, the memory image written, the position restored.
    sweep("core: spooled rollover by write", {"open_tmpfile", "write", "lseek"}, [&] {
        auto f = spooled(8);
        write_all(*f, "12345678");
        error_code ec;
        arm();
        std::size_t n = f->write("9", 1, ec);
        disarm();
        expect_outcome(ec);
        EXPECT_EQ(n, must_fail() ? 0u : 1u);
        // A failed rollover keeps everything in memory, intact.
        EXPECT_EQ(f->in_memory(), must_fail());
        expect_usable(*f, must_fail() ? "12345678" : "123456789");
    });
}

TEST_F(core_sweep, a_big_write_that_rolls_over_then_reaches_the_kernel) {
    if (!tempio::has_anonymous_files())
        GTEST_SKIP() << "no anonymous files on this platform (tempio/platform.hpp): these are the "
                        "calls of O_TMPFILE";
    sweep("core: spooled rollover by big write", {"open_tmpfile", "write", "lseek", "writev"}, [&] {
        auto f = spooled(8);
        write_all(*f, "1234");
        error_code ec;
        arm();
        std::size_t n = f->write(big.data(), big.size(), ec);
        disarm();
        expect_outcome(ec);
        EXPECT_EQ(n, must_fail() ? 0u : big.size());
        const bool rolled = !must_fail() || current().call == "writev";
        EXPECT_EQ(f->in_memory(), !rolled);
        expect_usable(*f, must_fail() ? "1234" : "1234" + big);
    });
}

TEST_F(core_sweep, an_explicit_rollover) {
    if (!tempio::has_anonymous_files())
        GTEST_SKIP() << "no anonymous files on this platform (tempio/platform.hpp): these are the "
                        "calls of O_TMPFILE";
    sweep("core: spooled rollover", {"open_tmpfile", "write", "lseek"}, [&] {
        auto f = spooled(0);
        write_all(*f, "kept in memory");
        error_code ec;
        f->seek(4, SEEK_SET, ec);
        arm();
        f->rollover(ec);
        disarm();
        expect_outcome(ec);
        EXPECT_EQ(f->in_memory(), must_fail());
        EXPECT_EQ(f->tell(ec), 4u) << "the position survives, rolled or not";
        expect_usable(*f, "kept in memory");
    });
}

TEST_F(core_sweep, fileno_rolls_over) {
    if (!tempio::has_anonymous_files())
        GTEST_SKIP() << "no anonymous files on this platform (tempio/platform.hpp): these are the "
                        "calls of O_TMPFILE";
    sweep("core: spooled fileno", {"open_tmpfile", "write", "lseek"}, [&] {
        auto f = spooled(0);
        write_all(*f, "data");
        error_code ec;
        arm();
        int fd = f->fileno(ec);
        disarm();
        expect_outcome(ec);
        EXPECT_EQ(fd < 0, must_fail());
        expect_usable(*f, "data");
    });
}

TEST_F(core_sweep, a_truncate_past_max_size_rolls_over) {
    if (!tempio::has_anonymous_files())
        GTEST_SKIP() << "no anonymous files on this platform (tempio/platform.hpp): these are the "
                        "calls of O_TMPFILE";
    sweep("core: spooled truncate past max_size", {"open_tmpfile", "write", "lseek", "ftruncate"},
          [&] {
              auto f = spooled(8);
              write_all(*f, "abc");
              error_code ec;
              std::uint64_t size = 16;
              arm();
              f->truncate(&size, ec);
              disarm();
              expect_outcome(ec);
              const bool grew = !must_fail();
              EXPECT_EQ(f->in_memory(), must_fail() && current().call != "ftruncate");
              expect_usable(*f, grew ? "abc" + std::string(13, '\0') : "abc");
          });
}

// ---- directory cleanup ---------------------------------------------------------

namespace {

// A small hostile tree: files, nesting, a read-only directory, and symlinks
// pointing out of the tree (to `outside`) and into it.
void populate(const fs::path& root, const fs::path& outside) {
    std::ofstream(root / "a.txt") << "a";
    fs::create_directories(root / "sub" / "deeper");
    std::ofstream(root / "sub" / "b.txt") << "b";
    std::ofstream(root / "sub" / "deeper" / "c.txt") << "c";
    fs::create_directory(root / "ro");
    std::ofstream(root / "ro" / "d.txt") << "d";
    fs::permissions(root / "ro", fs::perms::owner_read | fs::perms::owner_exec);
    fs::create_directory_symlink(outside, root / "out");
    fs::create_symlink(outside / "canary.txt", root / "sub" / "out.txt");
    fs::create_symlink(root / "a.txt", root / "in");
}

// Everything below `root`, relative to it.
std::vector<std::string> remaining(const fs::path& root) {
    std::vector<std::string> out;
    std::error_code ec;
    if (!fs::exists(fs::symlink_status(root, ec))) return out;
    for (auto it = fs::recursive_directory_iterator(root, ec);
         it != fs::recursive_directory_iterator(); it.increment(ec))
        out.push_back(it->path().lexically_relative(root).string());
    return out;
}

bool related(const std::string& path, const std::string& where) {
    auto under = [](const std::string& a, const std::string& b) {  // a is b or below it
        return a == b ||
               (a.size() > b.size() && a.compare(0, b.size(), b) == 0 && a[b.size()] == '/');
    };
    return where.empty() || under(path, where) || under(where, path);
}

}  // namespace

TEST_F(core_sweep, a_directory_cleanup) {
    if (!tempio::test::can_make_symlinks()) GTEST_SKIP() << "no symbolic links here";
    const fs::path outside = dir_.string() + ".outside";
    fs::create_directory(outside);
    std::ofstream(outside / "canary.txt") << "canary";
    fs::permissions(outside, fs::perms::owner_all);
    for (bool ignore : {false, true}) {
        std::string op =
            ignore ? "core: directory cleanup (ignore_cleanup_errors)" : "core: directory cleanup";
        sweep(op, {"remove_tree"}, [&] {
            error_code ec;
            auto d = directory_core::create({{"tmp", "", dir_.string()}, ignore}, ec);
            ASSERT_FALSE(ec);
            populate(d->path(), outside);
            arm();
            d->cleanup(ec);
            disarm();
            auto left = remaining(d->path());
            if (ignore) {
                EXPECT_FALSE(ec) << "best effort, no error";
            } else if (ec) {
                EXPECT_TRUE(injecting()) << ec.message();
                // Keeps going after an error: only the failing entry, what
                // is below it and its ancestors may remain.
                for (const auto& p : left)
                    EXPECT_TRUE(related(p, d->error_where()))
                        << p << " left, error at '" << d->error_where() << "'";
            } else {
                EXPECT_FALSE(fs::exists(fs::symlink_status(d->path())));
            }
            // Nothing outside the tree was touched.
            EXPECT_EQ(fs::status(outside).permissions(), fs::perms::owner_all);
            std::ifstream in(outside / "canary.txt");
            EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), "canary");
            // A failed cleanup can be retried: the second one finishes the job.
            d->cleanup(ec);
            EXPECT_FALSE(ec) << ec.message();
            EXPECT_FALSE(fs::exists(fs::symlink_status(d->path())));
            d->cleanup(ec);
            EXPECT_FALSE(ec) << "idempotent";
        });
    }
    fs::remove_all(outside);
}

// ---- gettempdir ------------------------------------------------------------------

TEST_F(core_sweep, the_gettempdir_probe) {
    sweep("core: gettempdir probe", {"probe_open", "probe_write", "probe_close", "probe_unlink"},
          [&] {
              error_code ec;
              arm();
              bool ok = probe_tempdir(dir_.string(), ec);
              disarm();
              expect_outcome(ec);
              EXPECT_EQ(ok, !must_fail());
              if (must_fail() && current().call == "probe_unlink") {
                  // A directory where the probe cannot be removed is not
                  // usable; the probe file itself the kernel kept.
                  ASSERT_EQ(entries(dir_).size(), 1u);
                  fs::remove(dir_ / entries(dir_)[0]);
              }
          });
}

TEST_F(core_sweep, gettempdir_searches_on) {
    // $TMPDIR (the test directory) is the first candidate; when its probe
    // fails, the next usable candidate wins.
    const char* old = std::getenv("TMPDIR");
    std::string saved = old ? old : "";
    ::setenv("TMPDIR", dir_.c_str(), 1);
    sweep("core: gettempdir",
          {"getcwd", "probe_open", "probe_write", "probe_close", "probe_unlink"}, [&] {
              tempio::set_tempdir({});
              error_code ec;
              arm();
              fs::path found = tempio::gettempdir(ec);
              disarm();
              EXPECT_FALSE(ec) << ec.message();
              // getcwd only names the last candidate.
              bool dir_usable = !must_fail() || current().call == "getcwd";
              if (dir_usable)
                  EXPECT_EQ(found, dir_);
              else
                  EXPECT_NE(found, dir_);
              if (must_fail() && current().call == "probe_unlink") {
                  ASSERT_EQ(entries(dir_).size(), 1u);
                  fs::remove(dir_ / entries(dir_)[0]);
              }
          });
    if (old)
        ::setenv("TMPDIR", saved.c_str(), 1);
    else
        ::unsetenv("TMPDIR");
    tempio::set_tempdir({});
}
