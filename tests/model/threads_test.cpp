// model::apply_threads sets LibTorch's, OpenMP's and OpenBLAS's threads to one number, for the
// calling thread and for threads started later; current_threads reads them back.

#include <gtest/gtest.h>

#include <ATen/Parallel.h>
#include <dlfcn.h>

#include <cstdlib>
#include <optional>
#include <string>
#include <thread>

#include "model/threads.h"

namespace evomem::model {
namespace {

// What the runtimes of this test binary hold: OpenMP comes with Debian's LibTorch and OpenBLAS
// is the system BLAS (scripts/setup.sh); another build reads -1 for the one it lacks.
bool has(const char* symbol) { return dlsym(RTLD_DEFAULT, symbol) != nullptr; }

void expect_threads(const ThreadSettings& settings, int threads) {
  EXPECT_EQ(settings.intra_op, threads);
  EXPECT_EQ(settings.openmp, has("omp_get_max_threads") ? threads : -1);
  EXPECT_EQ(settings.blas, has("openblas_get_num_threads") ? threads : -1);
}

TEST(Threads, ApplyThenReadBack) {
  apply_threads(2);
  expect_threads(current_threads(), 2);
  apply_threads(1);
  expect_threads(current_threads(), 1);
}

TEST(Threads, ThreadsStartedLaterGetTheCount) {
  // An MPI worker applies worker.threads on its main thread and evaluates on another.
  apply_threads(2);
  std::optional<ThreadSettings> seen;
  std::thread([&seen] { seen = current_threads(); }).join();
  ASSERT_TRUE(seen.has_value());
  expect_threads(*seen, 2);
  apply_threads(1);
}

TEST(Threads, WaitPolicyAndDescription) {
  const char* before = std::getenv("OMP_WAIT_POLICY");
  const std::optional<std::string> saved = before ? std::optional<std::string>(before) : std::nullopt;
  setenv("OMP_WAIT_POLICY", " Passive", 1);  // libgomp's spelling rules: any case, leading blanks
  EXPECT_TRUE(current_threads().passive_wait);
  setenv("OMP_WAIT_POLICY", "ACTIVE", 1);
  EXPECT_FALSE(current_threads().passive_wait);
  if (saved) {
    setenv("OMP_WAIT_POLICY", saved->c_str(), 1);
  } else {
    unsetenv("OMP_WAIT_POLICY");
  }
  EXPECT_EQ(describe({2, 2, -1, true}), "intra-op 2, OpenMP 2, OpenBLAS none, OpenMP wait passive");
  EXPECT_EQ(describe({1, -1, 1, false}), "intra-op 1, OpenMP none, OpenBLAS 1, OpenMP wait spinning");
}

}  // namespace
}  // namespace evomem::model
