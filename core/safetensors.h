#pragma once
// safetensors files (the Hugging Face format): an 8-byte little-endian header length, a JSON
// header {name: {dtype, shape, data_offsets}, "__metadata__": {str: str}}, then the data.
// The reader memory-maps the file and validates the header completely before any tensor is
// used; the writer produces files that the Python `safetensors` package loads.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/files.h"

namespace evomem::core {

enum class DType { kF64, kF32, kF16, kBF16, kI64, kI32, kI16, kI8, kU8, kBool };

// "F32" <-> DType; FormatError for names evomem does not support.
DType dtype_from_name(const std::string& name);
const char* dtype_name(DType dtype);
std::size_t dtype_size(DType dtype);

// A tensor inside a mapped file (no copy). Data may be unaligned for foreign files.
struct TensorView {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<std::int64_t> shape;
  const unsigned char* data = nullptr;
  std::size_t byte_size = 0;

  std::int64_t element_count() const;
  // Converts F64/F32/F16/BF16 (and integer types) to float32 values.
  std::vector<float> to_float32() const;
};

class SafetensorsFile {
 public:
  // Maps and validates `path`; FormatError naming the file and the problem otherwise.
  explicit SafetensorsFile(const std::filesystem::path& path);

  const std::filesystem::path& path() const { return mapped_.path(); }
  bool contains(const std::string& name) const;
  // FormatError naming the tensor and file if it is absent.
  const TensorView& tensor(const std::string& name) const;
  // Tensor names in file order (by data offset).
  std::vector<std::string> names() const;
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

 private:
  MappedFile mapped_;
  std::map<std::string, TensorView> tensors_;
  std::map<std::string, std::string> metadata_;
};

// A checkpoint folder's weights: `model.safetensors`, or the shards named by
// `model.safetensors.index.json` ({"weight_map": {tensor: shard file}}).
class SafetensorsCheckpoint {
 public:
  // `path` is a folder (index or single file inside), an index file, or one .safetensors file.
  explicit SafetensorsCheckpoint(const std::filesystem::path& path);

  bool contains(const std::string& name) const;
  const TensorView& tensor(const std::string& name) const;
  std::vector<std::string> names() const;
  // Where `name` lives (for error messages).
  const std::filesystem::path& file_of(const std::string& name) const;
  std::size_t shard_count() const { return shards_.size(); }
  const std::map<std::string, std::string>& metadata() const;

 private:
  std::vector<std::unique_ptr<SafetensorsFile>> shards_;
  std::map<std::string, const SafetensorsFile*> owner_;
};

// Builds a safetensors file in memory; write() replaces the target atomically.
class SafetensorsWriter {
 public:
  // Copies `byte_size` bytes; the byte size must equal product(shape) * dtype_size(dtype).
  void add(const std::string& name, DType dtype, const std::vector<std::int64_t>& shape, const void* data,
           std::size_t byte_size);
  void add_f32(const std::string& name, const std::vector<std::int64_t>& shape, const std::vector<float>& values);
  void set_metadata(const std::string& key, const std::string& value) { metadata_[key] = value; }

  // The complete file content (header padded to 8 bytes, as the reference writer does).
  std::string serialize() const;
  void write(const std::filesystem::path& path) const;

 private:
  struct Entry {
    DType dtype;
    std::vector<std::int64_t> shape;
    std::string bytes;
  };
  std::map<std::string, Entry> entries_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace evomem::core
