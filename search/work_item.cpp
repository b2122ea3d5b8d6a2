#include "search/work_item.h"

#include <cstring>
#include <type_traits>

#include "core/error.h"

namespace evomem::search {
namespace {

class Writer {
 public:
  template <typename T>
  void put(const T& value) {
    static_assert(std::is_trivially_copyable_v<T>);
    const auto* bytes = reinterpret_cast<const char*>(&value);
    bytes_.insert(bytes_.end(), bytes, bytes + sizeof(T));
  }
  void put(const std::string& text) {
    put(static_cast<std::uint64_t>(text.size()));
    bytes_.insert(bytes_.end(), text.begin(), text.end());
  }
  void put(const std::vector<double>& values) {
    put(static_cast<std::uint64_t>(values.size()));
    const auto* bytes = reinterpret_cast<const char*>(values.data());
    bytes_.insert(bytes_.end(), bytes, bytes + values.size() * sizeof(double));
  }
  std::vector<char> take() { return std::move(bytes_); }

 private:
  std::vector<char> bytes_;
};

class Reader {
 public:
  Reader(const std::vector<char>& bytes, const char* what) : bytes_(bytes), what_(what) {}

  template <typename T>
  T get() {
    static_assert(std::is_trivially_copyable_v<T>);
    T value;
    std::memcpy(&value, take(sizeof(T)), sizeof(T));
    return value;
  }
  std::string get_string() {
    const auto size = get<std::uint64_t>();
    const char* data = take(size);
    return std::string(data, size);
  }
  std::vector<double> get_doubles() {
    const auto size = get<std::uint64_t>();
    const char* data = take(size * sizeof(double));
    std::vector<double> values(size);
    if (size > 0) std::memcpy(values.data(), data, size * sizeof(double));
    return values;
  }
  void finish() const { EVOMEM_CHECK(offset_ == bytes_.size(), std::string(what_) + " message has trailing bytes"); }

 private:
  const char* take(std::uint64_t size) {
    EVOMEM_CHECK(size <= bytes_.size() - offset_, std::string(what_) + " message is truncated");
    const char* data = bytes_.data() + offset_;
    offset_ += size;
    return data;
  }

  const std::vector<char>& bytes_;
  const char* what_;
  std::size_t offset_ = 0;
};

}  // namespace

std::vector<char> encode(const WorkItem& item) {
  Writer writer;
  writer.put(item.id);
  writer.put(item.generation);
  writer.put(item.candidate);
  writer.put(item.batch);
  writer.put(item.kind);
  writer.put(item.genome);
  return writer.take();
}

WorkItem decode_work_item(const std::vector<char>& bytes) {
  Reader reader(bytes, "work item");
  WorkItem item;
  item.id = reader.get<std::int64_t>();
  item.generation = reader.get<std::int64_t>();
  item.candidate = reader.get<std::int64_t>();
  item.batch = reader.get<std::int64_t>();
  item.kind = reader.get<std::int64_t>();
  item.genome = reader.get_doubles();
  reader.finish();
  return item;
}

std::vector<char> encode(const ItemResult& result) {
  Writer writer;
  writer.put(result.id);
  writer.put(static_cast<std::uint8_t>(result.ok ? 1 : 0));
  writer.put(result.error);
  writer.put(result.values);
  writer.put(result.seconds);
  writer.put(static_cast<std::int32_t>(result.worker));
  writer.put(result.attempts);
  return writer.take();
}

ItemResult decode_item_result(const std::vector<char>& bytes) {
  Reader reader(bytes, "item result");
  ItemResult result;
  result.id = reader.get<std::int64_t>();
  result.ok = reader.get<std::uint8_t>() != 0;
  result.error = reader.get_string();
  result.values = reader.get_doubles();
  result.seconds = reader.get<double>();
  result.worker = reader.get<std::int32_t>();
  result.attempts = reader.get<std::int64_t>();
  reader.finish();
  return result;
}

}  // namespace evomem::search
