#pragma once
// Waiting without burning a core. Open MPI's blocking calls spin on the CPU, and the ranks
// of a job often share cores (oversubscribed test runs, GPU workers on a few host cores), so
// every wait in cluster/ polls a non-blocking call and sleeps between polls. The sleep starts
// short, for a quick answer when traffic is flowing, and doubles up to a ceiling when idle.

#include <chrono>

namespace evomem::cluster {

// The MPI executor's polling bounds. Every poll interval is latency an item pays, but also a
// wake-up that costs CPU on cores the ranks share. There is one coordinator, so it polls at
// up to 0.5 ms (about 2,000 wake-ups per second when idle); the many workers back off to
// 2 ms, except right after they answered, when the next item is due within the
// coordinator's reaction time.
inline constexpr std::chrono::microseconds kShortestPoll{50};
inline constexpr std::chrono::microseconds kCoordinatorLongestPoll{500};
inline constexpr std::chrono::microseconds kWorkerLongestPoll{2000};
inline constexpr std::chrono::microseconds kWorkerExpectingPoll{200};
inline constexpr std::chrono::milliseconds kWorkerExpectingWindow{10};
// How long shutdown waits for workers to confirm `stop`. Their MPI thread answers within a
// poll interval, so only a dead or wedged process can use this up.
inline constexpr std::chrono::seconds kStopAnswerLimit{30};

inline double seconds_between(std::chrono::steady_clock::time_point from, std::chrono::steady_clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

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
