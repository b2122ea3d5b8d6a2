#include "core/error.h"

#include <filesystem>

namespace evomem::detail {

void fail_check(const char* condition, const char* file, int line, const std::string& message) {
  std::string text = "check failed: " + std::string(condition);
  if (!message.empty()) text += " (" + message + ")";
  text += " at " + std::filesystem::path(file).filename().string() + ":" + std::to_string(line);
  throw InternalError(text);
}

}  // namespace evomem::detail
