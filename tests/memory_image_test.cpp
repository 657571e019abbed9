// The spooled file's in-memory content (src/core/memory_image): a file's
// positions and limits, and nothing changed when memory runs out.
#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <string>

#include <gtest/gtest.h>

#include "core/memory_image.hpp"
#include "tempio/mkstemp.hpp"
#include "tempio/unique_fd.hpp"

using boost::system::error_code;
using tempio::detail::max_offset;
using tempio::detail::memory_image;

TEST(memory_image, writes_at_the_position_and_zero_fills_a_gap) {
    memory_image m;
    error_code ec;
    EXPECT_EQ(m.write("abc", 3, false, ec), 3u);
    m.set_position(5);
    EXPECT_EQ(m.write("z", 1, false, ec), 1u);
    EXPECT_FALSE(ec);
    EXPECT_EQ(m.size(), 6u);
    EXPECT_EQ(m.position(), 6u);
    m.set_position(0);
    EXPECT_EQ(m.read(100, ec), std::string("abc\0\0z", 6));
}

TEST(memory_image, append_writes_go_to_the_end) {
    memory_image m;
    error_code ec;
    m.write("hello", 5, false, ec);
    m.set_position(1);
    m.write("!", 1, true, ec);
    m.set_position(0);
    EXPECT_EQ(m.read(100, ec), "hello!");
}

TEST(memory_image, readline_and_read_into_move_the_position) {
    memory_image m;
    error_code ec;
    m.write("one\ntwo", 7, false, ec);
    m.set_position(0);
    EXPECT_EQ(m.readline(ec), "one\n");
    char buf[8];
    EXPECT_EQ(m.read_into(buf, sizeof buf), 3u);
    EXPECT_EQ(std::string(buf, 3), "two");
    EXPECT_EQ(m.readline(ec), "");
    EXPECT_EQ(m.read_into(buf, sizeof buf), 0u);
    EXPECT_FALSE(ec);
}

TEST(memory_image, past_off_t_is_efbig_and_changes_nothing) {
    memory_image m;
    error_code ec;
    m.write("x", 1, false, ec);
    m.set_position(max_offset);
    EXPECT_EQ(m.write("y", 1, false, ec), 0u);
    EXPECT_EQ(ec, std::errc::file_too_large);
    EXPECT_EQ(m.size(), 1u);
}

TEST(memory_image, an_impossible_size_is_enomem_and_changes_nothing) {
    memory_image m;
    error_code ec;
    m.write("keep", 4, false, ec);
    EXPECT_FALSE(m.resize(max_offset, ec));
    EXPECT_EQ(ec, std::errc::not_enough_memory);
    EXPECT_EQ(m.size(), 4u);
    EXPECT_TRUE(m.resize(2, ec));
    EXPECT_EQ(m.size(), 2u);
}

TEST(memory_image, copy_to_writes_everything_and_leaves_the_offset_at_the_position) {
    memory_image m;
    error_code ec;
    m.write("0123456789", 10, false, ec);
    m.set_position(4);
    auto made = tempio::mkstemp();  // in gettempdir(); removed below
    tempio::unique_fd& fd = made.fd;
    ASSERT_TRUE(fd);
    ASSERT_TRUE(m.copy_to(fd.get(), ec)) << ec.message();
    EXPECT_EQ(::lseek(fd.get(), 0, SEEK_CUR), 4);
    char buf[16] = {};
    EXPECT_EQ(::pread(fd.get(), buf, sizeof buf, 0), 10);
    EXPECT_EQ(std::string(buf, 10), "0123456789");
    EXPECT_FALSE(m.copy_to(-1, ec));
    EXPECT_EQ(ec, std::errc::bad_file_descriptor);
    fd.reset();
    std::filesystem::remove(made.path);
}
