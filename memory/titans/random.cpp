#include "memory/titans/random.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "core/error.h"

namespace evomem::memory {

namespace {

// SplitMix64 finaliser: turns (seed, stream) into well-separated mt19937_64 seeds, so nearby
// seeds and streams do not give correlated sequences.
std::uint64_t mix(std::uint64_t value) {
  value += 0x9e3779b97f4a7c15ULL;
  value = (value ^ (value >> 30U)) * 0xbf58476d1ce4e5b9ULL;
  value = (value ^ (value >> 27U)) * 0x94d049bb133111ebULL;
  return value ^ (value >> 31U);
}

double dot(const double* a, const double* b, std::int64_t n) {
  double sum = 0.0;
  for (std::int64_t i = 0; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

}  // namespace

std::vector<double> titans_uniform(std::int64_t count, std::uint64_t seed, std::uint64_t stream) {
  EVOMEM_CHECK(count >= 0);
  std::mt19937_64 generator(mix(mix(seed) ^ stream));
  std::vector<double> out(static_cast<std::size_t>(count));
  for (auto& value : out) {
    // The top 53 bits give a uniform double in [0, 1) exactly; scaling by 2 is exact too.
    const double unit = static_cast<double>(generator() >> 11U) * 0x1.0p-53;
    value = 2.0 * unit - 1.0;
  }
  return out;
}

std::vector<double> titans_orthogonal(std::int64_t rows, std::int64_t cols, std::uint64_t seed, std::uint64_t stream) {
  EVOMEM_CHECK(rows > 0 && cols > 0);
  const std::int64_t count = std::min(rows, cols);
  const std::int64_t length = std::max(rows, cols);
  std::vector<double> vectors = titans_uniform(count * length, seed, stream);
  for (std::int64_t i = 0; i < count; ++i) {
    double* vector = vectors.data() + i * length;
    // Two passes of modified Gram-Schmidt ("twice is enough") keep the result orthonormal to
    // rounding even when a deviate vector is nearly dependent on the earlier ones.
    for (int pass = 0; pass < 2; ++pass) {
      for (std::int64_t j = 0; j < i; ++j) {
        const double* basis = vectors.data() + j * length;
        const double projection = dot(vector, basis, length);
        for (std::int64_t e = 0; e < length; ++e) vector[e] -= projection * basis[e];
      }
    }
    const double norm = std::sqrt(dot(vector, vector, length));
    EVOMEM_CHECK(norm > 1e-8, "titans_orthogonal: a random vector is dependent on the earlier ones");
    for (std::int64_t e = 0; e < length; ++e) vector[e] /= norm;
  }
  if (rows <= cols) return vectors;  // the vectors are the rows
  std::vector<double> out(static_cast<std::size_t>(rows * cols));
  for (std::int64_t c = 0; c < cols; ++c) {
    for (std::int64_t r = 0; r < rows; ++r)
      out[static_cast<std::size_t>(r * cols + c)] = vectors[static_cast<std::size_t>(c * length + r)];
  }
  return out;
}

}  // namespace evomem::memory
