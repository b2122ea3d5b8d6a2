#include "report/retention_svg.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "core/error.h"
#include "core/utf8.h"
#include "report/svg_elements.h"

namespace evomem::report {
namespace {

// Matplotlib's viridis at ten evenly spaced points: perceptually uniform and readable in grey
// scale and by colour-blind readers, so "how much is kept" reads the same for everyone.
constexpr std::array<std::array<int, 3>, 10> kViridis{{{68, 1, 84},
                                                       {72, 40, 120},
                                                       {62, 73, 137},
                                                       {49, 104, 142},
                                                       {38, 130, 142},
                                                       {31, 158, 137},
                                                       {53, 183, 121},
                                                       {110, 206, 88},
                                                       {181, 222, 43},
                                                       {253, 231, 37}}};
constexpr const char* kEmptyColour = "#d9d9d9";
// Colour of layer `layer` of `layers` for the curves: viridis without its pale yellow end,
// which would vanish on white.
std::string layer_colour(std::int64_t layer, std::int64_t layers) {
  const double position = layers > 1 ? static_cast<double>(layer) / static_cast<double>(layers - 1) : 0.0;
  return kept_fraction_colour(0.85 * position);
}

std::string heatmap_cell_tooltip(const std::string& row, std::int64_t bin, std::int64_t bins, double kept,
                                 std::int64_t entries) {
  const double begin = static_cast<double>(bin) / static_cast<double>(bins);
  const double end = static_cast<double>(bin + 1) / static_cast<double>(bins);
  std::string text = row + ", relative position " + format_number(begin, 3) + "-" + format_number(end, 3) + ": ";
  if (entries == 0) return text + "no tokens";
  return text + "kept " + format_number(kept, 4) + " of " + std::to_string(entries) + " entries";
}

}  // namespace

std::string markup_escape(std::string_view text) {
  const std::string valid = core::to_valid_utf8(text);
  std::string out;
  out.reserve(valid.size());
  for (std::size_t i = 0; i < valid.size(); ++i) {
    const char c = valid[i];
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 && c != '\t' && c != '\n' && c != '\r') break;
        // U+FFFE and U+FFFF are well-formed UTF-8 but not XML characters.
        if (byte == 0xEF && i + 2 < valid.size() && static_cast<unsigned char>(valid[i + 1]) == 0xBF &&
            (static_cast<unsigned char>(valid[i + 2]) == 0xBE || static_cast<unsigned char>(valid[i + 2]) == 0xBF)) {
          i += 2;
          break;
        }
        out += c;
      }
    }
  }
  return out;
}

std::string format_number(double value, int significant) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::general, significant);
  std::string text(buffer, result.ptr);
  if (text == "-0") text = "0";
  return text;
}

std::string kept_fraction_colour(double value) {
  if (!std::isfinite(value)) return kEmptyColour;
  const double clamped = std::clamp(value, 0.0, 1.0);
  const double scaled = clamped * static_cast<double>(kViridis.size() - 1);
  const auto lower = std::min(static_cast<std::size_t>(scaled), kViridis.size() - 2);
  const double weight = scaled - static_cast<double>(lower);
  char buffer[8];
  int channels[3];
  for (std::size_t c = 0; c < 3; ++c) {
    const double mixed = kViridis[lower][c] * (1.0 - weight) + kViridis[lower + 1][c] * weight;
    channels[c] = static_cast<int>(std::lround(mixed));
  }
  std::snprintf(buffer, sizeof buffer, "#%02x%02x%02x", channels[0], channels[1], channels[2]);
  return buffer;
}

std::string render_retention_heatmap_svg(const RetentionProfile& profile, const std::string& policy_spec) {
  const double left = 64.0;
  const double top = 74.0;
  const double plot_width = 640.0;
  const std::int64_t rows = profile.layers + 1;
  const double cell_width = plot_width / static_cast<double>(std::max<std::int64_t>(profile.bins, 1));
  const double cell_height = std::clamp(360.0 / static_cast<double>(rows), 6.0, 22.0);
  const double gap = 6.0;  // sets the pooled row apart from the layers
  const double plot_height = static_cast<double>(rows) * cell_height + gap;
  const double legend_x = left + plot_width + 28.0;
  const double width = legend_x + 100.0;
  const double height = top + plot_height + 52.0;
  const std::string subtitle = std::to_string(profile.samples) + " sample" + (profile.samples == 1 ? "" : "s") + ", " +
                               std::to_string(profile.bins) + " position bins, mean over KV heads";

  std::string svg = svg_open(width, height);
  svg += text_at(12, 22, "Kept fraction by layer and relative position", "start",
                 "font-size=\"15\" font-weight=\"bold\"");
  // The spec on a line of its own, shortened to the chart's width: a NAMM spec with its file
  // path would otherwise stretch the chart (the page shows every spec in full).
  svg += text_at(12, 40, elide(policy_spec, static_cast<std::size_t>((width - 24.0) / kCharWidth)), "start",
                 "font-family=\"monospace\"");
  svg += text_at(12, 57, subtitle, "start", "fill=\"#555555\"");

  svg += "<g shape-rendering=\"crispEdges\">\n";
  const std::int64_t label_stride = std::max<std::int64_t>(1, (profile.layers + 15) / 16);
  for (std::int64_t row = 0; row < rows; ++row) {
    const bool pooled = row == profile.layers;
    const double y = top + static_cast<double>(row) * cell_height + (pooled ? gap : 0.0);
    const std::string row_name = pooled ? "all layers" : "layer " + std::to_string(row);
    if (pooled || row % label_stride == 0) {
      svg += text_at(left - 6, y + cell_height / 2 + 4, pooled ? "all" : std::to_string(row), "end",
                     cell_height < 10 ? "font-size=\"9\"" : "");
    }
    for (std::int64_t bin = 0; bin < profile.bins; ++bin) {
      const auto b = static_cast<std::size_t>(bin);
      const double kept = pooled ? profile.all_layers_kept[b] : profile.kept[static_cast<std::size_t>(row)][b];
      const std::int64_t entries = pooled ? profile.all_layers_entries[b]
                                          : profile.entries[static_cast<std::size_t>(row)][b];
      svg += rect(left + static_cast<double>(bin) * cell_width, y, cell_width, cell_height,
                  entries > 0 ? kept_fraction_colour(kept) : kEmptyColour, "",
                  heatmap_cell_tooltip(row_name, bin, profile.bins, kept, entries)) +
             "\n";
    }
  }
  svg += "</g>\n";

  const double bottom = top + plot_height;
  for (int tick = 0; tick <= 4; ++tick) {
    const double x = left + plot_width * tick / 4.0;
    svg += line(x, bottom, x, bottom + 5, "#333333");
    svg += text_at(x, bottom + 18, format_number(tick / 4.0), "middle");
  }
  svg += text_at(left + plot_width / 2, bottom + 38, "relative position", "middle");
  svg += vertical_text(18, top + plot_height / 2, "layer");

  // Legend: a stepped colour bar from kept (top) to evicted (bottom), and the empty swatch.
  svg += text_at(legend_x, top - 6, "kept fraction");
  const int steps = 10;
  const double step_height = 14.0;
  for (int step = 0; step < steps; ++step) {
    const double value = 1.0 - (step + 0.5) / steps;
    svg += rect(legend_x, top + step * step_height, 16, step_height, kept_fraction_colour(value)) + "\n";
  }
  svg += text_at(legend_x + 22, top + 9, "1");
  svg += text_at(legend_x + 22, top + steps * step_height / 2 + 4, "0.5");
  svg += text_at(legend_x + 22, top + steps * step_height, "0");
  const double empty_y = top + steps * step_height + 14;
  svg += rect(legend_x, empty_y, 16, 14, kEmptyColour) + "\n";
  svg += text_at(legend_x + 22, empty_y + 11, "no tokens");
  svg += "</svg>\n";
  return svg;
}

std::string render_retention_curves_svg(const std::vector<PolicyProfile>& policies) {
  if (policies.empty()) throw InputError("retention curves: no policy to draw");
  std::size_t longest_spec = 0;
  std::int64_t layers = 0;
  for (const auto& policy : policies) {
    longest_spec = std::max(longest_spec, policy.spec.size());
    layers = std::max(layers, policy.profile.layers);
  }
  const double left = 64.0;
  const double top = 70.0;
  const double panel_width = std::clamp(kCharWidth * static_cast<double>(longest_spec) + 20.0, 400.0, 900.0);
  const double panel_gap = 56.0;
  const double plot_height = 300.0;
  const double legend_x = left + static_cast<double>(policies.size()) * (panel_width + panel_gap) - panel_gap + 28.0;
  const double width = legend_x + 130.0;
  const double height = top + plot_height + 56.0;

  std::string svg = svg_open(width, height);
  svg += text_at(12, 22,
                 policies.size() == 1 ? "Kept fraction by relative position, per layer"
                                      : "Kept fraction by relative position, per layer: policies compared",
                 "start", "font-size=\"15\" font-weight=\"bold\"");

  for (std::size_t p = 0; p < policies.size(); ++p) {
    const RetentionProfile& profile = policies[p].profile;
    const double x0 = left + static_cast<double>(p) * (panel_width + panel_gap);
    const double bottom = top + plot_height;
    const std::string heading = (policies.size() > 1 ? std::string(1, static_cast<char>('A' + p)) + ": " : "") +
                                policies[p].spec;
    svg += text_at(x0, top - 26, heading, "start", "font-weight=\"bold\"");
    svg += text_at(x0, top - 10,
                   std::to_string(profile.samples) + " sample" + (profile.samples == 1 ? "" : "s") + ", " +
                       std::to_string(profile.layers) + " layers",
                   "start", "fill=\"#555555\"");
    svg += rect(x0, top, panel_width, plot_height, "none", "stroke=\"#333333\"") + "\n";
    for (int tick = 0; tick <= 4; ++tick) {
      const double y = bottom - plot_height * tick / 4.0;
      if (tick > 0 && tick < 4) svg += line(x0, y, x0 + panel_width, y, "#e0e0e0");
      svg += line(x0 - 5, y, x0, y, "#333333");
      svg += text_at(x0 - 8, y + 4, format_number(tick / 4.0), "end");
      const double x = x0 + panel_width * tick / 4.0;
      svg += line(x, bottom, x, bottom + 5, "#333333");
      svg += text_at(x, bottom + 18, format_number(tick / 4.0), "middle");
    }
    svg += text_at(x0 + panel_width / 2, bottom + 38, "relative position", "middle");
    svg += vertical_text(x0 - 40, top + plot_height / 2, "kept fraction");

    std::vector<double> xs(static_cast<std::size_t>(profile.bins));
    for (std::int64_t bin = 0; bin < profile.bins; ++bin) {
      xs[static_cast<std::size_t>(bin)] = x0 + panel_width * (static_cast<double>(bin) + 0.5) /
                                                   static_cast<double>(profile.bins);
    }
    auto to_y = [&](const std::vector<double>& kept) {
      std::vector<double> ys(kept.size());
      for (std::size_t i = 0; i < kept.size(); ++i) ys[i] = bottom - plot_height * kept[i];
      return ys;
    };
    const std::string panel_name = policies.size() > 1 ? std::string(1, static_cast<char>('A' + p)) + ", " : "";
    for (std::int64_t layer = 0; layer < profile.layers; ++layer) {
      svg += polyline_segments(xs, to_y(profile.kept[static_cast<std::size_t>(layer)]), layer_colour(layer, layers),
                               1.5, "", panel_name + "layer " + std::to_string(layer));
    }
    svg += polyline_segments(xs, to_y(profile.all_layers_kept), "#000000", 2.5, "stroke-dasharray=\"7 4\"",
                             panel_name + "all layers");
    if (profile.layers == 0) svg += text_at(x0 + panel_width / 2, top + plot_height / 2, "no samples", "middle");
  }

  // Legend: every layer when few; otherwise five evenly spaced layers of the colour run.
  svg += text_at(legend_x, top - 10, "line", "start", "font-weight=\"bold\"");
  std::vector<std::int64_t> shown;
  if (layers <= 12) {
    for (std::int64_t layer = 0; layer < layers; ++layer) shown.push_back(layer);
  } else {
    for (int k = 0; k <= 4; ++k) shown.push_back((layers - 1) * k / 4);
  }
  double y = top + 8;
  for (const std::int64_t layer : shown) {
    svg += line(legend_x, y, legend_x + 24, y, layer_colour(layer, layers), 2.5);
    svg += text_at(legend_x + 30, y + 4, "layer " + std::to_string(layer));
    y += 18;
  }
  if (layers > 12) {
    svg += text_at(legend_x, y + 2, "(colours run", "start", "fill=\"#555555\" font-size=\"11\"");
    svg += text_at(legend_x, y + 16, "through the layers)", "start", "fill=\"#555555\" font-size=\"11\"");
    y += 32;
  }
  svg += line(legend_x, y, legend_x + 24, y, "#000000", 2.5, "stroke-dasharray=\"7 4\"");
  svg += text_at(legend_x + 30, y + 4, "all layers");
  svg += "</svg>\n";
  return svg;
}

std::string render_fitness_svg(const FitnessHistory& history) {
  const std::size_t points = history.generation.size();
  if (history.best.size() != points || history.mean.size() != points || history.median.size() != points) {
    throw InputError("fitness history of '" + history.run + "': " + std::to_string(points) + " generations but " +
                     std::to_string(history.best.size()) + " best, " + std::to_string(history.mean.size()) +
                     " mean and " + std::to_string(history.median.size()) + " median values");
  }
  const double left = 76.0;
  const double top = 58.0;
  const double plot_width = 640.0;
  const double plot_height = 300.0;
  const double legend_x = left + plot_width + 28.0;
  const std::string title = "Fitness by generation: " + history.run;
  const double width = std::max(legend_x + 110.0, 16.0 + text_width(title) * 1.1);
  const double height = top + plot_height + 56.0;

  double y_low = INFINITY;
  double y_high = -INFINITY;
  for (const auto* series : {&history.best, &history.mean, &history.median}) {
    for (const double value : *series) {
      if (!std::isfinite(value)) continue;
      y_low = std::min(y_low, value);
      y_high = std::max(y_high, value);
    }
  }
  if (!std::isfinite(y_low)) {
    y_low = 0.0;
    y_high = 1.0;
  }
  double x_low = points > 0
                     ? static_cast<double>(*std::min_element(history.generation.begin(), history.generation.end()))
                     : 0.0;
  double x_high = points > 0
                      ? static_cast<double>(*std::max_element(history.generation.begin(), history.generation.end()))
                      : 1.0;
  const Ticks y_ticks = nice_ticks(y_low, y_high, 5);
  Ticks x_ticks = nice_ticks(x_low, x_high, 8);
  x_ticks.step = std::max(x_ticks.step, 1.0);  // generations are whole numbers
  x_low = x_ticks.low;
  x_high = x_ticks.high;

  const double bottom = top + plot_height;
  auto to_x = [&](double generation) { return left + plot_width * (generation - x_low) / (x_high - x_low); };
  auto to_y = [&](double value) { return bottom - plot_height * (value - y_ticks.low) / (y_ticks.high - y_ticks.low); };

  std::string svg = svg_open(width, height);
  svg += text_at(12, 22, title, "start", "font-size=\"15\" font-weight=\"bold\"");
  svg += text_at(12, 40, std::to_string(points) + " generation" + (points == 1 ? "" : "s"), "start",
                 "fill=\"#555555\"");
  svg += rect(left, top, plot_width, plot_height, "none", "stroke=\"#333333\"") + "\n";
  // Ticks are counted, not accumulated, so that 0.1 + 0.1 + 0.1 never prints as 0.30000000000000004.
  const auto y_steps = static_cast<int>(std::lround((y_ticks.high - y_ticks.low) / y_ticks.step));
  for (int k = 0; k <= y_steps; ++k) {
    const double value = y_ticks.low + k * y_ticks.step;
    const double y = to_y(value);
    if (k > 0 && k < y_steps) svg += line(left, y, left + plot_width, y, "#e0e0e0");
    svg += line(left - 5, y, left, y, "#333333");
    svg += text_at(left - 8, y + 4, format_number(value, 6), "end");
  }
  const auto x_steps = static_cast<int>(std::lround((x_ticks.high - x_ticks.low) / x_ticks.step));
  for (int k = 0; k <= x_steps; ++k) {
    const double generation = x_ticks.low + k * x_ticks.step;
    const double x = to_x(generation);
    svg += line(x, bottom, x, bottom + 5, "#333333");
    svg += text_at(x, bottom + 18, format_number(generation, 10), "middle");
  }
  svg += text_at(left + plot_width / 2, bottom + 38, "generation", "middle");
  svg += vertical_text(20, top + plot_height / 2, "fitness");

  struct Series {
    const char* name;
    const std::vector<double>* values;
    const char* colour;
    const char* dash;
  };
  const std::array<Series, 3> series{{{"best", &history.best, "#d62728", ""},
                                      {"mean", &history.mean, "#1f77b4", ""},
                                      {"median", &history.median, "#2ca02c", "stroke-dasharray=\"6 3\""}}};
  std::vector<double> xs(points);
  for (std::size_t i = 0; i < points; ++i) xs[i] = to_x(static_cast<double>(history.generation[i]));
  double legend_y = top + 8;
  for (const Series& s : series) {
    std::vector<double> ys(points);
    for (std::size_t i = 0; i < points; ++i) ys[i] = to_y((*s.values)[i]);
    svg += polyline_segments(xs, ys, s.colour, 2.0, s.dash, s.name);
    svg += line(legend_x, legend_y, legend_x + 24, legend_y, s.colour, 2.5, s.dash);
    svg += text_at(legend_x + 30, legend_y + 4, s.name);
    legend_y += 18;
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace evomem::report
