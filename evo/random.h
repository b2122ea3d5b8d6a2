#pragma once
// The seeded generator every strategy owns. A small, fully serialisable state (four 64-bit
// words plus the spare normal deviate) is what makes restored runs continue bit-identically;
// std:: distributions are avoided because their output differs between standard libraries.

#include <array>
#include <cstdint>
#include <vector>

namespace evomem::evo {

// xoshiro256++ with Marsaglia's polar method for normal deviates.
class Rng {
 public:
  explicit Rng(std::uint64_t seed = 1);

  std::uint64_t next_u64();
  // Uniform in [0, 1).
  double uniform();
  double normal();
  // Fills `count` standard normal deviates.
  void fill_normal(double* out, std::size_t count);

  // The complete state as 64-bit words (generator words, spare flag, spare bits).
  std::vector<std::uint64_t> save() const;
  // Inverse of save(); throws FormatError when the word count is wrong.
  void load(const std::vector<std::uint64_t>& words);

 private:
  std::array<std::uint64_t, 4> words_{};
  bool has_spare_ = false;
  double spare_ = 0.0;
};

}  // namespace evomem::evo
