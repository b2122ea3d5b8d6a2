#pragma once
// RAII access to HDF5 files (serial HDF5, C API underneath). Every handle closes itself;
// every failure throws an evomem error naming the file and the object path. Datasets are
// plain HDF5 (readable by h5py): numeric arrays, variable-length UTF-8 strings and
// attributes, optionally extendible along their first dimension (histories).

#include <hdf5.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/files.h"

namespace evomem::core::h5 {

using Shape = std::vector<hsize_t>;

// Owns one HDF5 identifier together with the function that releases it.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  Handle(Handle&& other) noexcept;
  Handle& operator=(Handle&& other) noexcept;
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle();

  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }

 private:
  hid_t id_ = -1;
  Closer closer_ = nullptr;
};

// Anything that can carry attributes: a file's root, a group or a dataset.
class Object {
 public:
  hid_t id() const { return handle_.get(); }
  // "run.h5:/history/best", used in every error message.
  std::string describe() const;
  const std::string& file_name() const { return file_name_; }
  const std::string& object_path() const { return object_path_; }

  bool has_attribute(const std::string& name) const;
  std::vector<std::string> attribute_names() const;  // in name order
  // Every attribute read as one string: a group of named texts (e.g. /provenance).
  std::map<std::string, std::string> string_attributes() const;
  void set_attribute(const std::string& name, const std::string& value);
  void set_attribute(const std::string& name, const char* value) { set_attribute(name, std::string(value)); }
  void set_attribute(const std::string& name, double value);
  void set_attribute(const std::string& name, std::int64_t value);
  void set_attribute(const std::string& name, const std::vector<double>& values);
  void set_attribute(const std::string& name, const std::vector<std::int64_t>& values);

  std::string string_attribute(const std::string& name) const;
  double double_attribute(const std::string& name) const;
  std::int64_t int_attribute(const std::string& name) const;
  std::vector<double> double_array_attribute(const std::string& name) const;
  std::vector<std::int64_t> int_array_attribute(const std::string& name) const;

 protected:
  Object(Handle handle, std::string file_name, std::string object_path);
  Handle handle_;
  std::string file_name_;
  std::string object_path_;
};

// A numeric or string dataset. Numeric reads convert between widths of the same kind
// (float <-> double, int32 <-> int64) but refuse to turn floats into integers.
class Dataset : public Object {
 public:
  Shape shape() const;
  std::size_t element_count() const;

  template <typename T>
  std::vector<T> read() const;
  std::vector<std::string> read_strings() const;

  // Appends `rows` rows to a dataset created extendible; `data` holds rows * row_size values.
  template <typename T>
  void append(const T* data, std::size_t rows);
  template <typename T>
  void append(const std::vector<T>& data) {
    append(data.data(), rows_in(data.size()));
  }

 private:
  friend class Group;
  using Object::Object;
  std::size_t rows_in(std::size_t values) const;
};

class Group : public Object {
 public:
  bool contains(const std::string& name) const;
  std::vector<std::string> children() const;
  bool is_group(const std::string& name) const;

  Group group(const std::string& name) const;
  Group create_group(const std::string& name);
  Group require_group(const std::string& name);
  Dataset dataset(const std::string& name) const;
  void remove(const std::string& name);

  // Writes a whole dataset; `shape` defaults to one dimension of data.size().
  template <typename T>
  Dataset write(const std::string& name, const std::vector<T>& data, Shape shape = {});
  Dataset write_strings(const std::string& name, const std::vector<std::string>& values);
  // A dataset of shape [0, row_shape...] that grows along its first dimension.
  template <typename T>
  Dataset create_extendible(const std::string& name, const Shape& row_shape, hsize_t chunk_rows = 64);

  template <typename T>
  std::vector<T> read(const std::string& name) const {
    return dataset(name).read<T>();
  }

 protected:
  using Object::Object;
  friend class File;
};

enum class Mode { kReadOnly, kReadWrite };

class File : public Group {
 public:
  // Creates (or truncates) a file.
  static File create(const std::filesystem::path& path);
  // Opens an existing file; FormatError if it is missing or not HDF5.
  static File open(const std::filesystem::path& path, Mode mode = Mode::kReadOnly);
  // A new file that lives in memory only; `name` is used in messages.
  static File create_in_memory(const std::filesystem::path& name);

  void flush();
  // The bytes of a file made by create_in_memory, as they would be on disk.
  std::vector<char> image();
  const std::filesystem::path& path() const { return path_; }

 private:
  File(Handle handle, std::filesystem::path path);
  std::filesystem::path path_;
};

// Produces the HDF5 file `path` atomically (core::write_file_atomically): `writer` fills a
// file held in memory, whose bytes are then written beside `path` and renamed over it. HDF5
// never writes to disk itself, so a full disk is one clear error from the byte writer, and no
// file is left half-closed for the library's exit handler, which crashes on one.
void write_file_atomically(const std::filesystem::path& path, const std::function<void(File& file)>& writer,
                           const AtomicWriteOptions& options = {});

// Supported element types: double, float, int64_t, int32_t, uint64_t, uint32_t, uint8_t.
template <typename T>
hid_t native_type();
template <>
hid_t native_type<double>();
template <>
hid_t native_type<float>();
template <>
hid_t native_type<std::int64_t>();
template <>
hid_t native_type<std::int32_t>();
template <>
hid_t native_type<std::uint64_t>();
template <>
hid_t native_type<std::uint32_t>();
template <>
hid_t native_type<std::uint8_t>();

}  // namespace evomem::core::h5
