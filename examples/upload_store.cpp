// Publishing (docs/publishing.md): a content-addressed upload store.
//
// Each upload is spooled in memory (rolled over to an anonymous file once it
// grows past max_size), hashed while it streams in, and published under the
// SHA-256 of its bytes with async_persist_noclobber. The name *is* the
// content, so a name already taken (file_exists, EEXIST) means a duplicate:
// the upload is dropped and the stored copy stays untouched. No
// check-then-write race: two identical uploads racing both try, one wins.
// Nothing half-written is ever visible under a hash name: an upload in memory
// is written to an unnamed file in the target's directory, a rolled-over one
// is one already, and either is linked into place whole. Each publish has a
// deadline (Boost 1.81 has no net::cancel_after: a timer and a cancellation
// signal, docs/coroutines.md), and the blocking directory listing runs on
// tempio's pool through a lambda named before the co_await (g++ 12).
#include <array>
#include <bit>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <tempio/tempio.hpp>

namespace fs = std::filesystem;
namespace net = tempio::net;

namespace {

// A small SHA-256 (FIPS 180-4), so that the example needs nothing else; a
// real server would use its crypto library's.
class sha256 {
  public:
    void update(std::string_view data) {
        for (unsigned char c : data) {
            block_[used_++] = c;
            if (used_ == 64) compress();
        }
        bits_ += 8 * static_cast<std::uint64_t>(data.size());
    }
    std::string hex() {  // finishes the hash
        std::uint64_t bits = bits_;
        block_[used_++] = 0x80;
        if (used_ > 56) {
            while (used_ < 64) block_[used_++] = 0;
            compress();
        }
        while (used_ < 56) block_[used_++] = 0;
        for (int i = 7; i >= 0; --i) block_[used_++] = static_cast<unsigned char>(bits >> (8 * i));
        compress();
        std::string out;
        for (std::uint32_t v : h_)
            for (int i = 28; i >= 0; i -= 4) out += "0123456789abcdef"[(v >> i) & 0xf];
        return out;
    }

  private:
    void compress() {
        static constexpr std::array<std::uint32_t, 64> k = {
            0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
            0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
            0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
            0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
            0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
            0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
            0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
            0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
            0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
            0xc67178f2};
        std::array<std::uint32_t, 64> w{};
        for (int i = 0; i < 16; ++i)
            w[i] = std::uint32_t{block_[4 * i]} << 24 | std::uint32_t{block_[4 * i + 1]} << 16 |
                   std::uint32_t{block_[4 * i + 2]} << 8 | std::uint32_t{block_[4 * i + 3]};
        for (int i = 16; i < 64; ++i) {
            std::uint32_t s0 =
                std::rotr(w[i - 15], 7) ^ std::rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
            std::uint32_t s1 = std::rotr(w[i - 2], 17) ^ std::rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16] + s0 + w[i - 7] + s1;
        }
        auto [a, b, c, d, e, f, g, h] = h_;
        for (int i = 0; i < 64; ++i) {
            std::uint32_t t1 = h + (std::rotr(e, 6) ^ std::rotr(e, 11) ^ std::rotr(e, 25)) +
                               ((e & f) ^ (~e & g)) + k[i] + w[i];
            std::uint32_t t2 = (std::rotr(a, 2) ^ std::rotr(a, 13) ^ std::rotr(a, 22)) +
                               ((a & b) ^ (a & c) ^ (b & c));
            h = g;
            g = f;
            f = e;
            e = d + t1;
            d = c;
            c = b;
            b = a;
            a = t1 + t2;
        }
        std::array<std::uint32_t, 8> next = {a, b, c, d, e, f, g, h};
        for (int i = 0; i < 8; ++i) h_[i] += next[i];
        used_ = 0;
    }

    std::array<std::uint32_t, 8> h_ = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                       0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    std::array<unsigned char, 64> block_{};
    std::size_t used_ = 0;
    std::uint64_t bits_ = 0;
};

// Publishes `f` under `target`, never replacing, unless the publish has not
// started within `limit` (all workers busy on a congested disk, say): then
// nothing is published and the result is operation_aborted. A publish that
// had started finishes, and its result is the real one. The co_await itself
// lasts until a worker reaches the job: a deadline decides whether the work
// is done, not how long the wait is.
net::awaitable<tempio::error_code> persist_noclobber_before(tempio::spooled_temporary_file& f,
                                                            const fs::path& target,
                                                            std::chrono::milliseconds limit) {
    net::steady_timer deadline(co_await net::this_coro::executor, limit);
    // Shared with the timer's handler, which may run after this coroutine
    // returned (a deadline that expired just as the publish completed).
    auto cancel = std::make_shared<net::cancellation_signal>();
    auto on_deadline = [cancel](tempio::error_code ec) {
        if (!ec) cancel->emit(net::cancellation_type::terminal);
    };
    deadline.async_wait(on_deadline);
    // On Boost 1.81 the slot binds to use_awaitable (not to deferred).
    auto [ec] = co_await f.async_persist_noclobber(
        target, net::as_tuple(net::bind_cancellation_slot(cancel->slot(), net::use_awaitable)));
    deadline.cancel();
    co_return ec;
}

// Receives one upload, arriving in chunks, and stores it under its hash.
net::awaitable<void> store(const fs::path& uploads, std::string_view body) {
    // The rollover file goes in the uploads directory itself: publishing
    // links it there, and a link cannot cross file systems (cross_device_link).
    auto f =
        co_await tempio::spooled_temporary_file::async_create({.max_size = 1024, .dir = uploads});
    sha256 hash;
    for (std::size_t at = 0; at < body.size(); at += 256) {
        std::string_view chunk = body.substr(at, 256);
        hash.update(chunk);
        co_await f.async_write(chunk);  // past 1024 bytes: rolls over to disk
    }
    const std::string name = hash.hex();
    const char* where = f.rolled() ? "rolled over" : "in memory";
    const fs::path target = uploads / name;
    const auto ec = co_await persist_noclobber_before(f, target, std::chrono::seconds(5));
    if (ec == std::errc::file_exists)
        std::cout << "duplicate " << name << " (" << where << ")\n";  // f still owns its data
    else if (ec == net::error::operation_aborted)
        std::cout << "too slow, not stored " << name << "\n";  // f still owns its data
    else if (ec)
        throw boost::system::system_error(ec, "publishing " + name);
    else
        std::cout << "stored " << name << " (" << where << ")\n";  // f now is the stored file
    co_await f.async_close();  // a duplicate's data goes; a stored file stays
}

net::awaitable<void> co_main() {
    auto uploads = co_await tempio::temporary_directory::async_create({.prefix = "uploads_"});
    std::string big;
    for (int i = 0; i < 100; ++i) big += "line " + std::to_string(i) + " of a large upload\n";

    co_await store(uploads.path(), "a small upload\n");
    co_await store(uploads.path(), big);
    co_await store(uploads.path(), "a small upload\n");  // the same bytes again

    // Blocking calls of our own go to tempio's pool, not the event loop. The
    // lambda is named first: g++ 12 destroys a capturing lambda written as a
    // temporary inside co_await twice when a capture has a destructor (this
    // one captures a path by value). docs/coroutines.md.
    auto count_files = [dir = uploads.path()] {
        std::size_t n = 0;
        for (const auto& entry : fs::directory_iterator(dir)) n += entry.is_regular_file();
        return n;
    };
    auto stored = co_await tempio::async_run_blocking(std::move(count_files));
    std::cout << stored << " files stored\n";
    co_await uploads.async_cleanup();
}

}  // namespace

int main() {
    tempio::run(co_main);
}
