#include "search/signals.h"

#include <gtest/gtest.h>

#include <atomic>
#include <csignal>

namespace evomem::search {
namespace {

std::atomic<int> g_previous_handler_calls{0};
extern "C" void count_call(int) { g_previous_handler_calls.fetch_add(1); }

TEST(Signals, GuardRecordsTheSignalAndRestoresThePreviousHandler) {
  struct sigaction counting {};
  counting.sa_handler = count_call;
  sigemptyset(&counting.sa_mask);
  struct sigaction original {};
  ASSERT_EQ(sigaction(SIGTERM, &counting, &original), 0);
  clear_stop_request();
  {
    SignalGuard guard;
    EXPECT_FALSE(stop_requested());
    std::raise(SIGTERM);
    EXPECT_TRUE(stop_requested());
    EXPECT_EQ(stop_signal(), SIGTERM);
    EXPECT_STREQ(signal_name(stop_signal()), "SIGTERM");
    EXPECT_EQ(g_previous_handler_calls.load(), 0);
  }
  clear_stop_request();
  std::raise(SIGTERM);
  EXPECT_EQ(g_previous_handler_calls.load(), 1);
  EXPECT_FALSE(stop_requested());
  sigaction(SIGTERM, &original, nullptr);
}

TEST(Signals, RequestAndClearWorkWithoutASignal) {
  clear_stop_request();
  request_stop(SIGINT);
  EXPECT_TRUE(stop_requested());
  EXPECT_EQ(stop_signal(), SIGINT);
  clear_stop_request();
  EXPECT_FALSE(stop_requested());
  EXPECT_EQ(stop_signal(), 0);
}

TEST(SignalsDeathTest, SecondSignalTakesTheDefaultAction) {
  EXPECT_EXIT(
      {
        clear_stop_request();
        SignalGuard guard;
        std::raise(SIGINT);
        std::raise(SIGINT);
      },
      ::testing::KilledBySignal(SIGINT), "");
}

}  // namespace
}  // namespace evomem::search
