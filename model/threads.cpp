#include "model/threads.h"

#include <ATen/Parallel.h>
#include <dlfcn.h>

#include <cctype>
#include <cstdlib>

#include "core/error.h"
#include "core/logging.h"

namespace evomem::model {
namespace {

// OpenMP and OpenBLAS are found at run time in the libraries LibTorch brought in, not linked:
// a LibTorch without OpenMP, or a build against another BLAS, still links (their count then
// reads -1 and setting it is skipped).
template <typename Function>
Function* runtime_function(const char* name) {
  return reinterpret_cast<Function*>(dlsym(RTLD_DEFAULT, name));
}

// libgomp reads OMP_WAIT_POLICY once, when it is loaded, so the environment tells what the
// runtime uses (apps/main.cpp sets it before that). It accepts any case and leading blanks.
bool passive_wait_policy() {
  const char* value = std::getenv("OMP_WAIT_POLICY");
  if (value == nullptr) return false;
  std::string word;
  for (const char* c = value; *c != '\0'; ++c) {
    if (!std::isspace(static_cast<unsigned char>(*c))) word += static_cast<char>(std::tolower(*c));
  }
  return word == "passive";
}

std::string count_text(int count) { return count < 0 ? "none" : std::to_string(count); }

}  // namespace

void apply_threads(int threads) {
  EVOMEM_CHECK(threads >= 1 && threads <= kMaxThreads, "thread count out of range; the caller checks it");
  // LibTorch also sets OpenMP's count of the calling thread; each thread started later gets
  // LibTorch's count at its first parallel call (at::init_num_threads). Setting OpenMP
  // directly too keeps a LibTorch with another parallel backend from leaving OpenMP at cores.
  at::set_num_threads(threads);
  if (auto* set_openmp = runtime_function<void(int)>("omp_set_num_threads")) set_openmp(threads);
  // OpenBLAS's pool is global and LibTorch does not touch it: left alone it has one thread per
  // core, which spin after each product while the intra-op threads want the same cores.
  if (auto* set_blas = runtime_function<void(int)>("openblas_set_num_threads")) set_blas(threads);
  core::log::debug("threads: {}", describe(current_threads()));
}

ThreadSettings current_threads() {
  ThreadSettings settings;
  settings.intra_op = at::get_num_threads();
  if (auto* get_openmp = runtime_function<int()>("omp_get_max_threads")) settings.openmp = get_openmp();
  if (auto* get_blas = runtime_function<int()>("openblas_get_num_threads")) settings.blas = get_blas();
  settings.passive_wait = passive_wait_policy();
  return settings;
}

std::string describe(const ThreadSettings& settings) {
  return "intra-op " + count_text(settings.intra_op) + ", OpenMP " + count_text(settings.openmp) + ", OpenBLAS " +
         count_text(settings.blas) + ", OpenMP wait " + (settings.passive_wait ? "passive" : "spinning");
}

}  // namespace evomem::model
