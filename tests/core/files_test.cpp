#include "core/files.h"

#include <gtest/gtest.h>

#include <fstream>

#include "core/error.h"
#include "tests/support/test_support.h"

namespace evomem::core {
namespace {
namespace fs = std::filesystem;

class FilesTest : public ::testing::Test {
 protected:
  std::size_t entries() const {
    return static_cast<std::size_t>(std::distance(fs::directory_iterator(directory_), fs::directory_iterator()));
  }
  evomem::test_support::TempDirectory temporary_{"evomem_files_test"};
  const fs::path& directory_ = temporary_.path();
};

TEST_F(FilesTest, AtomicWriteCreatesAndReplaces) {
  const fs::path target = directory_ / "out.txt";
  write_text_file_atomically(target, "first");
  EXPECT_EQ(read_text_file(target), "first");
  write_text_file_atomically(target, "second");
  EXPECT_EQ(read_text_file(target), "second");
  EXPECT_EQ(entries(), 1u) << "no temporary file may be left behind";
}

TEST_F(FilesTest, FailedWriterLeavesNoPartialOutputAndKeepsOldContent) {
  const fs::path target = directory_ / "out.txt";
  write_text_file_atomically(target, "good");
  EXPECT_THROW(write_file_atomically(target,
                                     [](const fs::path& temporary) {
                                       std::ofstream(temporary) << "half written";
                                       throw InputError("writer failed");
                                     }),
               InputError);
  EXPECT_EQ(read_text_file(target), "good");
  EXPECT_EQ(entries(), 1u);
  const fs::path fresh = directory_ / "fresh.txt";
  EXPECT_THROW(write_file_atomically(fresh, [](const fs::path&) { throw InputError("nothing"); }), InputError);
  EXPECT_FALSE(fs::exists(fresh));
}

TEST_F(FilesTest, KeepPreviousVersion) {
  const fs::path target = directory_ / "run.h5";
  write_text_file_atomically(target, "v1");
  write_file_atomically(
      target, [](const fs::path& temporary) { std::ofstream(temporary) << "v2"; }, AtomicWriteOptions{true});
  EXPECT_EQ(read_text_file(target), "v2");
  EXPECT_EQ(read_text_file(directory_ / "run.h5.prev"), "v1");
}

TEST_F(FilesTest, MissingOutputFolderIsAUserError) {
  try {
    write_text_file_atomically(directory_ / "missing" / "out.txt", "x");
    FAIL();
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("does not exist"), std::string::npos);
  }
}

TEST_F(FilesTest, ReadErrorsNameThePath) {
  try {
    read_text_file(directory_ / "absent.toml");
    FAIL();
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("absent.toml"), std::string::npos);
  }
  EXPECT_THROW(MappedFile(directory_ / "absent.bin"), InputError);
}

TEST_F(FilesTest, MappedFileSeesContent) {
  write_text_file_atomically(directory_ / "data.bin", std::string("abc\0def", 7));
  const MappedFile mapped(directory_ / "data.bin");
  ASSERT_EQ(mapped.size(), 7u);
  EXPECT_EQ(mapped.data()[4], 'd');
  write_text_file_atomically(directory_ / "empty.bin", "");
  EXPECT_EQ(MappedFile(directory_ / "empty.bin").size(), 0u);
}

}  // namespace
}  // namespace evomem::core
