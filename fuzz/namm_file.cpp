// NAMM weight files (memory/namm_file.h). The input is read as namm.safetensors; when it is a
// valid safetensors file, its content is also written as a NAMM HDF5 file (metadata -> root
// string attributes, tensors -> /genome datasets of their shape, floating or integer) and read
// back. Raw bytes are not fed to libhdf5: its parser is not hardened against corrupt files
// (docs/layout.md, "Fuzzing"). Weights that load become a policy.

#include <algorithm>

#include "core/hdf5.h"
#include "core/safetensors.h"
#include "fuzz/fuzz_support.h"
#include "memory/namm_file.h"
#include "memory/namm_policy.h"
#include "model/threads.h"

namespace {

void load(const std::filesystem::path& path) {
  evomem::fuzz::expect_input_errors([&] { evomem::memory::make_namm_policy(evomem::memory::load_namm(path))->spec(); });
}

// The safetensors file's content as an HDF5 file; names HDF5 cannot hold are left out.
std::filesystem::path as_hdf5(const evomem::core::SafetensorsFile& file) {
  using evomem::core::DType;
  const auto path = evomem::fuzz::scratch_path("input.h5");
  auto h5 = evomem::core::h5::File::create(path);
  for (const auto& [key, value] : file.metadata()) {
    if (!key.empty() && key.find('\0') == std::string::npos) h5.set_attribute(key, value);
  }
  auto genome = h5.create_group("genome");
  for (const auto& name : file.names()) {
    if (name.empty() || name == "." || name.find_first_of(std::string("/\0", 2)) != std::string::npos) continue;
    const auto& view = file.tensor(name);
    const evomem::core::h5::Shape shape(view.shape.begin(), view.shape.end());
    const auto values = view.to_float32();
    if (view.dtype == DType::kF32 || view.dtype == DType::kF16 || view.dtype == DType::kBF16) {
      genome.write<float>(name, values, shape);
    } else if (view.dtype == DType::kF64) {
      genome.write<double>(name, std::vector<double>(values.begin(), values.end()), shape);
    } else {
      std::vector<std::int64_t> integers;
      for (const float value : values) integers.push_back(static_cast<std::int64_t>(std::clamp(value, -1e18f, 1e18f)));
      genome.write<std::int64_t>(name, integers, shape);
    }
  }
  h5.flush();
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  evomem::model::apply_threads(1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto path = evomem::fuzz::write_input(data, size, ".safetensors");
  load(path);
  std::filesystem::path hdf5;
  try {
    hdf5 = as_hdf5(evomem::core::SafetensorsFile(path));
  } catch (const evomem::InputError&) {
    return 0;
  }
  load(hdf5);
  return 0;
}
