#include "search/signals.h"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>

#include "core/error.h"

namespace evomem::search {
namespace {

// Written from a signal handler, so it must be lock-free (async-signal-safe).
std::atomic<int> g_stop_signal{0};
static_assert(std::atomic<int>::is_always_lock_free, "the stop flag must be usable in a signal handler");

extern "C" void record_stop_signal(int signal_number) {
  // Only async-signal-safe operations here: an atomic exchange, and for a repeated signal
  // signal() + raise(), both of which POSIX allows in handlers.
  const int previous = g_stop_signal.exchange(signal_number);
  if (previous != 0) {
    std::signal(signal_number, SIG_DFL);
    std::raise(signal_number);
  }
}

void install(int signal_number, struct sigaction& previous) {
  struct sigaction action {};
  action.sa_handler = record_stop_signal;
  sigemptyset(&action.sa_mask);
  // Restarted system calls keep blocking I/O (file writes, MPI's sockets) unaffected; the
  // executors notice the flag on their next poll.
  action.sa_flags = SA_RESTART;
  if (sigaction(signal_number, &action, &previous) != 0) {
    throw Error(std::string("cannot install the handler for ") + signal_name(signal_number) + ": " +
                std::strerror(errno));
  }
}

}  // namespace

SignalGuard::SignalGuard() {
  install(SIGINT, previous_interrupt_);
  try {
    install(SIGTERM, previous_terminate_);
  } catch (...) {
    sigaction(SIGINT, &previous_interrupt_, nullptr);
    throw;
  }
}

SignalGuard::~SignalGuard() {
  sigaction(SIGTERM, &previous_terminate_, nullptr);
  sigaction(SIGINT, &previous_interrupt_, nullptr);
}

bool stop_requested() { return g_stop_signal.load() != 0; }

int stop_signal() { return g_stop_signal.load(); }

const char* signal_name(int signal_number) {
  switch (signal_number) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    default: return "a signal";
  }
}

void request_stop(int signal_number) { g_stop_signal.store(signal_number); }

void clear_stop_request() { g_stop_signal.store(0); }

}  // namespace evomem::search
