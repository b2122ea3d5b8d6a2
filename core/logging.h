#pragma once
// The one logger of evomem: levels, timestamps and, under MPI, a rank prefix. Everything is
// written to stderr so that stdout stays free for results (tables, JSON lines).

#include <spdlog/spdlog.h>

#include <string>
#include <string_view>

namespace evomem::core::log {

enum class Level { kTrace, kDebug, kInfo, kWarn, kError, kOff };

// Parses "trace|debug|info|warn|error|off"; InputError naming the accepted values otherwise.
Level parse_level(std::string_view text);

// Sets the level; quiet also silences progress reporting (warnings and errors still show).
void configure(Level level, bool quiet = false);
// Prefixes every line with "[rank N]" (set by the MPI executor on every process).
void set_rank(int rank);
bool quiet();
bool enabled(Level level);

spdlog::logger& logger();

template <typename... Args>
void debug(spdlog::format_string_t<Args...> format, Args&&... args) {
  logger().debug(format, std::forward<Args>(args)...);
}
template <typename... Args>
void info(spdlog::format_string_t<Args...> format, Args&&... args) {
  logger().info(format, std::forward<Args>(args)...);
}
template <typename... Args>
void warn(spdlog::format_string_t<Args...> format, Args&&... args) {
  logger().warn(format, std::forward<Args>(args)...);
}
template <typename... Args>
void error(spdlog::format_string_t<Args...> format, Args&&... args) {
  logger().error(format, std::forward<Args>(args)...);
}

}  // namespace evomem::core::log
