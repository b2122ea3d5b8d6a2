#include "report/svg_elements.h"

#include <charconv>
#include <cmath>

#include "report/retention_svg.h"

namespace evomem::report {
namespace {

constexpr const char* kFont = "font-family=\"sans-serif\"";

}  // namespace

std::string coord(double value) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::fixed, 2);
  std::string text(buffer, result.ptr);
  if (text.find('.') != std::string::npos) {
    while (text.back() == '0') text.pop_back();
    if (text.back() == '.') text.pop_back();
  }
  if (text == "-0") text = "0";
  return text;
}

std::string svg_open(double width, double height) {
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"" + coord(width) + "\" height=\"" +
         coord(height) + "\" viewBox=\"0 0 " + coord(width) + " " + coord(height) + "\" " + kFont +
         " font-size=\"12\">\n<rect x=\"0\" y=\"0\" width=\"" + coord(width) + "\" height=\"" + coord(height) +
         "\" fill=\"#ffffff\"/>\n";
}

std::string text_at(double x, double y, std::string_view content, const char* anchor, const std::string& extra) {
  return "<text x=\"" + coord(x) + "\" y=\"" + coord(y) + "\" text-anchor=\"" + anchor + "\"" +
         (extra.empty() ? "" : " " + extra) + ">" + markup_escape(content) + "</text>\n";
}

std::string vertical_text(double x, double y, std::string_view content) {
  return "<text transform=\"translate(" + coord(x) + "," + coord(y) + ") rotate(-90)\" text-anchor=\"middle\">" +
         markup_escape(content) + "</text>\n";
}

std::string line(double x1, double y1, double x2, double y2, const std::string& stroke, double width,
                 const std::string& extra) {
  return "<line x1=\"" + coord(x1) + "\" y1=\"" + coord(y1) + "\" x2=\"" + coord(x2) + "\" y2=\"" + coord(y2) +
         "\" stroke=\"" + stroke + "\" stroke-width=\"" + coord(width) + "\"" + (extra.empty() ? "" : " " + extra) +
         "/>\n";
}

std::string rect(double x, double y, double width, double height, const std::string& fill, const std::string& extra,
                 const std::string& tooltip) {
  std::string out = "<rect x=\"" + coord(x) + "\" y=\"" + coord(y) + "\" width=\"" + coord(width) + "\" height=\"" +
                    coord(height) + "\" fill=\"" + fill + "\"" + (extra.empty() ? "" : " " + extra);
  if (tooltip.empty()) return out + "/>";
  return out + "><title>" + markup_escape(tooltip) + "</title></rect>";
}

double text_width(std::string_view text) { return kCharWidth * static_cast<double>(text.size()); }

std::string elide(const std::string& text, std::size_t max_bytes) {
  if (text.size() <= max_bytes || max_bytes < 4) return text;
  std::size_t cut = max_bytes - 3;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut) + "...";
}

std::string polyline_segments(const std::vector<double>& xs, const std::vector<double>& ys, const std::string& stroke,
                              double width, const std::string& extra, const std::string& tooltip) {
  const std::string title = "<title>" + markup_escape(tooltip) + "</title>";
  std::string out;
  std::vector<std::size_t> segment;
  auto flush = [&] {
    if (segment.size() == 1) {
      // A lone point has no segment to draw; a dot keeps it visible.
      out += "<circle cx=\"" + coord(xs[segment[0]]) + "\" cy=\"" + coord(ys[segment[0]]) + "\" r=\"" +
             coord(width + 0.5) + "\" fill=\"" + stroke + "\">" + title + "</circle>\n";
    } else if (segment.size() > 1) {
      std::string points;
      for (const std::size_t i : segment) points += (points.empty() ? "" : " ") + coord(xs[i]) + "," + coord(ys[i]);
      out += "<polyline fill=\"none\" stroke=\"" + stroke + "\" stroke-width=\"" + coord(width) +
             "\" stroke-linejoin=\"round\"" + (extra.empty() ? "" : " " + extra) + " points=\"" + points + "\">" +
             title + "</polyline>\n";
    }
    segment.clear();
  };
  for (std::size_t i = 0; i < xs.size(); ++i) {
    if (std::isfinite(xs[i]) && std::isfinite(ys[i])) {
      segment.push_back(i);
    } else {
      flush();
    }
  }
  flush();
  return out;
}

Ticks nice_ticks(double low, double high, int target) {
  if (!(high > low)) {
    const double pad = std::abs(low) > 0 ? std::abs(low) * 0.1 : 1.0;
    low -= pad;
    high += pad;
  }
  const double raw = (high - low) / target;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = magnitude * 10;
  for (const double factor : {1.0, 2.0, 5.0, 10.0}) {
    if (raw <= factor * magnitude) {
      step = factor * magnitude;
      break;
    }
  }
  return {std::floor(low / step) * step, std::ceil(high / step) * step, step};
}

}  // namespace evomem::report
