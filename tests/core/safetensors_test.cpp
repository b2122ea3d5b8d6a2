#include "core/safetensors.h"

#include <gtest/gtest.h>

#include <fstream>

#include "core/error.h"
#include "core/half.h"
#include "tests/support/test_support.h"

namespace evomem::core {
namespace {
namespace fs = std::filesystem;

class SafetensorsTest : public ::testing::Test {
 protected:
  // A file with the given header text and `data_bytes` bytes of data after it.
  fs::path raw_file(const std::string& name, const std::string& header, std::size_t data_bytes,
                    std::uint64_t declared_header_size = UINT64_MAX) {
    const std::uint64_t size = declared_header_size == UINT64_MAX ? header.size() : declared_header_size;
    std::string content(8, '\0');
    for (int i = 0; i < 8; ++i) content[i] = static_cast<char>((size >> (8 * i)) & 0xff);
    content += header + std::string(data_bytes, '\x01');
    const fs::path path = directory_ / name;
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

  std::string rejection(const fs::path& path) {
    try {
      SafetensorsFile file(path);
    } catch (const FormatError& error) {
      return error.what();
    }
    return "accepted";
  }

  evomem::test_support::TempDirectory temporary_{"evomem_safetensors_test"};
  const fs::path& directory_ = temporary_.path();
};

TEST_F(SafetensorsTest, WriteThenReadEveryDtypeAndMetadata) {
  SafetensorsWriter writer;
  writer.add_f32("scorer.q.weight", {2, 3}, {1, 2, 3, 4, 5, 6});
  const std::vector<std::uint16_t> half = {float_to_f16(0.5f), float_to_f16(-2.0f)};
  writer.add("half", DType::kF16, {2}, half.data(), 4);
  const std::vector<std::uint16_t> brain = {float_to_bf16(3.0f)};
  writer.add("brain", DType::kBF16, {1}, brain.data(), 2);
  const std::vector<std::int64_t> ids = {7, -8};
  writer.add("ids", DType::kI64, {2}, ids.data(), 16);
  const std::vector<std::uint8_t> mask = {1, 0, 1};
  writer.add("mask", DType::kU8, {3}, mask.data(), 3);
  writer.add("empty", DType::kF32, {0, 4}, nullptr, 0);
  writer.set_metadata("format", "namm");
  writer.set_metadata("config", "{\"n_fft\": 32}");
  const fs::path path = directory_ / "namm.safetensors";
  writer.write(path);

  const SafetensorsFile file(path);
  EXPECT_EQ(file.metadata().at("format"), "namm");
  EXPECT_EQ(file.metadata().at("config"), "{\"n_fft\": 32}");
  EXPECT_EQ(file.tensor("scorer.q.weight").shape, (std::vector<std::int64_t>{2, 3}));
  EXPECT_EQ(file.tensor("scorer.q.weight").to_float32(), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(file.tensor("half").to_float32(), (std::vector<float>{0.5f, -2.0f}));
  EXPECT_EQ(file.tensor("brain").to_float32(), (std::vector<float>{3.0f}));
  EXPECT_EQ(file.tensor("ids").to_float32(), (std::vector<float>{7, -8}));
  EXPECT_EQ(file.tensor("mask").dtype, DType::kU8);
  EXPECT_EQ(file.tensor("empty").element_count(), 0);
  EXPECT_EQ(file.names().size(), 6u);
  // The data area starts 8-byte aligned, as the reference writer guarantees.
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(file.tensor("ids").data) % 8, 0u);
  try {
    file.tensor("absent");
    FAIL();
  } catch (const FormatError& error) {
    EXPECT_EQ(std::string(error.what()), path.string() + ": tensor 'absent' is missing");
  }
}

TEST_F(SafetensorsTest, MalformedFilesAreRejectedWithClearMessages) {
  const std::string good = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  EXPECT_EQ(rejection(raw_file("good.safetensors", good, 8)), "accepted");

  {
    std::ofstream(directory_ / "short.safetensors", std::ios::binary) << "abc";
    EXPECT_NE(rejection(directory_ / "short.safetensors").find("too short for a safetensors header"),
              std::string::npos);
  }
  EXPECT_NE(rejection(raw_file("long_header.safetensors", good, 8, 1'000'000))
                .find("header length 1000000 reaches beyond the end"),
            std::string::npos);
  EXPECT_NE(rejection(raw_file("json.safetensors", "{\"a\": [", 0)).find("invalid JSON"), std::string::npos);
  EXPECT_NE(rejection(raw_file("dtype.safetensors", R"({"a":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}})", 2))
                .find("tensor 'a': unsupported safetensors dtype 'F8_E4M3'"),
            std::string::npos);
  EXPECT_NE(rejection(raw_file("shape.safetensors", R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8))
                .find("shape [3] of F32 needs 12 bytes but data_offsets span 8"),
            std::string::npos);
  EXPECT_NE(rejection(raw_file("beyond.safetensors", R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", 8))
                .find("lies beyond the 8-byte data area"),
            std::string::npos);
  EXPECT_NE(
      rejection(
          raw_file(
              "overlap.safetensors",
              R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
              12))
          .find("overlaps the data of another tensor"),
      std::string::npos);
  EXPECT_NE(rejection(raw_file("hole.safetensors", R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", 8))
                .find("unused bytes before tensor 'a'"),
            std::string::npos);
  EXPECT_NE(rejection(raw_file("trailing.safetensors", good, 12)).find("4 bytes after the last tensor"),
            std::string::npos);
  EXPECT_NE(rejection(raw_file("reversed.safetensors", R"({"a":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}})", 8))
                .find("are reversed"),
            std::string::npos);
  EXPECT_NE(rejection(raw_file("negative.safetensors", R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", 8))
                .find("non-negative integers"),
            std::string::npos);
  EXPECT_NE(rejection(raw_file("meta.safetensors", R"({"__metadata__":{"k":3}})", 0)).find("must be a string"),
            std::string::npos);
  EXPECT_NE(rejection(raw_file("array.safetensors", "[1, 2]", 0)).find("header must be a JSON object"),
            std::string::npos);
}

// Inputs of the fuzz target fuzz/safetensors.cpp (fuzz/corpus/safetensors/finding-*): each was
// a crash (std::length_error, an uncaught nlohmann::json exception) before it became a FormatError.
TEST_F(SafetensorsTest, FuzzFindingsAreFormatErrors) {
  // [2^62] F32 elements need 2^64 bytes, which wrapped to 0 and matched the empty span.
  EXPECT_NE(rejection(raw_file("wrap.safetensors",
                               R"({"w":{"dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,0]}})", 0))
                .find("tensor 'w': shape overflows"),
            std::string::npos);
  EXPECT_NE(rejection(raw_file("extent.safetensors",
                               R"({"w":{"dtype":"F32","shape":[0,9223372036854775813],"data_offsets":[0,0]}})", 0))
                .find("shape entry 9223372036854775813 exceeds 2^63 - 1"),
            std::string::npos);
  EXPECT_NE(
      rejection(raw_file("number.safetensors", R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,1e999]}})", 0))
          .find("header: invalid JSON (number overflow parsing '1e999')"),
      std::string::npos);
}

TEST_F(SafetensorsTest, ShardedCheckpointFollowsTheIndex) {
  SafetensorsWriter first;
  first.add_f32("model.embed_tokens.weight", {2, 2}, {1, 2, 3, 4});
  first.write(directory_ / "model-00001-of-00002.safetensors");
  SafetensorsWriter second;
  second.add_f32("lm_head.weight", {2, 2}, {5, 6, 7, 8});
  second.write(directory_ / "model-00002-of-00002.safetensors");
  std::ofstream(directory_ / "model.safetensors.index.json")
      << R"({"metadata": {"total_size": 32}, "weight_map": {"model.embed_tokens.weight": "model-00001-of-00002.safetensors",
            "lm_head.weight": "model-00002-of-00002.safetensors"}})";
  const SafetensorsCheckpoint checkpoint(directory_);
  EXPECT_EQ(checkpoint.shard_count(), 2u);
  EXPECT_EQ(checkpoint.tensor("lm_head.weight").to_float32(), (std::vector<float>{5, 6, 7, 8}));
  EXPECT_EQ(checkpoint.file_of("model.embed_tokens.weight").filename(), "model-00001-of-00002.safetensors");
  EXPECT_THROW(checkpoint.tensor("model.norm.weight"), FormatError);

  std::ofstream(directory_ / "model.safetensors.index.json")
      << R"({"weight_map": {"model.norm.weight": "model-00001-of-00002.safetensors"}})";
  try {
    SafetensorsCheckpoint broken(directory_);
    FAIL();
  } catch (const FormatError& error) {
    EXPECT_NE(std::string(error.what()).find("tensor 'model.norm.weight' is listed in shard"), std::string::npos);
  }
  std::ofstream(directory_ / "model.safetensors.index.json")
      << R"({"weight_map": {"x": "model-00009-of-00009.safetensors"}})";
  EXPECT_THROW(SafetensorsCheckpoint{directory_}, InputError);
}

TEST_F(SafetensorsTest, FolderWithoutWeightsIsAUserError) {
  EXPECT_THROW(SafetensorsCheckpoint{directory_}, InputError);
}

// The written file follows the published layout closely enough for a from-scratch numpy
// reader (the Python safetensors package is not available as a Debian package).
TEST_F(SafetensorsTest, ReadableByAnIndependentNumpyReader) {
  if (evomem::test_support::run_command("/usr/bin/python3 -c 'import numpy'").exit_code != 0)
    FAIL() << "python3-numpy missing: run bash scripts/setup.sh";
  SafetensorsWriter writer;
  writer.add_f32("w", {2, 2}, {1.5f, 2.5f, -3.0f, 4.0f});
  const std::vector<std::uint16_t> brain = {float_to_bf16(0.25f)};
  writer.add("b", DType::kBF16, {1}, brain.data(), 2);
  writer.set_metadata("format", "pt");
  const fs::path path = directory_ / "x.safetensors";
  writer.write(path);
  const fs::path script = directory_ / "read.py";
  std::ofstream(script) << "import json, struct, sys, numpy as np\n"
                           "raw = open(sys.argv[1], 'rb').read()\n"
                           "n = struct.unpack('<Q', raw[:8])[0]\n"
                           "assert n % 8 == 0\n"
                           "header = json.loads(raw[8:8 + n])\n"
                           "data = raw[8 + n:]\n"
                           "w = header['w']; b0, b1 = w['data_offsets']\n"
                           "a = np.frombuffer(data[b0:b1], dtype='<f4').reshape(w['shape'])\n"
                           "assert a.tolist() == [[1.5, 2.5], [-3.0, 4.0]], a\n"
                           "b = header['b']; c0, c1 = b['data_offsets']\n"
                           "bf = np.frombuffer(data[c0:c1], dtype='<u2').astype('<u4') << 16\n"
                           "assert bf.view('<f4').tolist() == [0.25]\n"
                           "assert header['__metadata__'] == {'format': 'pt'}\n"
                           "print('ok')\n";
  const auto result = evomem::test_support::run_command("/usr/bin/python3 " + script.string() + " " + path.string());
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(result.output, "ok\n");
}

}  // namespace
}  // namespace evomem::core
