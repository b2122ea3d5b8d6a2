#pragma once
// Per-layer numbers of what a policy retained over a set of samples (the table `evomem
// analyze` prints and writes as CSV). Every fraction pools (sample, KV head, token) entries:
// a layer's retained fraction is the kept entries over all entries of that layer, so long
// samples weigh more than short ones, as they do in the cache.

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "report/retention_record.h"

namespace evomem::report {

struct LayerRetentionSummary {
  std::int64_t layer = 0;    // -1: all layers together
  std::int64_t entries = 0;  // (sample, head, token) entries
  double retained = 0.0;     // kept entries / entries
  // Age of a kept entry: tokens processed after it (last position - its position).
  double age_mean = 0.0;
  double age_median = 0.0;
  double preamble_kept = 0.0;                         // over preamble entries; NaN when no sample has a preamble
  double needle_recall = 0.0;                         // over entries of "answer" spans; NaN when no sample has one
  std::array<double, kTokenClassCount> class_kept{};  // NaN for a class with no entry
  std::array<std::int64_t, kTokenClassCount> class_entries{};
};

// One row per layer, then the row of all layers (layer -1). The samples must share the
// backbone's layer and head counts.
std::vector<LayerRetentionSummary> summarize_retention(const std::vector<SampleRetention>& samples);

// The table as CSV with a header line; `policy` fills the first column of every row.
std::string retention_summary_csv(const std::string& policy, const std::vector<LayerRetentionSummary>& rows,
                                  bool with_header = true);
// The table for a terminal.
std::string retention_summary_text(const std::vector<LayerRetentionSummary>& rows);

}  // namespace evomem::report
