#pragma once
// What the fuzz targets share: the input as a file (for readers that take a path) and the one
// outcome of bad input that is not a finding, an InputError (FormatError, ConfigError) with a
// message. Any other exception (std::out_of_range, std::bad_alloc, nlohmann::json's, an
// InternalError) escapes LLVMFuzzerTestOneInput and libFuzzer reports it as a crash.

#include <unistd.h>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/error.h"

namespace evomem::fuzz {

// `name` in this process's scratch folder (removed when the process exits normally).
inline std::filesystem::path scratch_path(const std::string& name) {
  struct Folder {
    std::filesystem::path path = std::filesystem::temp_directory_path() / ("evomem-fuzz-" + std::to_string(::getpid()));
    Folder() { std::filesystem::create_directories(path); }
    ~Folder() {
      std::error_code ignored;
      std::filesystem::remove_all(path, ignored);
    }
  };
  static const Folder folder;
  return folder.path / name;
}

// Writes the input to the scratch file "input<extension>" (the same path on every call).
inline std::filesystem::path write_input(const std::uint8_t* data, std::size_t size, const std::string& extension) {
  const auto path = scratch_path("input" + extension);
  std::ofstream stream(path, std::ios::binary | std::ios::trunc);
  stream.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  if (!stream.flush()) throw InternalError("fuzz: cannot write " + path.string());
  return path;
}

inline std::string input_text(const std::uint8_t* data, std::size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

// Runs `body`; an InputError is the expected answer to most inputs.
template <typename Body>
void expect_input_errors(Body&& body) {
  try {
    body();
  } catch (const InputError&) {
  }
}

}  // namespace evomem::fuzz
