#pragma once
// retention.h5, the records `evomem analyze` writes (layout in docs/formats.md): per sample,
// per layer, the [kv_heads, tokens] keep masks at the end of the sample and the update at
// which each token was evicted, the token ids, byte offsets, classes and text, the task's
// spans, and the per-layer summary table; a second policy of `--compare` goes under /compare.

#include <filesystem>
#include <string>
#include <vector>

#include "report/retention_record.h"
#include "report/retention_summary.h"

namespace evomem::report {

// The records of one policy over the analysed samples.
struct RetentionSet {
  std::string policy;
  std::vector<SampleRetention> samples;
  std::vector<LayerRetentionSummary> summary;
};

struct RetentionFile {
  std::string backbone;            // checkpoint folder
  std::string command_line;        // how the file was made
  std::vector<RetentionSet> sets;  // the analysed policy, then the compared one (if any)
};

// Writes atomically (nothing at `path` unless the whole file was written).
void write_retention_file(const std::filesystem::path& path, const RetentionFile& content);
// Reads a file written by write_retention_file; FormatError naming the object on anything else.
RetentionFile read_retention_file(const std::filesystem::path& path);

}  // namespace evomem::report
