#pragma once
// The `evomem analyze` report: one self-contained HTML page (inline CSS, inline vanilla JS,
// data embedded as JSON; it loads nothing from the network) that shows what one memory
// policy retained, or compares two: the per-layer summary table, the layer x position
// heatmap, per-layer curves, optionally the fitness history of the run the policy came from,
// and the sample text shaded token by token by how many heads and layers kept it.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "report/retention_profile.h"
#include "report/retention_record.h"
#include "report/retention_summary.h"
#include "report/retention_svg.h"

namespace evomem::report {

struct ReportPolicy {
  std::string spec;                                       // canonical policy spec
  const std::vector<SampleRetention>* samples = nullptr;  // not owned; must outlive the call
  std::vector<LayerRetentionSummary> summary;             // summarize_retention(*samples)
};

struct ReportInput {
  std::string title;
  std::string backbone;                // a label: checkpoint path or "built-in"
  std::vector<ReportPolicy> policies;  // one, or two to compare
  std::optional<FitnessHistory> fitness;
  std::int64_t bins = kDefaultProfileBins;  // relative-position bins of the heatmap and curves
};

// The page. Deterministic: the same input gives the same bytes. Throws InputError for other
// than one or two policies, a policy whose samples pointer is null, or records that disagree
// on their sizes.
std::string render_retention_report(const ReportInput& input);

// The page's charts as standalone SVG files, as (file name, content) pairs: heatmap.svg (or
// heatmap_a.svg and heatmap_b.svg when comparing), curves.svg, and fitness.svg when the
// input has a fitness history.
std::vector<std::pair<std::string, std::string>> render_retention_report_svgs(const ReportInput& input);

}  // namespace evomem::report
