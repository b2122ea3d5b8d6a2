#include "core/safetensors.h"

#include <algorithm>
#include <cstring>
#include <fstream>

#include "core/error.h"
#include "core/half.h"
#include "core/json_file.h"
#include "core/text.h"

namespace evomem::core {
namespace fs = std::filesystem;

namespace {

struct DTypeInfo {
  DType dtype;
  const char* name;
  std::size_t size;
};

constexpr DTypeInfo kDTypes[] = {
    {DType::kF64, "F64", 8}, {DType::kF32, "F32", 4},   {DType::kF16, "F16", 2}, {DType::kBF16, "BF16", 2},
    {DType::kI64, "I64", 8}, {DType::kI32, "I32", 4},   {DType::kI16, "I16", 2}, {DType::kI8, "I8", 1},
    {DType::kU8, "U8", 1},   {DType::kBool, "BOOL", 1},
};

// The reference implementation refuses headers above 100 MB; so do we (a corrupt length
// would otherwise make us parse the whole file as JSON).
constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;

std::uint64_t read_le64(const unsigned char* bytes) {
  std::uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = (value << 8) | bytes[i];
  return value;
}

template <typename T>
T load_unaligned(const unsigned char* bytes) {
  T value;
  std::memcpy(&value, bytes, sizeof value);
  return value;
}

}  // namespace

DType dtype_from_name(const std::string& name) {
  for (const auto& info : kDTypes) {
    if (name == info.name) return info.dtype;
  }
  throw FormatError("unsupported safetensors dtype '" + name +
                    "' (supported: F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL)");
}

const char* dtype_name(DType dtype) {
  for (const auto& info : kDTypes) {
    if (info.dtype == dtype) return info.name;
  }
  throw InternalError("unknown DType value");
}

std::size_t dtype_size(DType dtype) {
  for (const auto& info : kDTypes) {
    if (info.dtype == dtype) return info.size;
  }
  throw InternalError("unknown DType value");
}

std::int64_t TensorView::element_count() const {
  std::int64_t count = 1;
  for (auto extent : shape) count *= extent;
  return count;
}

std::vector<float> TensorView::to_float32() const {
  const std::size_t count = static_cast<std::size_t>(element_count());
  const std::size_t width = dtype_size(dtype);
  std::vector<float> values(count);
  for (std::size_t i = 0; i < count; ++i) {
    const unsigned char* element = data + i * width;
    switch (dtype) {
      case DType::kF64: values[i] = static_cast<float>(load_unaligned<double>(element)); break;
      case DType::kF32: values[i] = load_unaligned<float>(element); break;
      case DType::kF16: values[i] = f16_to_float(load_unaligned<std::uint16_t>(element)); break;
      case DType::kBF16: values[i] = bf16_to_float(load_unaligned<std::uint16_t>(element)); break;
      case DType::kI64: values[i] = static_cast<float>(load_unaligned<std::int64_t>(element)); break;
      case DType::kI32: values[i] = static_cast<float>(load_unaligned<std::int32_t>(element)); break;
      case DType::kI16: values[i] = static_cast<float>(load_unaligned<std::int16_t>(element)); break;
      case DType::kI8: values[i] = static_cast<float>(load_unaligned<std::int8_t>(element)); break;
      case DType::kU8:
      case DType::kBool: values[i] = static_cast<float>(*element); break;
    }
  }
  return values;
}

// ---- SafetensorsFile -------------------------------------------------------------------

SafetensorsFile::SafetensorsFile(const fs::path& path) : mapped_(path) {
  const std::string where = path.string();
  const std::size_t file_size = mapped_.size();
  if (file_size < 8) {
    throw FormatError(where + ": file is " + std::to_string(file_size) +
                      " bytes, too short for a safetensors header (truncated?)");
  }
  const std::uint64_t header_size = read_le64(mapped_.data());
  if (header_size > file_size - 8) {
    throw FormatError(where + ": header length " + std::to_string(header_size) + " reaches beyond the end of the " +
                      std::to_string(file_size) + "-byte file (truncated or not a safetensors file)");
  }
  if (header_size > kMaxHeaderBytes) {
    throw FormatError(where + ": header length " + std::to_string(header_size) + " exceeds the 100 MB limit");
  }
  const std::string header_text(reinterpret_cast<const char*>(mapped_.data() + 8), header_size);
  const Json header = parse_json(header_text, where + " header");
  if (!header.is_object()) throw FormatError(where + ": header must be a JSON object, got " + header.type_name());

  const unsigned char* data_begin = mapped_.data() + 8 + header_size;
  const std::uint64_t data_size = file_size - 8 - header_size;
  struct Span {
    std::uint64_t begin, end;
    std::string name;
  };
  std::vector<Span> spans;

  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      if (!entry.is_object()) throw FormatError(where + ": __metadata__ must be an object of strings");
      for (const auto& [key, value] : entry.items()) {
        if (!value.is_string()) {
          throw FormatError(where + ": __metadata__ value '" + key + "' must be a string, got " + value.type_name());
        }
        metadata_[key] = value.get<std::string>();
      }
      continue;
    }
    const std::string what = where + ": tensor '" + name + "'";
    if (!entry.is_object()) throw FormatError(what + " must be described by an object");
    if (!entry.contains("dtype") || !entry["dtype"].is_string())
      throw FormatError(what + ": 'dtype' missing or not a string");
    if (!entry.contains("shape") || !entry["shape"].is_array())
      throw FormatError(what + ": 'shape' missing or not an array");
    if (!entry.contains("data_offsets") || !entry["data_offsets"].is_array() || entry["data_offsets"].size() != 2) {
      throw FormatError(what + ": 'data_offsets' must be an array [begin, end]");
    }
    TensorView view;
    view.name = name;
    try {
      view.dtype = dtype_from_name(entry["dtype"].get<std::string>());
    } catch (const FormatError& error) {
      throw FormatError(what + ": " + error.what());
    }
    std::uint64_t element_count = 1;
    for (const auto& extent : entry["shape"]) {
      if (!extent.is_number_unsigned()) throw FormatError(what + ": shape entries must be non-negative integers");
      const auto value = extent.get<std::uint64_t>();
      if (value > INT64_MAX) throw FormatError(what + ": shape entry " + std::to_string(value) + " exceeds 2^63 - 1");
      if (value != 0 && element_count > UINT64_MAX / value) throw FormatError(what + ": shape overflows");
      element_count *= value;
      view.shape.push_back(static_cast<std::int64_t>(value));
    }
    const auto& offsets = entry["data_offsets"];
    if (!offsets[0].is_number_unsigned() || !offsets[1].is_number_unsigned()) {
      throw FormatError(what + ": data_offsets must be non-negative integers");
    }
    const auto begin = offsets[0].get<std::uint64_t>();
    const auto end = offsets[1].get<std::uint64_t>();
    if (begin > end)
      throw FormatError(what + ": data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                        "] are reversed");
    if (end > data_size) {
      throw FormatError(what + ": data_offsets end " + std::to_string(end) + " lies beyond the " +
                        std::to_string(data_size) + "-byte data area (truncated file?)");
    }
    // Checked, or a wrapped product could match a small span (shape [2^62] of F32 in 0 bytes).
    if (element_count > UINT64_MAX / dtype_size(view.dtype)) throw FormatError(what + ": shape overflows");
    const std::uint64_t expected = element_count * dtype_size(view.dtype);
    if (end - begin != expected) {
      throw FormatError(what + ": shape " + shape_text(view.shape) + " of " + dtype_name(view.dtype) + " needs " +
                        std::to_string(expected) + " bytes but data_offsets span " + std::to_string(end - begin));
    }
    view.data = data_begin + begin;
    view.byte_size = static_cast<std::size_t>(end - begin);
    spans.push_back({begin, end, name});
    tensors_.emplace(name, std::move(view));
  }

  // Tensors must tile the data area exactly: no overlap, no hole, nothing after the last.
  std::sort(spans.begin(), spans.end(),
            [](const Span& a, const Span& b) { return a.begin < b.begin || (a.begin == b.begin && a.end < b.end); });
  std::uint64_t cursor = 0;
  for (const Span& span : spans) {
    if (span.begin < cursor) {
      throw FormatError(where + ": tensor '" + span.name + "' overlaps the data of another tensor (offset " +
                        std::to_string(span.begin) + ")");
    }
    if (span.begin > cursor) {
      throw FormatError(where + ": unused bytes before tensor '" + span.name + "' (offset " + std::to_string(cursor) +
                        " to " + std::to_string(span.begin) + ")");
    }
    cursor = span.end;
  }
  if (cursor != data_size) {
    throw FormatError(where + ": data area has " + std::to_string(data_size - cursor) +
                      " bytes after the last tensor (corrupt header?)");
  }
}

bool SafetensorsFile::contains(const std::string& name) const { return tensors_.count(name) != 0; }

const TensorView& SafetensorsFile::tensor(const std::string& name) const {
  auto found = tensors_.find(name);
  if (found == tensors_.end()) throw FormatError(path().string() + ": tensor '" + name + "' is missing");
  return found->second;
}

std::vector<std::string> SafetensorsFile::names() const {
  std::vector<const TensorView*> views;
  for (const auto& [name, view] : tensors_) views.push_back(&view);
  std::sort(views.begin(), views.end(), [](const TensorView* a, const TensorView* b) { return a->data < b->data; });
  std::vector<std::string> ordered;
  for (const auto* view : views) ordered.push_back(view->name);
  return ordered;
}

// ---- SafetensorsCheckpoint -------------------------------------------------------------

SafetensorsCheckpoint::SafetensorsCheckpoint(const fs::path& path) {
  fs::path index_path;
  fs::path single_path;
  if (fs::is_directory(path)) {
    if (fs::exists(path / "model.safetensors.index.json")) {
      index_path = path / "model.safetensors.index.json";
    } else if (fs::exists(path / "model.safetensors")) {
      single_path = path / "model.safetensors";
    } else {
      throw InputError(path.string() + ": no model.safetensors or model.safetensors.index.json in this folder");
    }
  } else if (path.extension() == ".json") {
    index_path = path;
  } else {
    single_path = path;
  }

  if (!single_path.empty()) {
    shards_.push_back(std::make_unique<SafetensorsFile>(single_path));
    for (const auto& name : shards_.front()->names()) owner_[name] = shards_.front().get();
    return;
  }

  const Json index = read_json_file(index_path);
  const JsonObject root(index, index_path.string());
  const JsonObject weight_map = root.object("weight_map");
  std::map<std::string, const SafetensorsFile*> shard_by_file;
  for (const auto& [tensor_name, shard] : weight_map.json().items()) {
    if (!shard.is_string()) throw FormatError(weight_map.describe(tensor_name) + " must name a shard file");
    const std::string shard_name = shard.get<std::string>();
    auto found = shard_by_file.find(shard_name);
    if (found == shard_by_file.end()) {
      const fs::path shard_path = index_path.parent_path() / shard_name;
      if (!fs::exists(shard_path)) {
        throw InputError(index_path.string() + ": shard '" + shard_name + "' (holding '" + tensor_name +
                         "') does not exist");
      }
      shards_.push_back(std::make_unique<SafetensorsFile>(shard_path));
      found = shard_by_file.emplace(shard_name, shards_.back().get()).first;
    }
    if (!found->second->contains(tensor_name)) {
      throw FormatError(index_path.string() + ": tensor '" + tensor_name + "' is listed in shard '" + shard_name +
                        "' but that file does not contain it");
    }
    owner_[tensor_name] = found->second;
  }
}

bool SafetensorsCheckpoint::contains(const std::string& name) const { return owner_.count(name) != 0; }

const TensorView& SafetensorsCheckpoint::tensor(const std::string& name) const {
  auto found = owner_.find(name);
  if (found == owner_.end()) {
    const std::string where = shards_.size() == 1 ? shards_.front()->path().string() : "checkpoint";
    throw FormatError(where + ": tensor '" + name + "' is missing");
  }
  return found->second->tensor(name);
}

std::vector<std::string> SafetensorsCheckpoint::names() const {
  std::vector<std::string> all;
  for (const auto& [name, owner] : owner_) all.push_back(name);
  return all;
}

const fs::path& SafetensorsCheckpoint::file_of(const std::string& name) const {
  auto found = owner_.find(name);
  if (found == owner_.end()) throw FormatError("checkpoint: tensor '" + name + "' is missing");
  return found->second->path();
}

const std::map<std::string, std::string>& SafetensorsCheckpoint::metadata() const {
  static const std::map<std::string, std::string> kEmpty;
  return shards_.empty() ? kEmpty : shards_.front()->metadata();
}

// ---- SafetensorsWriter -----------------------------------------------------------------

void SafetensorsWriter::add(const std::string& name, DType dtype, const std::vector<std::int64_t>& shape,
                            const void* data, std::size_t byte_size) {
  if (name == "__metadata__" || name.empty()) throw InputError("safetensors: invalid tensor name '" + name + "'");
  std::int64_t count = 1;
  for (auto extent : shape) {
    if (extent < 0) throw InputError("safetensors: tensor '" + name + "' has a negative extent");
    count *= extent;
  }
  const std::size_t expected = static_cast<std::size_t>(count) * dtype_size(dtype);
  EVOMEM_CHECK(expected == byte_size, "tensor '" + name + "': " + std::to_string(byte_size) + " bytes for shape " +
                                          shape_text(shape) + " of " + dtype_name(dtype));
  entries_[name] = Entry{dtype, shape, std::string(static_cast<const char*>(data), byte_size)};
}

void SafetensorsWriter::add_f32(const std::string& name, const std::vector<std::int64_t>& shape,
                                const std::vector<float>& values) {
  add(name, DType::kF32, shape, values.data(), values.size() * sizeof(float));
}

std::string SafetensorsWriter::serialize() const {
  // Wider dtypes first (then by name), so every tensor starts aligned to its element size.
  std::vector<const std::pair<const std::string, Entry>*> order;
  for (const auto& item : entries_) order.push_back(&item);
  std::stable_sort(order.begin(), order.end(), [](const auto* a, const auto* b) {
    return dtype_size(a->second.dtype) > dtype_size(b->second.dtype);
  });
  Json header = Json::object();
  if (!metadata_.empty()) header["__metadata__"] = metadata_;
  std::uint64_t offset = 0;
  for (const auto* item : order) {
    const auto& [name, entry] = *item;
    header[name] = {{"dtype", dtype_name(entry.dtype)},
                    {"shape", entry.shape},
                    {"data_offsets", {offset, offset + entry.bytes.size()}}};
    offset += entry.bytes.size();
  }
  std::string header_text = header.dump();
  // Pad with spaces so the data area starts 8-byte aligned.
  header_text.append((8 - header_text.size() % 8) % 8, ' ');
  std::string content(8, '\0');
  const std::uint64_t header_size = header_text.size();
  for (int i = 0; i < 8; ++i) content[i] = static_cast<char>((header_size >> (8 * i)) & 0xff);
  content += header_text;
  for (const auto* item : order) content += item->second.bytes;
  return content;
}

void SafetensorsWriter::write(const fs::path& path) const { write_text_file_atomically(path, serialize()); }

}  // namespace evomem::core
