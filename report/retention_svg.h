#pragma once
// The report's charts as standalone SVG 1.1 documents: the layer x position heatmap, the
// per-layer kept-fraction curves and the fitness history. The output is deterministic (no
// clocks, no locale: numbers go through std::to_chars) and carries no element ids, so the
// same string can be written to a .svg file or inlined into the HTML page, twice if need be.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "report/retention_profile.h"

namespace evomem::report {

// Per-generation fitness of one evolution run (the run file's /history), as the report draws it.
struct FitnessHistory {
  std::string run;  // a label, e.g. the run file's path
  std::vector<std::int64_t> generation;
  std::vector<double> best;
  std::vector<double> mean;
  std::vector<double> median;
};

// Rows are layers (layer 0 on top, then a row of all layers pooled), columns are
// relative-position bins, colour is the kept fraction; empty bins are grey. The title names
// `policy_spec`.
std::string render_retention_heatmap_svg(const RetentionProfile& profile, const std::string& policy_spec);

// Kept fraction against relative position, one line per layer plus the pooled line, one
// panel per policy (side by side, same axes) with a shared legend. Throws InputError for no
// policies.
std::string render_retention_curves_svg(const std::vector<PolicyProfile>& policies);

// Best, mean and median fitness against generation. Throws InputError when the series and
// the generations differ in length. Non-finite values leave gaps.
std::string render_fitness_svg(const FitnessHistory& history);

// Markup helpers the HTML report shares with the charts.
// `text` with & < > " ' escaped for XML/HTML text and attribute values; ill-formed UTF-8
// becomes U+FFFD and control characters XML 1.0 forbids are dropped, so that any user text
// yields a document that parses.
std::string markup_escape(std::string_view text);
// %g-style formatting with `significant` digits that no locale changes (std::to_chars);
// "nan" / "inf" / "-inf" for non-finite values.
std::string format_number(double value, int significant = 4);
// #rrggbb of the kept-fraction colour scale (viridis) at `value` in [0, 1] (clamped).
std::string kept_fraction_colour(double value);

}  // namespace evomem::report
