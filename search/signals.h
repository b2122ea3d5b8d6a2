#pragma once
// Graceful stop on SIGINT / SIGTERM. A long evolution run must be stoppable without leaving
// half-written output and without stranding MPI workers, so the handlers only record the
// signal; executors look at the record between items and throw search::Interrupted, and the
// command boundary shuts down cleanly.

#include <csignal>

namespace evomem::search {

// Installs the recording handlers for SIGINT and SIGTERM while it lives and puts the previous
// handlers back when it goes away. Guards may nest (each restores what it found). A second
// signal while a stop is already pending restores the default action and re-raises it, so
// a run that does not react can still be ended from the terminal.
class SignalGuard {
 public:
  SignalGuard();
  ~SignalGuard();
  SignalGuard(const SignalGuard&) = delete;
  SignalGuard& operator=(const SignalGuard&) = delete;

 private:
  struct sigaction previous_interrupt_ {};
  struct sigaction previous_terminate_ {};
};

// True once SIGINT or SIGTERM arrived under a SignalGuard (or request_stop() was called).
bool stop_requested();
// The signal that asked to stop (SIGINT, SIGTERM), 0 when none did.
int stop_signal();
// "SIGINT", "SIGTERM", otherwise "a signal"; for messages.
const char* signal_name(int signal_number);
// Records a stop as the handler does; lets tests and callers stop a run without a signal.
void request_stop(int signal_number);
// Forgets a recorded stop (after it was handled, or between tests).
void clear_stop_request();

}  // namespace evomem::search
