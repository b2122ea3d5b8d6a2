#include "core/provenance.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <vector>

#include "core/error.h"
#include "core/files.h"
#include "core/version.h"

namespace evomem::core {
namespace {

std::string& recorded_command_line() {
  static std::string text;
  return text;
}

// FNV-1a over 8-byte words (then the tail bytes): one multiply per word, so a 16 GB
// checkpoint is read at memory speed rather than byte by byte.
class Checksum {
 public:
  void add(const unsigned char* data, std::size_t size) {
    std::size_t i = 0;
    for (; i + 8 <= size; i += 8) {
      std::uint64_t word;
      std::memcpy(&word, data + i, 8);
      mix(word);
    }
    for (; i < size; ++i) mix(data[i]);
    mix(size);
  }
  void add(const std::string& text) { add(reinterpret_cast<const unsigned char*>(text.data()), text.size()); }
  std::string hex() const {
    char text[17];
    std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(hash_));
    return text;
  }

 private:
  void mix(std::uint64_t value) {
    hash_ ^= value;
    hash_ *= 0x100000001b3ULL;
  }
  std::uint64_t hash_ = 0xcbf29ce484222325ULL;
};

}  // namespace

void set_command_line(int argc, char** argv) {
  std::string text;
  for (int i = 0; i < argc; ++i) {
    if (i > 0) text += ' ';
    const std::string argument = argv[i];
    const bool plain = !argument.empty() && argument.find_first_of(" \t\n'\"\\$`") == std::string::npos;
    text += plain ? argument : "'" + argument + "'";
  }
  recorded_command_line() = text;
}

const std::string& command_line() { return recorded_command_line(); }

std::string version_text() { return std::string(kVersion) + " (commit " + kCommit + ")"; }

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm parts{};
  gmtime_r(&now, &parts);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return text;
}

Provenance current_provenance() {
  return {{"evomem_version", version_text()}, {"command_line", command_line()}, {"created", utc_now()}};
}

std::string backbone_checksum(const std::filesystem::path& folder) {
  std::vector<std::filesystem::path> files;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(folder, error)) {
    const auto name = entry.path().filename().string();
    if (name == "config.json" || entry.path().extension() == ".safetensors") files.push_back(entry.path());
  }
  if (error) throw InputError(folder.string() + ": cannot list the backbone folder (" + error.message() + ")");
  std::sort(files.begin(), files.end());
  Checksum checksum;
  for (const auto& file : files) {
    checksum.add(file.filename().string());
    const MappedFile mapped(file);
    checksum.add(mapped.data(), mapped.size());
  }
  return checksum.hex();
}

}  // namespace evomem::core
