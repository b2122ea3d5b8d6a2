#pragma once
// The plot readers of a KV-cache comparison look for: mean score against retained fraction,
// one series per policy over its cache budgets, each point with its 95% interval.

#include <string>
#include <vector>

namespace evomem::report {

struct ParetoPoint {
  double retained = 0.0;  // fraction of the tokens kept, 0..1
  double score = 0.0;     // percent
  double low = 0.0;       // interval, percent
  double high = 0.0;
  std::string label;  // tooltip, e.g. "h2o matched: 45.8 [38.0, 53.6] at 0.513"
};

struct ParetoSeries {
  std::string name;
  std::vector<ParetoPoint> points;  // drawn joined in order of retained fraction
  bool highlight = false;           // the policy under test
};

// Deterministic SVG 1.1 (see retention_svg.h). InputError for no series.
std::string render_pareto_svg(const std::vector<ParetoSeries>& series, const std::string& title);

}  // namespace evomem::report
