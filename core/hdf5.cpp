#include "core/hdf5.h"

#include <mutex>
#include <numeric>

#include "core/error.h"

namespace evomem::core::h5 {
namespace fs = std::filesystem;

namespace {

// HDF5 prints its own error stack to stderr by default; evomem reports errors itself.
void silence_library_errors() {
  static std::once_flag once;
  std::call_once(once, [] { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); });
}

std::string join_path(const std::string& parent, const std::string& name) {
  if (!name.empty() && name.front() == '/') return name;
  if (parent == "/") return "/" + name;
  return parent + "/" + name;
}

Handle string_type() {
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  const bool made = type.valid() && H5Tset_size(type.get(), H5T_VARIABLE) >= 0 &&
                    H5Tset_cset(type.get(), H5T_CSET_UTF8) >= 0;
  EVOMEM_CHECK(made, "HDF5 could not make a variable-length UTF-8 string type");
  return type;
}

hsize_t product(const Shape& shape) {
  return std::accumulate(shape.begin(), shape.end(), hsize_t{1}, std::multiplies<hsize_t>());
}

Shape dataspace_shape(hid_t space) {
  const int rank = H5Sget_simple_extent_ndims(space);
  EVOMEM_CHECK(rank >= 0, "HDF5 could not read the rank of a dataspace");
  Shape shape(static_cast<std::size_t>(rank));
  const int read = rank > 0 ? H5Sget_simple_extent_dims(space, shape.data(), nullptr) : 0;
  EVOMEM_CHECK(read == rank, "HDF5 could not read the shape of a dataspace");
  return shape;
}

// Refuses silent float -> integer conversions (and reading strings as numbers).
template <typename T>
void check_readable_as(hid_t stored_type, const std::string& what) {
  const H5T_class_t stored = H5Tget_class(stored_type);
  const H5T_class_t wanted = H5Tget_class(native_type<T>());
  if (stored != wanted) {
    const char* stored_name = stored == H5T_FLOAT     ? "floating point"
                              : stored == H5T_INTEGER ? "integer"
                                                      : "non-numeric";
    const char* wanted_name = wanted == H5T_FLOAT ? "floating point" : "integer";
    throw FormatError(what + ": holds " + stored_name + " values where " + wanted_name + " values are expected");
  }
}

// Attributes are replaced, not appended: an existing one of that name goes first.
void delete_attribute_if_present(const Object& object, hid_t object_id, const std::string& name) {
  if (H5Aexists(object_id, name.c_str()) > 0 && H5Adelete(object_id, name.c_str()) < 0) {
    throw InputError(object.describe() + ": cannot replace attribute '" + name + "'");
  }
}

template <typename T>
void write_attribute(Object& object, hid_t object_id, const std::string& name, const T* values, const Shape& shape) {
  delete_attribute_if_present(object, object_id, name);
  Handle space(
      shape.empty() ? H5Screate(H5S_SCALAR) : H5Screate_simple(static_cast<int>(shape.size()), shape.data(), nullptr),
      H5Sclose);
  Handle attribute(H5Acreate2(object_id, name.c_str(), native_type<T>(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
                   H5Aclose);
  if (!attribute.valid() || H5Awrite(attribute.get(), native_type<T>(), values) < 0) {
    throw InputError(object.describe() + ": cannot write attribute '" + name + "'");
  }
}

template <typename T>
std::vector<T> read_attribute(const Object& object, const std::string& name) {
  if (!object.has_attribute(name)) {
    throw FormatError(object.describe() + ": attribute '" + name + "' is missing");
  }
  Handle attribute(H5Aopen(object.id(), name.c_str(), H5P_DEFAULT), H5Aclose);
  Handle type(H5Aget_type(attribute.get()), H5Tclose);
  check_readable_as<T>(type.get(), object.describe() + " attribute '" + name + "'");
  Handle space(H5Aget_space(attribute.get()), H5Sclose);
  std::vector<T> values(static_cast<std::size_t>(H5Sget_simple_extent_npoints(space.get())));
  if (H5Aread(attribute.get(), native_type<T>(), values.data()) < 0) {
    throw FormatError(object.describe() + ": cannot read attribute '" + name + "'");
  }
  return values;
}

template <typename T>
T read_scalar_attribute(const Object& object, const std::string& name) {
  auto values = read_attribute<T>(object, name);
  if (values.size() != 1) {
    throw FormatError(object.describe() + ": attribute '" + name + "' holds " + std::to_string(values.size()) +
                      " values where one is expected");
  }
  return values.front();
}

}  // namespace

template <>
hid_t native_type<double>() {
  return H5T_NATIVE_DOUBLE;
}
template <>
hid_t native_type<float>() {
  return H5T_NATIVE_FLOAT;
}
template <>
hid_t native_type<std::int64_t>() {
  return H5T_NATIVE_INT64;
}
template <>
hid_t native_type<std::int32_t>() {
  return H5T_NATIVE_INT32;
}
template <>
hid_t native_type<std::uint64_t>() {
  return H5T_NATIVE_UINT64;
}
template <>
hid_t native_type<std::uint32_t>() {
  return H5T_NATIVE_UINT32;
}
template <>
hid_t native_type<std::uint8_t>() {
  return H5T_NATIVE_UINT8;
}

// ---- Handle --------------------------------------------------------------------------

Handle::Handle(Handle&& other) noexcept : id_(other.id_), closer_(other.closer_) { other.id_ = -1; }

Handle& Handle::operator=(Handle&& other) noexcept {
  if (this != &other) {
    if (id_ >= 0 && closer_ != nullptr) closer_(id_);
    id_ = other.id_;
    closer_ = other.closer_;
    other.id_ = -1;
  }
  return *this;
}

Handle::~Handle() {
  if (id_ >= 0 && closer_ != nullptr) closer_(id_);
}

// ---- Object --------------------------------------------------------------------------

Object::Object(Handle handle, std::string file_name, std::string object_path)
    : handle_(std::move(handle)), file_name_(std::move(file_name)), object_path_(std::move(object_path)) {}

std::string Object::describe() const { return file_name_ + ":" + object_path_; }

bool Object::has_attribute(const std::string& name) const { return H5Aexists(id(), name.c_str()) > 0; }

std::map<std::string, std::string> Object::string_attributes() const {
  std::map<std::string, std::string> texts;
  for (const auto& name : attribute_names()) texts[name] = string_attribute(name);
  return texts;
}

std::vector<std::string> Object::attribute_names() const {
  std::vector<std::string> names;
  const auto collect = [](hid_t, const char* name, const H5A_info_t*, void* data) -> herr_t {
    static_cast<std::vector<std::string>*>(data)->emplace_back(name);
    return 0;
  };
  if (H5Aiterate2(id(), H5_INDEX_NAME, H5_ITER_INC, nullptr, collect, &names) < 0) {
    throw FormatError(describe() + ": cannot list attributes");
  }
  return names;
}

void Object::set_attribute(const std::string& name, const std::string& value) {
  delete_attribute_if_present(*this, id(), name);
  Handle type = string_type();
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle attribute(H5Acreate2(id(), name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  const char* text = value.c_str();
  if (!attribute.valid() || H5Awrite(attribute.get(), type.get(), &text) < 0) {
    throw InputError(describe() + ": cannot write attribute '" + name + "'");
  }
}

void Object::set_attribute(const std::string& name, double value) { write_attribute(*this, id(), name, &value, {}); }
void Object::set_attribute(const std::string& name, std::int64_t value) {
  write_attribute(*this, id(), name, &value, {});
}
void Object::set_attribute(const std::string& name, const std::vector<double>& values) {
  write_attribute(*this, id(), name, values.data(), {values.size()});
}
void Object::set_attribute(const std::string& name, const std::vector<std::int64_t>& values) {
  write_attribute(*this, id(), name, values.data(), {values.size()});
}

std::string Object::string_attribute(const std::string& name) const {
  if (!has_attribute(name)) throw FormatError(describe() + ": attribute '" + name + "' is missing");
  Handle attribute(H5Aopen(id(), name.c_str(), H5P_DEFAULT), H5Aclose);
  Handle stored(H5Aget_type(attribute.get()), H5Tclose);
  if (H5Tget_class(stored.get()) != H5T_STRING) {
    throw FormatError(describe() + ": attribute '" + name + "' is not a string");
  }
  Handle space(H5Aget_space(attribute.get()), H5Sclose);
  // One string, not an array of them: reading an array into one string would overrun it.
  if (H5Sget_simple_extent_npoints(space.get()) != 1) {
    throw FormatError(describe() + ": attribute '" + name + "' holds several strings, expected one");
  }
  if (H5Tis_variable_str(stored.get()) > 0) {
    Handle type = string_type();
    char* text = nullptr;
    if (H5Aread(attribute.get(), type.get(), &text) < 0)
      throw FormatError(describe() + ": cannot read attribute '" + name + "'");
    std::string value = text != nullptr ? text : "";
    H5Dvlen_reclaim(type.get(), space.get(), H5P_DEFAULT, &text);
    return value;
  }
  // Fixed-length strings (written by other tools, e.g. numpy bytes via h5py).
  const std::size_t size = H5Tget_size(stored.get());
  std::string value(size, '\0');
  Handle type(H5Tcopy(stored.get()), H5Tclose);
  if (H5Aread(attribute.get(), type.get(), value.data()) < 0)
    throw FormatError(describe() + ": cannot read attribute '" + name + "'");
  value.resize(value.find('\0') == std::string::npos ? size : value.find('\0'));
  return value;
}

double Object::double_attribute(const std::string& name) const { return read_scalar_attribute<double>(*this, name); }
std::int64_t Object::int_attribute(const std::string& name) const {
  return read_scalar_attribute<std::int64_t>(*this, name);
}
std::vector<double> Object::double_array_attribute(const std::string& name) const {
  return read_attribute<double>(*this, name);
}
std::vector<std::int64_t> Object::int_array_attribute(const std::string& name) const {
  return read_attribute<std::int64_t>(*this, name);
}

// ---- Dataset -------------------------------------------------------------------------

Shape Dataset::shape() const {
  Handle space(H5Dget_space(id()), H5Sclose);
  return dataspace_shape(space.get());
}

std::size_t Dataset::element_count() const { return static_cast<std::size_t>(product(shape())); }

template <typename T>
std::vector<T> Dataset::read() const {
  Handle stored(H5Dget_type(id()), H5Tclose);
  check_readable_as<T>(stored.get(), describe());
  std::vector<T> values(element_count());
  if (!values.empty() && H5Dread(id(), native_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) < 0) {
    throw FormatError(describe() + ": cannot read dataset");
  }
  return values;
}

std::vector<std::string> Dataset::read_strings() const {
  Handle stored(H5Dget_type(id()), H5Tclose);
  if (H5Tget_class(stored.get()) != H5T_STRING || H5Tis_variable_str(stored.get()) <= 0) {
    throw FormatError(describe() + ": is not a dataset of variable-length strings");
  }
  Handle type = string_type();
  std::vector<char*> pointers(element_count(), nullptr);
  if (pointers.empty()) return {};
  if (H5Dread(id(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, pointers.data()) < 0) {
    throw FormatError(describe() + ": cannot read strings");
  }
  std::vector<std::string> values;
  values.reserve(pointers.size());
  for (const char* text : pointers) values.emplace_back(text != nullptr ? text : "");
  Handle space(H5Dget_space(id()), H5Sclose);
  H5Dvlen_reclaim(type.get(), space.get(), H5P_DEFAULT, pointers.data());
  return values;
}

std::size_t Dataset::rows_in(std::size_t values) const {
  const Shape current = shape();
  const hsize_t row_size = current.size() <= 1 ? 1 : product(Shape(current.begin() + 1, current.end()));
  if (row_size == 0 || values % row_size != 0) {
    throw InternalError(describe() + ": appended " + std::to_string(values) +
                        " values, not a whole number of rows of " + std::to_string(row_size));
  }
  return values / row_size;
}

template <typename T>
void Dataset::append(const T* data, std::size_t rows) {
  if (rows == 0) return;
  Shape extent = shape();
  EVOMEM_CHECK(!extent.empty(), describe() + " is a scalar dataset");
  Shape start(extent.size(), 0);
  start[0] = extent[0];
  Shape count = extent;
  count[0] = rows;
  extent[0] += rows;
  if (H5Dset_extent(id(), extent.data()) < 0) {
    throw InputError(describe() + ": cannot extend dataset (was it created extendible?)");
  }
  Handle file_space(H5Dget_space(id()), H5Sclose);
  H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr);
  Handle memory_space(H5Screate_simple(static_cast<int>(count.size()), count.data(), nullptr), H5Sclose);
  if (H5Dwrite(id(), native_type<T>(), memory_space.get(), file_space.get(), H5P_DEFAULT, data) < 0) {
    throw InputError(describe() + ": cannot append rows");
  }
}

// ---- Group ---------------------------------------------------------------------------

bool Group::contains(const std::string& name) const {
  // Check every component so that "a/b/c" does not fail when "a" is missing.
  std::string prefix;
  std::size_t begin = 0;
  while (begin <= name.size()) {
    const std::size_t end = name.find('/', begin);
    prefix += (prefix.empty() ? "" : "/") + name.substr(begin, end - begin);
    if (H5Lexists(id(), prefix.c_str(), H5P_DEFAULT) <= 0) return false;
    if (end == std::string::npos) break;
    begin = end + 1;
  }
  return true;
}

std::vector<std::string> Group::children() const {
  std::vector<std::string> names;
  H5Literate(
      id(), H5_INDEX_NAME, H5_ITER_INC, nullptr,
      [](hid_t, const char* name, const H5L_info_t*, void* output) -> herr_t {
        static_cast<std::vector<std::string>*>(output)->emplace_back(name);
        return 0;
      },
      &names);
  return names;
}

bool Group::is_group(const std::string& name) const {
  if (!contains(name)) return false;
  H5O_info_t info{};
  if (H5Oget_info_by_name(id(), name.c_str(), &info, H5P_DEFAULT) < 0) return false;
  return info.type == H5O_TYPE_GROUP;
}

Group Group::group(const std::string& name) const {
  if (!is_group(name)) {
    throw FormatError(file_name_ + ":" + join_path(object_path_, name) +
                      ": group is missing (not written by evomem, or from another version?)");
  }
  return Group(Handle(H5Gopen2(id(), name.c_str(), H5P_DEFAULT), H5Gclose), file_name_, join_path(object_path_, name));
}

Group Group::create_group(const std::string& name) {
  Handle properties(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  H5Pset_create_intermediate_group(properties.get(), 1);
  Handle handle(H5Gcreate2(id(), name.c_str(), properties.get(), H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
  if (!handle.valid())
    throw InputError(file_name_ + ":" + join_path(object_path_, name) + ": cannot create group (exists already?)");
  return Group(std::move(handle), file_name_, join_path(object_path_, name));
}

Group Group::require_group(const std::string& name) { return contains(name) ? group(name) : create_group(name); }

Dataset Group::dataset(const std::string& name) const {
  const std::string path = join_path(object_path_, name);
  if (!contains(name)) throw FormatError(file_name_ + ":" + path + ": dataset is missing");
  Handle handle(H5Dopen2(id(), name.c_str(), H5P_DEFAULT), H5Dclose);
  if (!handle.valid()) throw FormatError(file_name_ + ":" + path + ": is not a dataset");
  return Dataset(std::move(handle), file_name_, path);
}

void Group::remove(const std::string& name) {
  if (contains(name) && H5Ldelete(id(), name.c_str(), H5P_DEFAULT) < 0) {
    throw InputError(file_name_ + ":" + join_path(object_path_, name) + ": cannot remove");
  }
}

template <typename T>
Dataset Group::write(const std::string& name, const std::vector<T>& data, Shape shape) {
  if (shape.empty()) shape = {data.size()};
  const std::string path = join_path(object_path_, name);
  EVOMEM_CHECK(product(shape) == data.size(), path + ": shape does not match the number of values");
  remove(name);
  Handle space(H5Screate_simple(static_cast<int>(shape.size()), shape.data(), nullptr), H5Sclose);
  Handle link_properties(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  H5Pset_create_intermediate_group(link_properties.get(), 1);
  Handle handle(
      H5Dcreate2(id(), name.c_str(), native_type<T>(), space.get(), link_properties.get(), H5P_DEFAULT, H5P_DEFAULT),
      H5Dclose);
  if (!handle.valid()) throw InputError(file_name_ + ":" + path + ": cannot create dataset");
  if (!data.empty() && H5Dwrite(handle.get(), native_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data()) < 0) {
    throw InputError(file_name_ + ":" + path + ": cannot write dataset");
  }
  return Dataset(std::move(handle), file_name_, path);
}

Dataset Group::write_strings(const std::string& name, const std::vector<std::string>& values) {
  const std::string path = join_path(object_path_, name);
  remove(name);
  Handle type = string_type();
  const Shape shape{values.size()};
  Handle space(H5Screate_simple(1, shape.data(), nullptr), H5Sclose);
  Handle link_properties(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  H5Pset_create_intermediate_group(link_properties.get(), 1);
  Handle handle(
      H5Dcreate2(id(), name.c_str(), type.get(), space.get(), link_properties.get(), H5P_DEFAULT, H5P_DEFAULT),
      H5Dclose);
  if (!handle.valid()) throw InputError(file_name_ + ":" + path + ": cannot create dataset");
  std::vector<const char*> pointers;
  pointers.reserve(values.size());
  for (const auto& value : values) pointers.push_back(value.c_str());
  if (!pointers.empty() && H5Dwrite(handle.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, pointers.data()) < 0) {
    throw InputError(file_name_ + ":" + path + ": cannot write strings");
  }
  return Dataset(std::move(handle), file_name_, path);
}

template <typename T>
Dataset Group::create_extendible(const std::string& name, const Shape& row_shape, hsize_t chunk_rows) {
  const std::string path = join_path(object_path_, name);
  remove(name);
  Shape initial{0};
  Shape maximum{H5S_UNLIMITED};
  Shape chunk{chunk_rows > 0 ? chunk_rows : 1};
  for (hsize_t extent : row_shape) {
    initial.push_back(extent);
    maximum.push_back(extent);
    chunk.push_back(extent > 0 ? extent : 1);
  }
  Handle space(H5Screate_simple(static_cast<int>(initial.size()), initial.data(), maximum.data()), H5Sclose);
  Handle properties(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  H5Pset_chunk(properties.get(), static_cast<int>(chunk.size()), chunk.data());
  Handle link_properties(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  H5Pset_create_intermediate_group(link_properties.get(), 1);
  Handle handle(H5Dcreate2(id(), name.c_str(), native_type<T>(), space.get(), link_properties.get(), properties.get(),
                           H5P_DEFAULT),
                H5Dclose);
  if (!handle.valid()) throw InputError(file_name_ + ":" + path + ": cannot create extendible dataset");
  return Dataset(std::move(handle), file_name_, path);
}

// ---- File ----------------------------------------------------------------------------

File::File(Handle handle, fs::path path) : Group(std::move(handle), path.string(), "/"), path_(std::move(path)) {}

File File::create(const fs::path& path) {
  silence_library_errors();
  Handle handle(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
  if (!handle.valid())
    throw InputError(path.string() + ": cannot create HDF5 file; check that the folder exists and is writable");
  return File(std::move(handle), path);
}

File File::open(const fs::path& path, Mode mode) {
  silence_library_errors();
  if (!fs::exists(path)) throw InputError(path.string() + ": file does not exist; check the path");
  if (H5Fis_hdf5(path.c_str()) <= 0) {
    throw FormatError(path.string() + ": not an HDF5 file (truncated or another format)");
  }
  Handle handle(H5Fopen(path.c_str(), mode == Mode::kReadOnly ? H5F_ACC_RDONLY : H5F_ACC_RDWR, H5P_DEFAULT), H5Fclose);
  if (!handle.valid()) throw FormatError(path.string() + ": cannot open HDF5 file (corrupt or truncated?)");
  return File(std::move(handle), path);
}

File File::create_in_memory(const fs::path& name) {
  silence_library_errors();
  Handle access(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  // Grow in 1 MiB steps; backing_store = 0: nothing is written when the file closes.
  if (!access.valid() || H5Pset_fapl_core(access.get(), std::size_t{1} << 20, 0) < 0) {
    throw InputError(name.string() + ": cannot set up an in-memory HDF5 file");
  }
  Handle handle(H5Fcreate(name.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, access.get()), H5Fclose);
  if (!handle.valid()) throw InputError(name.string() + ": cannot create an in-memory HDF5 file");
  return File(std::move(handle), name);
}

std::vector<char> File::image() {
  flush();
  const ssize_t size = H5Fget_file_image(id(), nullptr, 0);
  std::vector<char> bytes(size > 0 ? static_cast<std::size_t>(size) : 0);
  if (size <= 0 || H5Fget_file_image(id(), bytes.data(), bytes.size()) != size) {
    throw InputError(path_.string() + ": cannot take the image of the HDF5 file");
  }
  return bytes;
}

void write_file_atomically(const fs::path& path, const std::function<void(File& file)>& writer,
                           const AtomicWriteOptions& options) {
  std::vector<char> bytes;
  {
    auto file = File::create_in_memory(path);
    writer(file);
    bytes = file.image();
  }
  core::write_file_atomically(
      path, [&](const fs::path& temporary) { write_bytes(temporary, bytes.data(), bytes.size(), path); }, options);
}

void File::flush() {
  if (H5Fflush(id(), H5F_SCOPE_GLOBAL) < 0) throw InputError(path_.string() + ": cannot flush HDF5 file");
}

#define EVOMEM_H5_INSTANTIATE(T)                                                      \
  template std::vector<T> Dataset::read<T>() const;                                   \
  template void Dataset::append<T>(const T*, std::size_t);                            \
  template Dataset Group::write<T>(const std::string&, const std::vector<T>&, Shape); \
  template Dataset Group::create_extendible<T>(const std::string&, const Shape&, hsize_t);

EVOMEM_H5_INSTANTIATE(double)
EVOMEM_H5_INSTANTIATE(float)
EVOMEM_H5_INSTANTIATE(std::int64_t)
EVOMEM_H5_INSTANTIATE(std::int32_t)
EVOMEM_H5_INSTANTIATE(std::uint64_t)
EVOMEM_H5_INSTANTIATE(std::uint32_t)
EVOMEM_H5_INSTANTIATE(std::uint8_t)
#undef EVOMEM_H5_INSTANTIATE

}  // namespace evomem::core::h5
