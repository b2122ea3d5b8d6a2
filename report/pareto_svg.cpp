#include "report/pareto_svg.h"

#include <algorithm>
#include <array>

#include "core/error.h"
#include "report/retention_svg.h"
#include "report/svg_elements.h"

namespace evomem::report {
namespace {

// Tableau's ten categorical colours; the policy under test is drawn thicker in the first.
constexpr std::array<const char*, 10> kColours = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                                  "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

std::string marker(double x, double y, const std::string& colour, bool highlight, const std::string& tooltip) {
  if (highlight) {
    // A diamond: the policy under test stands out in grey-scale prints too.
    const double r = 6.0;
    return "<polygon points=\"" + coord(x) + "," + coord(y - r) + " " + coord(x + r) + "," + coord(y) + " " + coord(x) +
           "," + coord(y + r) + " " + coord(x - r) + "," + coord(y) + "\" fill=\"" + colour + "\"><title>" +
           markup_escape(tooltip) + "</title></polygon>\n";
  }
  return "<circle cx=\"" + coord(x) + "\" cy=\"" + coord(y) + "\" r=\"4\" fill=\"" + colour + "\"><title>" +
         markup_escape(tooltip) + "</title></circle>\n";
}

}  // namespace

std::string render_pareto_svg(const std::vector<ParetoSeries>& series, const std::string& title) {
  if (series.empty()) throw InputError("pareto plot: no policies to draw");
  const double left = 70.0;
  const double top = 58.0;
  const double plot_width = 560.0;
  const double plot_height = 360.0;
  const double legend_x = left + plot_width + 24.0;
  double legend_width = 0.0;
  for (const auto& s : series) legend_width = std::max(legend_width, text_width(s.name));
  const double width = std::max(legend_x + legend_width + 40.0, 16.0 + text_width(title) * 1.1);
  const double height = top + plot_height + 56.0;
  const double bottom = top + plot_height;
  // Fixed axes (retained 0..1, score 0..100) so that plots of different runs compare by eye.
  auto to_x = [&](double retained) { return left + plot_width * std::clamp(retained, 0.0, 1.0); };
  auto to_y = [&](double score) { return bottom - plot_height * std::clamp(score, 0.0, 100.0) / 100.0; };

  std::string svg = svg_open(width, height);
  svg += text_at(12, 22, title, "start", "font-size=\"15\" font-weight=\"bold\"");
  svg += text_at(12, 40, "mean score over tasks with 95% bootstrap intervals", "start", "fill=\"#555555\"");
  svg += rect(left, top, plot_width, plot_height, "none", "stroke=\"#333333\"") + "\n";
  for (int k = 0; k <= 10; ++k) {
    const double y = to_y(10.0 * k);
    const double x = to_x(0.1 * k);
    if (k > 0 && k < 10) {
      svg += line(left, y, left + plot_width, y, "#e8e8e8");
      svg += line(x, top, x, bottom, "#e8e8e8");
    }
    svg += line(left - 5, y, left, y, "#333333");
    svg += text_at(left - 8, y + 4, format_number(10.0 * k, 3), "end");
    svg += line(x, bottom, x, bottom + 5, "#333333");
    svg += text_at(x, bottom + 18, format_number(0.1 * k, 2), "middle");
  }
  svg += text_at(left + plot_width / 2, bottom + 38, "retained fraction of the tokens (KV cache kept)", "middle");
  svg += vertical_text(20, top + plot_height / 2, "score (%)");

  double legend_y = top + 8.0;
  for (std::size_t i = 0; i < series.size(); ++i) {
    const ParetoSeries& s = series[i];
    const std::string colour = kColours[i % kColours.size()];
    std::vector<ParetoPoint> points = s.points;
    std::stable_sort(points.begin(), points.end(),
                     [](const ParetoPoint& a, const ParetoPoint& b) { return a.retained < b.retained; });
    std::vector<double> xs;
    std::vector<double> ys;
    for (const auto& point : points) {
      xs.push_back(to_x(point.retained));
      ys.push_back(to_y(point.score));
    }
    if (points.size() > 1) svg += polyline_segments(xs, ys, colour, s.highlight ? 2.5 : 1.5, "", s.name);
    for (std::size_t p = 0; p < points.size(); ++p) {
      svg += line(xs[p], to_y(points[p].low), xs[p], to_y(points[p].high), colour, 1.0, "stroke-opacity=\"0.6\"");
      svg += marker(xs[p], ys[p], colour, s.highlight, points[p].label);
    }
    svg += marker(legend_x + 6, legend_y, colour, s.highlight, s.name);
    svg += text_at(legend_x + 18, legend_y + 4, s.name, "start", s.highlight ? "font-weight=\"bold\"" : "");
    legend_y += 18.0;
  }
  return svg + "</svg>\n";
}

}  // namespace evomem::report
