// `mpirun -np 1`: a job without workers cannot use the MPI executor.
#include <gtest/gtest.h>

#include <string>

#include "cluster/mpi_executor.h"
#include "cluster/mpi_session.h"

namespace evomem::cluster {
namespace {

MpiSession* g_session = nullptr;

TEST(MpiSingleRank, SessionDescribesTheJob) {
  EXPECT_TRUE(MpiSession::launched_by_mpirun());
  EXPECT_EQ(g_session->rank(), 0);
  EXPECT_EQ(g_session->size(), 1);
  EXPECT_EQ(g_session->local_rank(), 0);
  std::string text = "[run]\nseed = 3\n";
  g_session->broadcast_text(text);
  EXPECT_EQ(text, "[run]\nseed = 3\n");
  g_session->barrier();
}

TEST(MpiSingleRank, ExecutorAsksForTheLocalExecutorOrMoreRanks) {
  try {
    MpiExecutor executor(*g_session, search::ExecutorOptions{});
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("local executor"), std::string::npos) << message;
    EXPECT_NE(message.find("-np"), std::string::npos) << message;
  }
}

TEST(MpiSingleRank, SecondSessionIsRefused) { EXPECT_THROW(MpiSession second, MpiError); }

}  // namespace
}  // namespace evomem::cluster

int main(int argc, char** argv) {
  evomem::cluster::MpiSession session(&argc, &argv);
  evomem::cluster::g_session = &session;
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
