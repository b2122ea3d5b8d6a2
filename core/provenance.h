#pragma once
// Where a result came from: the evomem build, the command, the time and the backbone. Run
// files and exported NAMMs carry it, so a number can be traced to what produced it and a NAMM
// used with another backbone than it was evolved on can be noticed.

#include <filesystem>
#include <map>
#include <string>

namespace evomem::core {

// Named texts: evomem_version, command_line, created, and what the writer adds (backbone,
// backbone_checksum, source_run, ...). Kept sorted so files are written the same every time.
using Provenance = std::map<std::string, std::string>;

// evomem_version, command_line and created, for a file written now.
Provenance current_provenance();

// Recorded by main() once; "" until then.
void set_command_line(int argc, char** argv);
const std::string& command_line();

// "0.1.0 (commit 1a2b3c4d5e6f)".
std::string version_text();
// The current UTC time, ISO 8601 ("2026-12-03T21:59:00Z").
std::string utc_now();

// A 64-bit checksum (16 hex digits) of a checkpoint folder's config.json and *.safetensors
// files, names and contents, in name order: the same for a copy of the folder anywhere, and
// different as soon as one weight changes. InputError when the folder cannot be read.
std::string backbone_checksum(const std::filesystem::path& folder);

}  // namespace evomem::core
