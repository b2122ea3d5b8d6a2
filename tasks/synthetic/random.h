#pragma once
// The seeded generator behind every synthetic sample. It is a SplitMix64 stream with its own
// integer and shuffle routines, so a seed gives the same samples with any standard library
// (std::uniform_int_distribution is implementation-defined).

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace evomem::tasks {

// SplitMix64 (Steele, Lea, Flood 2014): passes BigCrush, trivially seekable by re-seeding.
class SyntheticRng {
 public:
  explicit SyntheticRng(std::uint64_t seed) : state_(seed) {}
  // An independent stream for (seed, stream): sample i of a file uses stream i, so the
  // samples do not depend on each other.
  static SyntheticRng for_stream(std::uint64_t seed, std::uint64_t stream);

  std::uint64_t next();
  // Uniform in [0, bound) without modulo bias; bound must be positive.
  std::uint64_t below(std::uint64_t bound);
  // Uniform in [low, high].
  std::int64_t between(std::int64_t low, std::int64_t high);

  template <typename T>
  void shuffle(std::vector<T>& values) {
    for (std::size_t i = values.size(); i > 1; --i) std::swap(values[i - 1], values[below(i)]);
  }

  // `count` decimal digits, the first one non-zero.
  std::string digits(std::size_t count);
  // A version-4 UUID in lower-case hex, as Python's str(uuid.uuid4()) writes it.
  std::string uuid();
  // `count` upper-case letters (variable names of the variable tracking task).
  std::string upper_letters(std::size_t count);

 private:
  std::uint64_t state_;
};

}  // namespace evomem::tasks
