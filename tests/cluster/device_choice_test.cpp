#include "cluster/device_choice.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace evomem::cluster {
namespace {

TEST(WorkerDevice, CpuStaysCpu) {
  EXPECT_EQ(worker_device("cpu", 3, 0), "cpu");
  EXPECT_EQ(worker_device("cpu", 3, 4), "cpu");
}

TEST(WorkerDevice, CudaAndAutoSpreadRanksOverTheNodesGpus) {
  EXPECT_EQ(worker_device("cuda", 0, 2), "cuda:0");
  EXPECT_EQ(worker_device("cuda", 1, 2), "cuda:1");
  EXPECT_EQ(worker_device("cuda", 2, 2), "cuda:0");
  EXPECT_EQ(worker_device("auto", 5, 4), "cuda:1");
  EXPECT_EQ(worker_device("auto", 7, 1), "cuda:0");
}

TEST(WorkerDevice, AutoWithoutGpusIsCpu) { EXPECT_EQ(worker_device("auto", 2, 0), "cpu"); }

TEST(WorkerDevice, PinnedDeviceIsKept) {
  EXPECT_EQ(worker_device("cuda:3", 0, 8), "cuda:3");
  EXPECT_EQ(worker_device("cuda:1", 5, 2), "cuda:1");
}

TEST(WorkerDevice, CudaWithoutGpusNamesTheSetting) {
  try {
    worker_device("cuda", 1, 0);
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& error) {
    EXPECT_NE(std::string(error.what()).find("device"), std::string::npos) << error.what();
  }
}

TEST(WorkerDevice, UnknownSettingsAreConfigErrors) {
  EXPECT_THROW(worker_device("gpu", 0, 1), ConfigError);
  EXPECT_THROW(worker_device("cuda:", 0, 1), ConfigError);
  EXPECT_THROW(worker_device("cuda:x", 0, 1), ConfigError);
  EXPECT_THROW(worker_device("", 0, 1), ConfigError);
}

}  // namespace
}  // namespace evomem::cluster
