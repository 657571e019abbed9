// Random names: CPython's TestRandomNameSequence, plus fork behaviour.
#include <sys/wait.h>
#include <unistd.h>

#include <regex>
#include <set>

#include <gtest/gtest.h>

#include "core/names.hpp"
#include "support/test_dir.hpp"

using tempio::detail::append_random_name;

namespace {
std::string next_name() {
    std::string s;
    append_random_name(s);
    return s;
}
}  // namespace

TEST(names, are_eight_characters_of_the_alphabet) {
    const std::regex pattern("^[a-z0-9_]{8}$");
    for (int i = 0; i < 1000; ++i) EXPECT_TRUE(std::regex_match(next_name(), pattern));
}

TEST(names, hundred_in_a_row_are_distinct) {
    std::set<std::string> seen;
    for (int i = 0; i < 100; ++i) EXPECT_TRUE(seen.insert(next_name()).second);
}

TEST(names, use_the_whole_alphabet) {
    std::set<char> chars;
    for (int i = 0; i < 2000; ++i)
        for (char c : next_name()) chars.insert(c);
    EXPECT_EQ(chars.size(), tempio::detail::name_alphabet.size());
}

TEST(names, a_forked_child_continues_differently) {
    if (!tempio::test::can_fork()) GTEST_SKIP() << "no fork() on this platform";
    next_name();  // seed the parent's generator
    int pipefd[2];
    ASSERT_EQ(::pipe(pipefd), 0);
    pid_t pid = ::fork();
    if (pid == 0) {
        std::string child = next_name();
        (void)!::write(pipefd[1], child.data(), child.size());
        ::_exit(0);
    }
    ::close(pipefd[1]);
    std::string parent = next_name();
    char buf[16] = {};
    ssize_t n = ::read(pipefd[0], buf, sizeof buf);
    ::close(pipefd[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ASSERT_EQ(n, 8);
    EXPECT_NE(parent, std::string(buf, 8));
}
