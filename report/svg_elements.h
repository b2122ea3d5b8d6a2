#pragma once
// SVG building blocks shared by the report's charts (retention_svg, pareto_svg): elements
// with deterministic number formatting (no locale, at most two decimals) and round axis ticks.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace evomem::report {

// Rough width of a 12px sans-serif character, for layout.
constexpr double kCharWidth = 7.0;

// A coordinate with at most two decimals and no trailing zeros.
std::string coord(double value);
// The <svg> element of a width x height document with a white background (left open).
std::string svg_open(double width, double height);
// `anchor` is start, middle or end; `extra` goes verbatim into the element (attributes).
std::string text_at(double x, double y, std::string_view content, const char* anchor = "start",
                    const std::string& extra = "");
// Text rotated to read bottom-up (a y-axis label), centred on (x, y).
std::string vertical_text(double x, double y, std::string_view content);
std::string line(double x1, double y1, double x2, double y2, const std::string& stroke, double width = 1.0,
                 const std::string& extra = "");
std::string rect(double x, double y, double width, double height, const std::string& fill,
                 const std::string& extra = "", const std::string& tooltip = "");
// Rough width of `text` in 12px sans-serif, for layout.
double text_width(std::string_view text);
// `text` cut to at most `max_bytes` bytes with "..." at the end, on a UTF-8 character boundary.
std::string elide(const std::string& text, std::size_t max_bytes);
// A line through finite points; non-finite values split it, so a gap shows as a gap.
std::string polyline_segments(const std::vector<double>& xs, const std::vector<double>& ys, const std::string& stroke,
                              double width, const std::string& extra, const std::string& tooltip);

// Round tick steps (1, 2, 5 x 10^k) giving about `target` intervals over [low, high].
struct Ticks {
  double low = 0.0;  // axis range, widened to whole steps
  double high = 1.0;
  double step = 0.25;
};
Ticks nice_ticks(double low, double high, int target);

}  // namespace evomem::report
