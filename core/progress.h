#pragma once
// Progress of long loops: a redrawn bar when stderr is a terminal, otherwise a log line every
// `interval` with count, rate and ETA. Silent when logging is quiet.

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <string>

namespace evomem::core {

class Progress {
 public:
  using Clock = std::function<double()>;  // seconds since an arbitrary origin

  struct Options {
    std::string unit = "it";
    double interval_seconds = 10.0;  // between lines when not on a terminal
    bool force_lines = false;        // never draw a bar (tests, logs redirected by the user)
    Clock clock;                     // defaults to a steady clock
  };

  Progress(std::string label, std::int64_t total);
  Progress(std::string label, std::int64_t total, Options options);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void advance(std::int64_t steps = 1);
  // Grows the total when work turns out larger than planned (e.g. an extra search probe).
  void add_to_total(std::int64_t steps) { total_ += steps; }
  // Prints the final line (also done by the destructor if not called, unless an exception
  // is unwinding the stack).
  void finish();

  std::int64_t done() const { return done_; }
  double rate() const;              // units per second so far
  double eta_seconds() const;       // negative when unknown
  std::string status_text() const;  // "label 12/40 (30%) 3.1 it/s ETA 0:00:09"

  // "1:02:03" or "0:00:09"; "?" for negative values.
  static std::string format_duration(double seconds);

 private:
  void report(bool final_report);
  double now() const;

  std::string label_;
  std::int64_t total_;
  Options options_;
  std::int64_t done_ = 0;
  double start_ = 0;
  double last_report_ = 0;
  bool draw_bar_ = false;
  bool finished_ = false;
  int uncaught_at_start_ = std::uncaught_exceptions();
};

}  // namespace evomem::core
