#pragma once
// The point-to-point layer under the MPI executor (the protocol itself is described in
// cluster/mpi_executor.h): message tags, the envelope that ties a message to one run() call
// and one of its items, receives that never block, and sends that complete in the
// background while their buffers stay alive.

#include <mpi.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

namespace evomem::cluster {

// Tags on MpiSession::comm(). Values are arbitrary but fixed: every rank runs the same build.
enum MessageTag : int {
  kTagItem = 101,     // coordinator -> worker: Envelope + encode(WorkItem)
  kTagResult = 102,   // worker -> coordinator: Envelope + encode(ItemResult)
  kTagStop = 103,     // coordinator -> worker: empty
  kTagStopped = 104,  // worker -> coordinator: one byte, 1 when an evaluation was abandoned
};

// Which run() call (a counter of the coordinator) and which of its items (the index into the
// items of that call) a message is about. User ids may repeat between calls; this may not.
struct Envelope {
  std::int64_t run = 0;
  std::int64_t index = 0;
};

// Envelope (two host-order int64) followed by `body`.
std::vector<char> wrap(const Envelope& envelope, const std::vector<char>& body);
// Inverse of wrap(); InternalError when the message is shorter than an envelope.
Envelope unwrap(const std::vector<char>& bytes, std::vector<char>& body);

struct Message {
  int source = 0;
  int tag = 0;
  std::vector<char> bytes;
};

// Takes one waiting message from `source` (or MPI_ANY_SOURCE) off `comm`; nullopt when none
// has arrived. Never blocks (MPI_Improbe + MPI_Mrecv of a message already there).
std::optional<Message> try_receive(MPI_Comm comm, int source);

// Non-blocking sends. Each message's buffer is owned here until MPI reports the send
// complete, so a large item (rendezvous protocol) never ties up the sender's loop.
class Outbox {
 public:
  explicit Outbox(MPI_Comm comm) : comm_(comm) {}
  // Gives unfinished sends a moment, then lets them go (see the .cpp).
  ~Outbox();
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  void send(int destination, int tag, std::vector<char> bytes);
  // Retires the sends that completed; returns how many are still in flight.
  std::size_t progress();
  // Polls (with short sleeps) until every send completed; false if `limit` passed first.
  bool drain(std::chrono::steady_clock::duration limit);

 private:
  struct Pending {
    std::vector<char> bytes;  // moving the vector keeps its heap buffer where MPI reads it
    MPI_Request request = MPI_REQUEST_NULL;
  };
  MPI_Comm comm_;
  std::vector<Pending> pending_;
};

}  // namespace evomem::cluster
