#pragma once
// The threads of the three runtimes under the model: LibTorch's intra-op threads, OpenMP's
// (which LibTorch's CPU kernels run on) and OpenBLAS's own pool (matrix products), which
// LibTorch does not limit. One number sets all three; docs/model.md ("Threads") says why the
// commands default to one.

#include <string>

namespace evomem::model {

// The default of --threads: on a busy machine (an evolution on every core) one thread decoded
// and prefilled faster than two (measured in docs/model.md).
inline constexpr int kDefaultThreads = 1;
inline constexpr int kMaxThreads = 1024;

struct ThreadSettings {
  int intra_op = 0;           // at::get_num_threads()
  int openmp = -1;            // omp_get_max_threads() of the calling thread; -1: no OpenMP runtime
  int blas = -1;              // openblas_get_num_threads(); -1: the BLAS is not OpenBLAS
  bool passive_wait = false;  // OMP_WAIT_POLICY=PASSIVE: idle OpenMP threads sleep at once
};

// Sets LibTorch's intra-op threads, OpenMP's and OpenBLAS's to `threads` (1..kMaxThreads) for
// the whole process: threads started later (an MPI worker's evaluation thread) get them too.
// Logs the result at debug level.
void apply_threads(int threads);

ThreadSettings current_threads();

// "intra-op 2, OpenMP 2, OpenBLAS 2, OpenMP wait passive" (or "spinning"; a -1 count reads "none").
std::string describe(const ThreadSettings& settings);

}  // namespace evomem::model
