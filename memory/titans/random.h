#pragma once
// Seeded numbers for the Titans memory's fixed projections and initial weights. They must be
// identical on every machine (a search's genomes only mean something with the same memory),
// so the generator is std::mt19937_64, whose output the C++ standard fixes, and the
// distribution code is our own (std:: distributions differ between standard libraries) and
// uses only exactly rounded IEEE operations (no log, sin or cos).

#include <cstdint>
#include <vector>

namespace evomem::memory {

// `count` deviates uniform in [-1, 1). `stream` selects an independent sequence for the same
// seed (W_K, W_V, W_Q and each memory layer get their own).
std::vector<double> titans_uniform(std::int64_t count, std::uint64_t seed, std::uint64_t stream);

// A rows x cols matrix (row-major) whose rows are orthonormal when rows <= cols and whose
// columns are orthonormal otherwise: modified Gram-Schmidt, in float64, on uniform deviates.
std::vector<double> titans_orthogonal(std::int64_t rows, std::int64_t cols, std::uint64_t seed, std::uint64_t stream);

}  // namespace evomem::memory
