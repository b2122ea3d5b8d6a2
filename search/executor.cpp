#include "search/executor.h"

#include <cmath>
#include <string>

namespace evomem::search {

void validate(const ExecutorOptions& options) {
  if (options.max_attempts < 1) {
    throw ConfigError("executor.max_attempts = " + std::to_string(options.max_attempts) +
                      " must be at least 1 (the number of dispatches an item gets before it counts as failed)");
  }
  if (!std::isfinite(options.item_timeout_seconds) || options.item_timeout_seconds < 0.0) {
    throw ConfigError("executor.item_timeout_seconds = " + std::to_string(options.item_timeout_seconds) +
                      " must be a finite number >= 0 (0 turns re-dispatching of slow items off)");
  }
}

}  // namespace evomem::search
