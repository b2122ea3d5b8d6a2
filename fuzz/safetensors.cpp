// The safetensors reader (core/safetensors.h): header length, JSON header, dtypes, shapes and
// data offsets, then every tensor converted to float32 and the names in file order.

#include "core/safetensors.h"
#include "fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto path = evomem::fuzz::write_input(data, size, ".safetensors");
  evomem::fuzz::expect_input_errors([&] {
    const evomem::core::SafetensorsFile file(path);
    for (const auto& name : file.names()) {
      const auto& view = file.tensor(name);
      if (view.to_float32().size() != static_cast<std::size_t>(view.element_count())) {
        throw evomem::InternalError("to_float32 and element_count disagree");
      }
    }
  });
  return 0;
}
