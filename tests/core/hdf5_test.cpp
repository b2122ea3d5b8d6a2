#include "core/hdf5.h"

#include <gtest/gtest.h>

#include <fstream>

#include "core/error.h"
#include "core/files.h"
#include "tests/support/test_support.h"

namespace evomem::core::h5 {
namespace {
namespace fs = std::filesystem;

class Hdf5Test : public ::testing::Test {
 protected:
  evomem::test_support::TempDirectory temporary_{"evomem_hdf5_test"};
  const fs::path& directory_ = temporary_.path();
};

TEST_F(Hdf5Test, DatasetsAttributesAndStringsRoundTrip) {
  const fs::path path = directory_ / "run.h5";
  {
    File file = File::create(path);
    file.set_attribute("config", "[evolution]\nsigma = 0.065\n");
    file.set_attribute("generation", std::int64_t{7});
    Group best = file.create_group("best");
    best.write<float>("genome", {1.5f, -2.0f, 3.25f});
    best.set_attribute("fitness", 0.75);
    best.set_attribute("sigmas", std::vector<double>{0.1, 0.2});
    file.write<double>("strategy/covariance", {1, 2, 3, 4, 5, 6}, {2, 3});
    file.write<std::uint8_t>("masks", {1, 0, 1});
    file.write_strings("names", {"passkey", "kv_retrieval", ""});
  }
  File file = File::open(path);
  EXPECT_EQ(file.string_attribute("config"), "[evolution]\nsigma = 0.065\n");
  EXPECT_EQ(file.int_attribute("generation"), 7);
  EXPECT_EQ(file.group("best").read<float>("genome"), (std::vector<float>{1.5f, -2.0f, 3.25f}));
  EXPECT_EQ(file.read<double>("best/genome"), (std::vector<double>{1.5, -2.0, 3.25}));  // widening is fine
  EXPECT_DOUBLE_EQ(file.group("best").double_attribute("fitness"), 0.75);
  EXPECT_EQ(file.group("best").double_array_attribute("sigmas"), (std::vector<double>{0.1, 0.2}));
  EXPECT_EQ(file.dataset("strategy/covariance").shape(), (Shape{2, 3}));
  EXPECT_EQ(file.read<std::uint8_t>("masks"), (std::vector<std::uint8_t>{1, 0, 1}));
  EXPECT_EQ(file.dataset("names").read_strings(), (std::vector<std::string>{"passkey", "kv_retrieval", ""}));
  EXPECT_TRUE(file.contains("strategy/covariance"));
  EXPECT_FALSE(file.contains("strategy/missing/deeper"));
  EXPECT_EQ(file.children(), (std::vector<std::string>{"best", "masks", "names", "strategy"}));
}

TEST_F(Hdf5Test, EmptyDatasetsRoundTrip) {
  const fs::path path = directory_ / "empty.h5";
  {
    File file = File::create(path);
    file.write<double>("state/none", {});
    file.write<std::int64_t>("state/rows", {}, {0, 5});
    file.write_strings("state/names", {});
  }
  File file = File::open(path);
  EXPECT_TRUE(file.read<double>("state/none").empty());
  EXPECT_EQ(file.dataset("state/rows").shape(), (Shape{0, 5}));
  EXPECT_TRUE(file.dataset("state/names").read_strings().empty());
}

TEST_F(Hdf5Test, ExtendibleDatasetsGrowByRows) {
  const fs::path path = directory_ / "history.h5";
  {
    File file = File::create(path);
    Dataset fitness = file.create_extendible<double>("history/fitness", {4});
    fitness.append(std::vector<double>{1, 2, 3, 4});
    fitness.append(std::vector<double>{5, 6, 7, 8, 9, 10, 11, 12});
    file.create_extendible<std::int64_t>("history/generation", {});
  }
  {
    File file = File::open(path, Mode::kReadWrite);
    file.dataset("history/generation").append(std::vector<std::int64_t>{0, 1, 2});
  }
  File file = File::open(path);
  EXPECT_EQ(file.dataset("history/fitness").shape(), (Shape{3, 4}));
  EXPECT_EQ(file.read<double>("history/fitness")[11], 12.0);
  EXPECT_EQ(file.read<std::int64_t>("history/generation"), (std::vector<std::int64_t>{0, 1, 2}));
}

TEST_F(Hdf5Test, ErrorsNameFileAndObject) {
  const fs::path path = directory_ / "run.h5";
  {
    File file = File::create(path);
    file.write<double>("values", {1.0});
  }
  File file = File::open(path);
  try {
    file.dataset("history/best");
    FAIL();
  } catch (const FormatError& error) {
    EXPECT_EQ(std::string(error.what()), path.string() + ":/history/best: dataset is missing");
  }
  try {
    file.read<std::int64_t>("values");
    FAIL();
  } catch (const FormatError& error) {
    EXPECT_NE(std::string(error.what()).find("holds floating point values where integer values are expected"),
              std::string::npos);
  }
  EXPECT_THROW(file.string_attribute("config"), FormatError);
  EXPECT_THROW(File::open(directory_ / "absent.h5"), InputError);
}

TEST_F(Hdf5Test, TruncatedOrForeignFilesAreRejected) {
  const fs::path path = directory_ / "run.h5";
  {
    File file = File::create(path);
    file.write<double>("values", std::vector<double>(4096, 1.0));
  }
  const std::string content = read_text_file(path);
  write_text_file_atomically(directory_ / "truncated.h5", content.substr(0, content.size() / 2));
  write_text_file_atomically(directory_ / "text.h5", "not hdf5 at all");
  EXPECT_THROW(File::open(directory_ / "text.h5"), FormatError);
  EXPECT_THROW(
      {
        File truncated = File::open(directory_ / "truncated.h5");
        truncated.read<double>("values");
      },
      FormatError);
}

TEST_F(Hdf5Test, AtomicWriteOfAnHdf5File) {
  const fs::path path = directory_ / "checkpoint.h5";
  write_file_atomically(path, [](File& file) {
    file.write<double>("mean", {0.0, 1.0});
    file.create_extendible<double>("history", {2}).append(std::vector<double>{1.0, 2.0, 3.0, 4.0});
  });
  const auto file = File::open(path);
  EXPECT_EQ(file.read<double>("mean"), (std::vector<double>{0.0, 1.0}));
  EXPECT_EQ(file.read<double>("history"), (std::vector<double>{1.0, 2.0, 3.0, 4.0}));
  // A writer that fails leaves the earlier file as it was and no temporary beside it.
  EXPECT_THROW(write_file_atomically(path,
                                     [](File& failing) {
                                       failing.write<double>("mean", {5.0});
                                       throw InputError("stop");
                                     }),
               InputError);
  EXPECT_EQ(File::open(path).read<double>("mean"), (std::vector<double>{0.0, 1.0}));
  EXPECT_EQ(std::distance(fs::directory_iterator(directory_), fs::directory_iterator()), 1);
}

// An attribute holding an array of strings (h5py writes one for a list) is refused, not read
// into a single string past its end.
TEST_F(Hdf5Test, StringArrayAttributeIsRefused) {
  if (evomem::test_support::run_command("/usr/bin/python3 -c 'import h5py'").exit_code != 0) {
    FAIL() << "python3-h5py is missing: run bash scripts/setup.sh";
  }
  const fs::path path = directory_ / "array.h5";
  const auto result = evomem::test_support::run_command("/usr/bin/python3 -c \"import h5py; h5py.File('" +
                                                        path.string() + "', 'w').attrs['format'] = ['a', 'b']\"");
  ASSERT_EQ(result.exit_code, 0);
  EXPECT_THROW(File::open(path).string_attribute("format"), FormatError);
}

// A file written by evomem must be a plain HDF5 file: Debian's h5py reads it.
TEST_F(Hdf5Test, ReadableByH5py) {
  if (evomem::test_support::run_command("/usr/bin/python3 -c 'import h5py'").exit_code != 0) {
    FAIL() << "python3-h5py is missing: run bash scripts/setup.sh";
  }
  const fs::path path = directory_ / "interop.h5";
  {
    File file = File::create(path);
    file.set_attribute("config", "sigma = 0.5");
    file.write<float>("best/genome", {0.5f, -1.0f});
    file.write<double>("strategy/matrix", {1, 2, 3, 4, 5, 6}, {3, 2});
    file.create_extendible<double>("history/best", {}).append(std::vector<double>{0.25, 0.5});
    file.write_strings("tasks", {"passkey", "niah"});
  }
  const fs::path script = directory_ / "read.py";
  std::ofstream(script)
      << "import h5py, sys\n"
         "f = h5py.File(sys.argv[1], 'r')\n"
         "assert f.attrs['config'] == 'sigma = 0.5', f.attrs['config']\n"
         "assert list(f['best/genome'][:]) == [0.5, -1.0]\n"
         "assert f['strategy/matrix'].shape == (3, 2) and f['strategy/matrix'][2, 1] == 6\n"
         "assert list(f['history/best'][:]) == [0.25, 0.5] and f['history/best'].maxshape == (None,)\n"
         "assert [t.decode() if isinstance(t, bytes) else t for t in f['tasks'][:]] == ['passkey', 'niah']\n"
         "print('ok')\n";
  const auto result = evomem::test_support::run_command("/usr/bin/python3 " + script.string() + " " + path.string());
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(result.output, "ok\n");
}

}  // namespace
}  // namespace evomem::core::h5
