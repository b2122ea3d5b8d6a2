#include "evo/random.h"

#include <cmath>
#include <cstring>
#include <string>

#include "core/error.h"

namespace evomem::evo {
namespace {

std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

inline std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

Rng::Rng(std::uint64_t seed) {
  std::uint64_t x = seed;
  for (auto& word : words_) word = splitmix64(x);
}

std::uint64_t Rng::next_u64() {
  const std::uint64_t result = rotl(words_[0] + words_[3], 23) + words_[0];
  const std::uint64_t t = words_[1] << 17;
  words_[2] ^= words_[0];
  words_[3] ^= words_[1];
  words_[1] ^= words_[2];
  words_[0] ^= words_[3];
  words_[2] ^= t;
  words_[3] = rotl(words_[3], 45);
  return result;
}

double Rng::uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

double Rng::normal() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  double u, v, s;
  do {
    u = 2.0 * uniform() - 1.0;
    v = 2.0 * uniform() - 1.0;
    s = u * u + v * v;
  } while (s >= 1.0 || s == 0.0);
  const double factor = std::sqrt(-2.0 * std::log(s) / s);
  spare_ = v * factor;
  has_spare_ = true;
  return u * factor;
}

void Rng::fill_normal(double* out, std::size_t count) {
  for (std::size_t i = 0; i < count; ++i) out[i] = normal();
}

std::vector<std::uint64_t> Rng::save() const {
  std::uint64_t spare_bits = 0;
  std::memcpy(&spare_bits, &spare_, sizeof spare_bits);
  return {words_[0], words_[1], words_[2], words_[3], has_spare_ ? 1u : 0u, spare_bits};
}

void Rng::load(const std::vector<std::uint64_t>& words) {
  if (words.size() != 6) {
    throw FormatError("random generator state has " + std::to_string(words.size()) +
                      " words, expected 6; the strategy state is corrupt, use another checkpoint");
  }
  for (int i = 0; i < 4; ++i) words_[i] = words[i];
  if (words_[0] == 0 && words_[1] == 0 && words_[2] == 0 && words_[3] == 0) {
    throw FormatError("random generator state is all zero; the strategy state is corrupt, use another checkpoint");
  }
  has_spare_ = words[4] != 0;
  std::memcpy(&spare_, &words[5], sizeof spare_);
}

}  // namespace evomem::evo
