#include "cluster/mpi_session.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <utility>

#include "cluster/polling.h"
#include "core/logging.h"

namespace evomem::cluster {
namespace {

bool mpi_running() {
  int initialized = 0;
  int finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  return initialized != 0 && finalized == 0;
}

// Completes a non-blocking collective without MPI_Wait's busy loop.
void wait_polling(MPI_Request& request, const char* call) {
  PollBackoff backoff(std::chrono::microseconds(50), std::chrono::milliseconds(5));
  for (;;) {
    int done = 0;
    check_mpi(MPI_Test(&request, &done, MPI_STATUS_IGNORE), call);
    if (done != 0) return;
    backoff.sleep();
  }
}

}  // namespace

void check_mpi(int code, const char* call) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING] = {};
  int length = 0;
  if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) length = 0;
  throw MpiError(
      std::string(call) + " failed: " +
      (length > 0 ? std::string(text, static_cast<std::size_t>(length)) : "error code " + std::to_string(code)));
}

MpiCommunicator& MpiCommunicator::operator=(MpiCommunicator&& other) noexcept {
  if (this != &other) {
    reset();
    comm_ = std::exchange(other.comm_, MPI_COMM_NULL);
  }
  return *this;
}

void MpiCommunicator::reset() {
  // After MPI_Finalize every handle is gone already; freeing it then would be an error.
  if (comm_ != MPI_COMM_NULL && mpi_running()) MPI_Comm_free(&comm_);
  comm_ = MPI_COMM_NULL;
}

MpiSession::MpiSession(int* argc, char*** argv) {
  int initialized = 0;
  int finalized = 0;
  check_mpi(MPI_Initialized(&initialized), "MPI_Initialized");
  check_mpi(MPI_Finalized(&finalized), "MPI_Finalized");
  if (initialized != 0 || finalized != 0) {
    throw MpiError("MPI was already initialised in this process; evomem needs to own it through one MpiSession");
  }
  int provided = 0;
  check_mpi(MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
  try {
    // Errors come back as codes that check_mpi turns into exceptions naming the call, instead
    // of MPI aborting the whole job with its own message.
    check_mpi(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
    if (provided < MPI_THREAD_FUNNELED) {
      throw MpiError("the MPI library does not support MPI_THREAD_FUNNELED (workers evaluate in a second thread); "
                     "use an MPI build with thread support");
    }
    check_mpi(MPI_Comm_rank(MPI_COMM_WORLD, &rank_), "MPI_Comm_rank");
    check_mpi(MPI_Comm_size(MPI_COMM_WORLD, &size_), "MPI_Comm_size");

    MPI_Comm work = MPI_COMM_NULL;
    check_mpi(MPI_Comm_dup(MPI_COMM_WORLD, &work), "MPI_Comm_dup");
    work_comm_ = MpiCommunicator(work);
    check_mpi(MPI_Comm_set_errhandler(work_comm_.get(), MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");

    MPI_Comm node = MPI_COMM_NULL;
    check_mpi(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node),
              "MPI_Comm_split_type");
    node_comm_ = MpiCommunicator(node);
    check_mpi(MPI_Comm_rank(node_comm_.get(), &local_rank_), "MPI_Comm_rank (node)");
    check_mpi(MPI_Comm_size(node_comm_.get(), &local_size_), "MPI_Comm_size (node)");
  } catch (...) {
    finalize();
    throw;
  }
  core::log::set_rank(rank_);
}

MpiSession::~MpiSession() {
  try {
    finalize();
  } catch (const std::exception& error) {
    core::log::error("MPI shutdown failed: {}", error.what());
  }
}

void MpiSession::broadcast_text(std::string& text) const {
  EVOMEM_CHECK(!finalized_, "broadcast after MPI_Finalize");
  std::uint64_t size = text.size();
  MPI_Request request = MPI_REQUEST_NULL;
  check_mpi(MPI_Ibcast(&size, 1, MPI_UINT64_T, 0, comm(), &request), "MPI_Ibcast (text size)");
  wait_polling(request, "MPI_Test (text size broadcast)");
  if (rank_ != 0) text.assign(size, '\0');
  if (size == 0) return;
  // Chunks keep every count inside MPI's int range, whatever the text's length.
  constexpr std::uint64_t kChunk = std::uint64_t{1} << 30;
  for (std::uint64_t offset = 0; offset < size; offset += kChunk) {
    const int count = static_cast<int>(std::min(kChunk, size - offset));
    check_mpi(MPI_Ibcast(text.data() + offset, count, MPI_CHAR, 0, comm(), &request), "MPI_Ibcast (text)");
    wait_polling(request, "MPI_Test (text broadcast)");
  }
}

void MpiSession::barrier() const {
  EVOMEM_CHECK(!finalized_, "barrier after MPI_Finalize");
  MPI_Request request = MPI_REQUEST_NULL;
  check_mpi(MPI_Ibarrier(comm(), &request), "MPI_Ibarrier");
  wait_polling(request, "MPI_Test (barrier)");
}

void MpiSession::finalize() {
  if (finalized_) return;
  finalized_ = true;
  node_comm_.reset();
  work_comm_.reset();
  if (mpi_running()) check_mpi(MPI_Finalize(), "MPI_Finalize");
}

bool MpiSession::launched_by_mpirun() {
  // Each launcher family sets its own variables: Open MPI (OMPI_*), PMIx (Open MPI 5, srun
  // --mpi=pmix), PMI-1/2 (MPICH's Hydra, Intel MPI, srun --mpi=pmi2), MVAPICH. Slurm's own
  // SLURM_PROCID is not enough: srun also starts plain, non-MPI programs.
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE", "PMI_RANK", "MV2_COMM_WORLD_SIZE"}) {
    const char* value = std::getenv(name);
    if (value != nullptr && value[0] != '\0') return true;
  }
  return false;
}

}  // namespace evomem::cluster
