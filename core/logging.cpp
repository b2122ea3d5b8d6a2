#include "core/logging.h"

#include <spdlog/sinks/stdout_color_sinks.h>

#include <atomic>
#include <mutex>

#include "core/error.h"

namespace evomem::core::log {
namespace {

std::atomic<bool> quiet_flag{false};
std::mutex setup_mutex;
int rank_value = -1;

spdlog::level::level_enum to_spdlog(Level level) {
  switch (level) {
    case Level::kTrace: return spdlog::level::trace;
    case Level::kDebug: return spdlog::level::debug;
    case Level::kInfo: return spdlog::level::info;
    case Level::kWarn: return spdlog::level::warn;
    case Level::kError: return spdlog::level::err;
    case Level::kOff: return spdlog::level::off;
  }
  return spdlog::level::info;
}

void apply_pattern(spdlog::logger& target) {
  const std::string rank_prefix = rank_value >= 0 ? "[rank " + std::to_string(rank_value) + "] " : "";
  target.set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%^%l%$] " + rank_prefix + "%v");
}

std::shared_ptr<spdlog::logger> make_logger() {
  auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  auto created = std::make_shared<spdlog::logger>("evomem", sink);
  created->set_level(spdlog::level::info);
  apply_pattern(*created);
  return created;
}

}  // namespace

spdlog::logger& logger() {
  static std::shared_ptr<spdlog::logger> instance = make_logger();
  return *instance;
}

Level parse_level(std::string_view text) {
  if (text == "trace") return Level::kTrace;
  if (text == "debug") return Level::kDebug;
  if (text == "info") return Level::kInfo;
  if (text == "warn" || text == "warning") return Level::kWarn;
  if (text == "error") return Level::kError;
  if (text == "off") return Level::kOff;
  throw InputError("--log-level '" + std::string(text) + "': use one of trace, debug, info, warn, error, off");
}

void configure(Level level, bool quiet) {
  std::lock_guard<std::mutex> lock(setup_mutex);
  quiet_flag = quiet;
  // Quiet keeps warnings and errors: silence must never hide a problem.
  const Level effective = quiet && level < Level::kWarn ? Level::kWarn : level;
  logger().set_level(to_spdlog(effective));
}

void set_rank(int rank) {
  std::lock_guard<std::mutex> lock(setup_mutex);
  rank_value = rank;
  apply_pattern(logger());
}

bool quiet() { return quiet_flag; }

bool enabled(Level level) { return logger().should_log(to_spdlog(level)); }

}  // namespace evomem::core::log
