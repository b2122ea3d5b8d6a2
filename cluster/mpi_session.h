#pragma once
// The process's MPI lifetime. Only an `evomem` started by mpirun (or srun with PMI/PMIx)
// creates a session; a plain run never initialises MPI, so it needs no launcher and no
// network. One session per process: MPI cannot be initialised again after finalising.
//
// Threading: MPI_THREAD_FUNNELED. Workers evaluate items in a second thread, but only the
// thread that created the session calls MPI.

#include <mpi.h>

#include <string>

#include "core/error.h"

namespace evomem::cluster {

// An MPI call failed (the message names the call and MPI's error text).
class MpiError : public Error {
 public:
  using Error::Error;
};

// Throws MpiError("<call> failed: <MPI error string>") unless code is MPI_SUCCESS. Requires
// MPI_ERRORS_RETURN on the communicator involved (the session sets it on its own).
void check_mpi(int code, const char* call);

// Owns one communicator handle; MPI_Comm_free on destruction (while MPI is still running).
class MpiCommunicator {
 public:
  MpiCommunicator() = default;
  explicit MpiCommunicator(MPI_Comm comm) : comm_(comm) {}
  ~MpiCommunicator() { reset(); }
  MpiCommunicator(MpiCommunicator&& other) noexcept : comm_(other.comm_) { other.comm_ = MPI_COMM_NULL; }
  MpiCommunicator& operator=(MpiCommunicator&& other) noexcept;
  MpiCommunicator(const MpiCommunicator&) = delete;
  MpiCommunicator& operator=(const MpiCommunicator&) = delete;

  MPI_Comm get() const { return comm_; }
  void reset();

 private:
  MPI_Comm comm_ = MPI_COMM_NULL;
};

class MpiSession {
 public:
  // MPI_Init_thread(MPI_THREAD_FUNNELED); MpiError when MPI cannot give that level, or when
  // MPI was already initialised in this process. argc/argv may be null.
  MpiSession(int* argc = nullptr, char*** argv = nullptr);
  // Finalises unless finalize() already did.
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  // Rank among the processes of this node (MPI_COMM_TYPE_SHARED), which picks the GPU.
  int local_rank() const { return local_rank_; }
  int local_size() const { return local_size_; }
  bool is_coordinator() const { return rank_ == 0; }

  // The communicator evomem's messages travel on: a duplicate of MPI_COMM_WORLD, so no other
  // library's point-to-point traffic can match evomem's tags.
  MPI_Comm comm() const { return work_comm_.get(); }

  // Rank 0's `text` replaces everyone else's (the coordinator sends the run configuration
  // this way). Collective: every rank must call it. Waits by polling with short sleeps, so
  // workers waiting for a coordinator that is still loading do not spin on a core.
  void broadcast_text(std::string& text) const;
  // Collective; waits the same way.
  void barrier() const;

  // Frees the session's communicators and calls MPI_Finalize. Idempotent. Collective in
  // practice: every rank has to get here.
  void finalize();
  bool finalized() const { return finalized_; }

  // True when the environment says a launcher (mpirun/mpiexec of Open MPI, MPICH, Intel MPI,
  // MVAPICH, or srun with PMI/PMIx) started this process as one rank of a job.
  static bool launched_by_mpirun();

 private:
  int rank_ = 0;
  int size_ = 1;
  int local_rank_ = 0;
  int local_size_ = 1;
  bool finalized_ = false;
  MpiCommunicator work_comm_;
  MpiCommunicator node_comm_;
};

}  // namespace evomem::cluster
