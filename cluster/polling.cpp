#include "cluster/polling.h"

#include <algorithm>
#include <thread>

namespace evomem::cluster {

std::chrono::microseconds PollBackoff::next() {
  const auto wait = current_;
  current_ = std::min(current_ * 2, longest_);
  return wait;
}

void PollBackoff::sleep() { std::this_thread::sleep_for(next()); }

}  // namespace evomem::cluster
