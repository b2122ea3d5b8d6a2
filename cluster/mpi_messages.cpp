#include "cluster/mpi_messages.h"

#include <cstring>
#include <limits>
#include <string>

#include "cluster/mpi_session.h"
#include "cluster/polling.h"
#include "core/error.h"
#include "core/logging.h"

namespace evomem::cluster {

std::vector<char> wrap(const Envelope& envelope, const std::vector<char>& body) {
  std::vector<char> bytes(2 * sizeof(std::int64_t) + body.size());
  std::memcpy(bytes.data(), &envelope.run, sizeof(std::int64_t));
  std::memcpy(bytes.data() + sizeof(std::int64_t), &envelope.index, sizeof(std::int64_t));
  if (!body.empty()) std::memcpy(bytes.data() + 2 * sizeof(std::int64_t), body.data(), body.size());
  return bytes;
}

Envelope unwrap(const std::vector<char>& bytes, std::vector<char>& body) {
  EVOMEM_CHECK(bytes.size() >= 2 * sizeof(std::int64_t),
               "executor message of " + std::to_string(bytes.size()) + " bytes has no envelope");
  Envelope envelope;
  std::memcpy(&envelope.run, bytes.data(), sizeof(std::int64_t));
  std::memcpy(&envelope.index, bytes.data() + sizeof(std::int64_t), sizeof(std::int64_t));
  body.assign(bytes.begin() + 2 * sizeof(std::int64_t), bytes.end());
  return envelope;
}

std::optional<Message> try_receive(MPI_Comm comm, int source) {
  int waiting = 0;
  MPI_Message handle = MPI_MESSAGE_NULL;
  MPI_Status status;
  check_mpi(MPI_Improbe(source, MPI_ANY_TAG, comm, &waiting, &handle, &status), "MPI_Improbe");
  if (waiting == 0) return std::nullopt;
  int count = 0;
  check_mpi(MPI_Get_count(&status, MPI_CHAR, &count), "MPI_Get_count");
  Message message;
  message.source = status.MPI_SOURCE;
  message.tag = status.MPI_TAG;
  message.bytes.resize(static_cast<std::size_t>(count));
  check_mpi(MPI_Mrecv(message.bytes.data(), count, MPI_CHAR, &handle, MPI_STATUS_IGNORE), "MPI_Mrecv");
  return message;
}

void Outbox::send(int destination, int tag, std::vector<char> bytes) {
  EVOMEM_CHECK(bytes.size() <= static_cast<std::size_t>(std::numeric_limits<int>::max()),
               "executor message of " + std::to_string(bytes.size()) + " bytes exceeds MPI's count range");
  pending_.push_back(Pending{std::move(bytes), MPI_REQUEST_NULL});
  Pending& entry = pending_.back();
  const int code = MPI_Isend(entry.bytes.data(), static_cast<int>(entry.bytes.size()), MPI_CHAR, destination, tag,
                             comm_, &entry.request);
  if (code != MPI_SUCCESS) pending_.pop_back();
  check_mpi(code, "MPI_Isend");
}

std::size_t Outbox::progress() {
  std::size_t kept = 0;
  for (std::size_t i = 0; i < pending_.size(); ++i) {
    int done = 0;
    check_mpi(MPI_Test(&pending_[i].request, &done, MPI_STATUS_IGNORE), "MPI_Test (send)");
    if (done == 0) {
      if (kept != i) pending_[kept] = std::move(pending_[i]);
      ++kept;
    }
  }
  pending_.resize(kept);
  return kept;
}

bool Outbox::drain(std::chrono::steady_clock::duration limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  PollBackoff backoff(std::chrono::microseconds(50), std::chrono::milliseconds(2));
  while (progress() > 0) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    backoff.sleep();
  }
  return true;
}

Outbox::~Outbox() {
  if (pending_.empty()) return;
  int initialized = 0;
  int finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (initialized == 0 || finalized != 0) return;
  try {
    if (drain(std::chrono::seconds(1))) return;
  } catch (const std::exception& error) {
    core::log::warn("unfinished MPI sends at shutdown: {}", error.what());
  }
  // MPI may still read these buffers after the request is freed, so they are deliberately
  // never released: a few leaked bytes at shutdown beat MPI reading freed memory.
  static auto* abandoned_buffers = new std::vector<std::vector<char>>();
  for (Pending& entry : pending_) {
    if (entry.request != MPI_REQUEST_NULL) MPI_Request_free(&entry.request);
    abandoned_buffers->push_back(std::move(entry.bytes));
  }
}

}  // namespace evomem::cluster
