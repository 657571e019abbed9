#include "support/test_dir.hpp"

#include <unistd.h>  // getpid

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>

#include "tempio/mkstemp.hpp"

namespace tempio::test {

std::vector<std::string> entries(const std::filesystem::path& dir) {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(dir))
        names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

std::map<std::string, std::string> tree_snapshot(const std::filesystem::path& dir) {
    namespace fs = std::filesystem;
    // Type and permission bits as std::filesystem sees them (the same on
    // every platform), a link's target, a file's content.
    auto describe = [](const fs::path& p) {
        const auto st = fs::symlink_status(p);
        std::string v = std::to_string(static_cast<int>(st.type())) + "/" +
                        std::to_string(static_cast<unsigned>(st.permissions())) + ":";
        if (fs::is_symlink(st)) v += fs::read_symlink(p).string();
        if (fs::is_regular_file(st)) {
            std::ifstream in(p, std::ios::binary);
            v.append(std::istreambuf_iterator<char>(in), {});
        }
        return v;
    };
    std::map<std::string, std::string> out;
    auto opts = fs::directory_options::skip_permission_denied;
    for (auto it = fs::recursive_directory_iterator(dir, opts); it != fs::end(it); ++it)
        out[fs::relative(it->path(), dir).generic_string()] = describe(it->path());
    out["."] = describe(dir);
    return out;
}

void test_dir::SetUp() {
    // Created with the library under test would hide its bugs: use the
    // standard library here.
    auto base = std::filesystem::temp_directory_path() / "tempio-tests";
    std::filesystem::create_directories(base);
    std::filesystem::permissions(base, std::filesystem::perms::all);  // for uid 65534
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = std::string(info->test_suite_name()) + "." + info->name();
    std::replace(name.begin(), name.end(), '/', '_');
    dir_ = base / (name + "." + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directory(dir_);
    fds_before_ = open_fds();
}

void test_dir::TearDown() {
    EXPECT_EQ(open_fds(), fds_before_) << "descriptors leaked";
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
}

}  // namespace tempio::test
