// Launcher detection only: nothing here initialises MPI.
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <string>

#include "cluster/mpi_session.h"

namespace evomem::cluster {
namespace {

const char* const kLauncherVariables[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE", "PMI_RANK",
                                          "MV2_COMM_WORLD_SIZE"};

// Clears the launcher variables for one test and puts them back afterwards.
class LauncherEnvironment : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : kLauncherVariables) {
      if (const char* value = std::getenv(name)) saved_[name] = value;
      unsetenv(name);
    }
  }
  void TearDown() override {
    for (const char* name : kLauncherVariables) unsetenv(name);
    for (const auto& [name, value] : saved_) setenv(name.c_str(), value.c_str(), 1);
  }

 private:
  std::map<std::string, std::string> saved_;
};

TEST_F(LauncherEnvironment, PlainProcessIsNotAnMpiRank) { EXPECT_FALSE(MpiSession::launched_by_mpirun()); }

TEST_F(LauncherEnvironment, EachLauncherFamilyIsRecognised) {
  for (const char* name : kLauncherVariables) {
    setenv(name, "4", 1);
    EXPECT_TRUE(MpiSession::launched_by_mpirun()) << name;
    unsetenv(name);
  }
}

TEST_F(LauncherEnvironment, EmptyVariableDoesNotCount) {
  setenv("OMPI_COMM_WORLD_SIZE", "", 1);
  EXPECT_FALSE(MpiSession::launched_by_mpirun());
}

}  // namespace
}  // namespace evomem::cluster
