#include "core/names.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

#include "core/fork_generation.hpp"
#include "core/sys.hpp"
#include "platform/platform.hpp"

namespace tempio::detail {
namespace {

#if TEMPIO_TEST_SEAM
std::atomic<name_source> g_source{nullptr};
#endif

// xoshiro256** : small, fast, good statistical quality; the seed, not the
// generator, is what makes names unpredictable.
struct xoshiro {
    std::uint64_t s[4];
    static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    std::uint64_t next() {
        std::uint64_t result = rotl(s[1] * 5, 7) * 9;
        std::uint64_t t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = rotl(s[3], 45);
        return result;
    }
};

struct thread_generator {
    xoshiro rng{};
    unsigned generation = 0;

    void seed() {
        std::uint64_t seed[4] = {};
        if (!platform::random_bytes(seed, sizeof seed)) {
            // getrandom cannot really fail for 32 bytes once the pool is ready;
            // if it does, mix clocks and addresses: names stay unique through
            // O_EXCL anyway, only their unpredictability suffers.
            auto t = static_cast<std::uint64_t>(
                std::chrono::high_resolution_clock::now().time_since_epoch().count());
            seed[0] ^= t;
            seed[1] ^= reinterpret_cast<std::uintptr_t>(this);
            seed[2] ^= std::hash<std::thread::id>{}(std::this_thread::get_id());
            seed[3] ^= t * 0x9E3779B97F4A7C15ull;
        }
        if ((seed[0] | seed[1] | seed[2] | seed[3]) == 0) seed[0] = 1;
        for (int i = 0; i < 4; ++i) rng.s[i] = seed[i];
        generation = fork_generation();  // a thread seeded before a fork reseeds after
    }
};

}  // namespace

#if TEMPIO_TEST_SEAM
void set_name_source_for_testing(name_source source) noexcept {
    g_source.store(source);
}
#endif

void append_random_name(std::string& out) {
#if TEMPIO_TEST_SEAM
    if (auto source = g_source.load(std::memory_order_relaxed)) {
        source(out);
        return;
    }
#endif
    thread_local thread_generator gen;
    if (gen.generation != fork_generation()) gen.seed();
    // 37 symbols: one 64-bit draw gives 8 characters with negligible bias
    // (5.8 bits each from 64 bits; 37^8 < 2^42), taken by repeated division.
    std::uint64_t x = gen.rng.next();
    char buf[name_length];
    for (auto& c : buf) {
        c = name_alphabet[x % name_alphabet.size()];
        x /= name_alphabet.size();
    }
    out.append(buf, name_length);
}

}  // namespace tempio::detail
