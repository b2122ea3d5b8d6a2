#include "core/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/logging.h"

namespace evomem::core {
namespace {

double steady_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

constexpr int kBarWidth = 30;

}  // namespace

Progress::Progress(std::string label, std::int64_t total) : Progress(std::move(label), total, Options{}) {}

Progress::Progress(std::string label, std::int64_t total, Options options)
    : label_(std::move(label)), total_(total), options_(std::move(options)) {
  if (!options_.clock) options_.clock = steady_seconds;
  start_ = now();
  last_report_ = start_;
  draw_bar_ = !options_.force_lines && ::isatty(STDERR_FILENO) != 0;
}

Progress::~Progress() {
  // Unwinding from an error: the error's one line is what the user must see, not "done".
  if (!finished_ && std::uncaught_exceptions() == uncaught_at_start_) finish();
}

double Progress::now() const { return options_.clock(); }

void Progress::advance(std::int64_t steps) {
  done_ += steps;
  const double current = now();
  // A bar may redraw often; lines are rate-limited so logs stay readable.
  const double interval = draw_bar_ ? 0.2 : options_.interval_seconds;
  if (current - last_report_ >= interval) {
    last_report_ = current;
    report(false);
  }
}

void Progress::finish() {
  if (finished_) return;
  finished_ = true;
  report(true);
}

double Progress::rate() const {
  const double elapsed = now() - start_;
  return elapsed > 0 ? static_cast<double>(done_) / elapsed : 0.0;
}

double Progress::eta_seconds() const {
  const double per_second = rate();
  if (total_ <= 0 || per_second <= 0) return -1;
  return static_cast<double>(std::max<std::int64_t>(total_ - done_, 0)) / per_second;
}

std::string Progress::format_duration(double seconds) {
  if (seconds < 0 || !std::isfinite(seconds)) return "?";
  const auto whole = static_cast<long long>(std::llround(seconds));
  char text[32];
  std::snprintf(text, sizeof text, "%lld:%02lld:%02lld", whole / 3600, (whole / 60) % 60, whole % 60);
  return text;
}

std::string Progress::status_text() const {
  char numbers[160];
  if (total_ > 0) {
    const double percent = 100.0 * static_cast<double>(done_) / static_cast<double>(total_);
    std::snprintf(numbers, sizeof numbers, "%lld/%lld (%.0f%%) %.3g %s/s ETA %s", static_cast<long long>(done_),
                  static_cast<long long>(total_), percent, rate(), options_.unit.c_str(),
                  format_duration(eta_seconds()).c_str());
  } else {
    std::snprintf(numbers, sizeof numbers, "%lld %.3g %s/s", static_cast<long long>(done_), rate(),
                  options_.unit.c_str());
  }
  return label_ + " " + numbers;
}

void Progress::report(bool final_report) {
  if (log::quiet() || !log::enabled(log::Level::kInfo)) return;
  if (!draw_bar_) {
    log::info("{}{}", status_text(), final_report ? " done" : "");
    return;
  }
  const double fraction = total_ > 0 ? std::min(1.0, static_cast<double>(done_) / static_cast<double>(total_)) : 0.0;
  const int filled = static_cast<int>(fraction * kBarWidth);
  std::string bar(static_cast<std::size_t>(filled), '=');
  if (filled < kBarWidth) bar += '>';
  bar.resize(kBarWidth, ' ');
  std::fprintf(stderr, "\r%s [%s] %s\033[K%s", label_.c_str(), bar.c_str(),
               status_text().substr(label_.size() + 1).c_str(), final_report ? "\n" : "");
  std::fflush(stderr);
}

}  // namespace evomem::core
