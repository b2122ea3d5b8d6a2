#include "tasks/synthetic/random.h"

#include "core/error.h"

namespace evomem::tasks {

SyntheticRng SyntheticRng::for_stream(std::uint64_t seed, std::uint64_t stream) {
  SyntheticRng mixer(seed ^ (0x9E3779B97F4A7C15ULL * (stream + 1)));
  // Two rounds decorrelate neighbouring (seed, stream) pairs.
  mixer.next();
  return SyntheticRng(mixer.next());
}

std::uint64_t SyntheticRng::next() {
  state_ += 0x9E3779B97F4A7C15ULL;
  std::uint64_t z = state_;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

std::uint64_t SyntheticRng::below(std::uint64_t bound) {
  EVOMEM_CHECK(bound > 0);
  // Rejection of the top partial range keeps every value equally likely.
  const std::uint64_t limit = ~std::uint64_t{0} - (~std::uint64_t{0} % bound);
  std::uint64_t value = next();
  while (value >= limit) value = next();
  return value % bound;
}

std::int64_t SyntheticRng::between(std::int64_t low, std::int64_t high) {
  EVOMEM_CHECK(high >= low);
  return low + static_cast<std::int64_t>(below(static_cast<std::uint64_t>(high - low) + 1));
}

std::string SyntheticRng::digits(std::size_t count) {
  std::string text;
  for (std::size_t i = 0; i < count; ++i) {
    text.push_back(static_cast<char>('0' + (i == 0 ? 1 + below(9) : below(10))));
  }
  return text;
}

std::string SyntheticRng::uuid() {
  static const char kHex[] = "0123456789abcdef";
  std::string text;
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) text.push_back('-');
    std::uint64_t nibble = below(16);
    if (i == 12) nibble = 4;                   // version 4
    if (i == 16) nibble = 8 + (nibble & 0x3);  // RFC 4122 variant
    text.push_back(kHex[nibble]);
  }
  return text;
}

std::string SyntheticRng::upper_letters(std::size_t count) {
  std::string text;
  for (std::size_t i = 0; i < count; ++i) text.push_back(static_cast<char>('A' + below(26)));
  return text;
}

}  // namespace evomem::tasks
