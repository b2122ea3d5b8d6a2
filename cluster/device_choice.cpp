#include "cluster/device_choice.h"

#include <cctype>

#include "core/error.h"

namespace evomem::cluster {
namespace {

bool is_index(const std::string& text) {
  if (text.empty() || text.size() > 6) return false;
  for (const char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

std::string worker_device(const std::string& setting, int local_rank, int device_count) {
  EVOMEM_CHECK(local_rank >= 0, "node-local rank must not be negative");
  EVOMEM_CHECK(device_count >= 0, "device count must not be negative");
  if (setting == "cpu") return "cpu";
  if (setting == "cuda" || setting == "auto") {
    if (device_count > 0) return "cuda:" + std::to_string(local_rank % device_count);
    if (setting == "auto") return "cpu";
    throw ConfigError("device = \"cuda\" but this worker sees no CUDA device (is the build CUDA-enabled and a GPU "
                      "visible?); set device = \"cpu\" or \"auto\"");
  }
  const std::string prefix = "cuda:";
  if (setting.compare(0, prefix.size(), prefix) == 0) {
    if (is_index(setting.substr(prefix.size()))) return setting;
    throw ConfigError("device = \"" + setting + "\" is not a device: write cuda:<index>, e.g. cuda:0");
  }
  throw ConfigError("device = \"" + setting + "\" is not one of cpu, cuda, cuda:<index>, auto");
}

}  // namespace evomem::cluster
