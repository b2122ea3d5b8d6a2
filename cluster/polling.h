#pragma once
// Waiting without burning a core. Open MPI's blocking calls spin on the CPU, and the ranks
// of a job often share cores (oversubscribed test runs, GPU workers on a few host cores), so
// every wait in cluster/ polls a non-blocking call and sleeps between polls. The sleep starts
// short, for a quick answer when traffic is flowing, and doubles up to a ceiling when idle.

#include <chrono>

namespace evomem::cluster {

class PollBackoff {
 public:
  PollBackoff(std::chrono::microseconds shortest, std::chrono::microseconds longest)
      : shortest_(shortest), longest_(longest), current_(shortest) {}

  // Something happened: the next wait is the shortest again.
  void reset() { current_ = shortest_; }
  // The wait to use now; doubles the following one (up to the ceiling).
  std::chrono::microseconds next();
  // Sleeps for next().
  void sleep();

 private:
  std::chrono::microseconds shortest_;
  std::chrono::microseconds longest_;
  std::chrono::microseconds current_;
};

}  // namespace evomem::cluster
