#include "report/retention_report.h"

#include <charconv>
#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/utf8.h"
#include "report/report_assets.h"

namespace evomem::report {
namespace {

// Above this many KV heads a head set no longer fits the 32-bit integers JavaScript's bit
// operators work on; the page then gets counts only and its tooltips say how many, not which.
constexpr std::int64_t kMaxHeadBits = 30;

std::string policy_letter(std::size_t index) { return std::string(1, static_cast<char>('A' + index)); }

void check_input(const ReportInput& input) {
  if (input.policies.empty() || input.policies.size() > 2) {
    throw InputError("retention report: needs one policy, or two to compare, got " +
                     std::to_string(input.policies.size()));
  }
  for (const ReportPolicy& policy : input.policies) {
    if (policy.samples == nullptr) {
      throw InputError("retention report: policy '" + policy.spec + "' comes without its samples");
    }
  }
}

// A cell of the summary table: `decimals` fixed decimals, "–" for not applicable (NaN).
// std::to_chars, not printf: the page must read the same whatever locale evomem runs in.
std::string table_number(double value, int decimals) {
  if (!std::isfinite(value)) return "\xE2\x80\x93";
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::fixed, decimals);
  return std::string(buffer, result.ptr);
}

// Each token's text as the page shows it. Byte-level tokenizers split multi-byte characters
// across tokens, so a token's own bytes can be ill-formed UTF-8; cutting `text` at character
// boundaries instead gives each character to the token where it starts and shows the text
// exactly once. Falls back to token_texts when the offsets do not describe `text`.
std::vector<std::string> display_token_texts(const SampleRetention& sample) {
  const auto tokens = static_cast<std::size_t>(sample.tokens());
  const auto text_size = static_cast<std::int64_t>(sample.text.size());
  bool offsets_usable = sample.char_begin.size() == tokens && sample.char_end.size() == tokens;
  for (std::size_t t = 0; offsets_usable && t < tokens; ++t) {
    offsets_usable = sample.char_begin[t] >= 0 && sample.char_begin[t] <= sample.char_end[t] &&
                     sample.char_end[t] <= text_size;
  }
  std::vector<std::string> texts(tokens);
  if (!offsets_usable) {
    for (std::size_t t = 0; t < tokens && t < sample.token_texts.size(); ++t) {
      texts[t] = core::to_valid_utf8(sample.token_texts[t]);
    }
    return texts;
  }
  auto boundary = [&](std::int64_t offset) {
    // At most three continuation bytes follow a lead byte; stop there on ill-formed input.
    for (int step = 0; step < 3 && offset < text_size; ++step) {
      if ((static_cast<unsigned char>(sample.text[static_cast<std::size_t>(offset)]) & 0xC0) != 0x80) break;
      ++offset;
    }
    return offset;
  };
  for (std::size_t t = 0; t < tokens; ++t) {
    const std::int64_t begin = boundary(sample.char_begin[t]);
    const std::int64_t end = std::max(begin, boundary(sample.char_end[t]));
    texts[t] = core::to_valid_utf8(
        std::string_view(sample.text).substr(static_cast<std::size_t>(begin), static_cast<std::size_t>(end - begin)));
  }
  return texts;
}

// What the text view needs of a sample, compactly: per layer and token one integer, the set
// of KV heads that kept it as bits (or their count beyond kMaxHeadBits heads).
// The sample's sizes must have been checked (retention_profile does).
nlohmann::json sample_json(const SampleRetention& sample, bool head_bits) {
  const auto tokens = static_cast<std::size_t>(sample.tokens());
  nlohmann::json heads = nlohmann::json::array();
  for (std::int64_t layer = 0; layer < sample.layers; ++layer) {
    std::vector<std::int64_t> row(tokens, 0);
    const auto& evicted = sample.evicted_at[static_cast<std::size_t>(layer)];
    for (std::size_t head = 0; head < static_cast<std::size_t>(sample.kv_heads); ++head) {
      for (std::size_t token = 0; token < tokens; ++token) {
        if (evicted[head * tokens + token] != kNeverEvicted) continue;
        row[token] += head_bits ? (std::int64_t{1} << head) : 1;
      }
    }
    heads.push_back(std::move(row));
  }
  std::vector<int> classes(tokens, static_cast<int>(TokenClass::kOther));
  for (std::size_t t = 0; t < tokens && t < sample.token_classes.size(); ++t) {
    classes[t] = static_cast<int>(sample.token_classes[t]);
  }
  nlohmann::json spans = nlohmann::json::array();
  for (const TokenSpan& span : sample.spans) {
    spans.push_back({{"kind", span.kind}, {"begin", span.token_begin}, {"end", span.token_end}});
  }
  return {{"id", sample.id},
          {"task", sample.task},
          {"score", std::isfinite(sample.score) ? nlohmann::json(sample.score) : nlohmann::json()},
          {"prediction", sample.prediction},
          {"prompt_tokens", sample.prompt_tokens},
          {"preamble_end", sample.preamble_end},
          {"text", display_token_texts(sample)},
          {"ids", sample.token_ids},
          {"classes", classes},
          {"spans", spans},
          {"heads", heads}};
}

// The data for the page's script. `<`, `>` and `&` become \u escapes, which JSON.parse reads
// back unchanged, so no user text (`</script>`, `<!--`) can end the script element early.
std::string embedded_json(const ReportInput& input) {
  nlohmann::json class_names = nlohmann::json::array();
  for (int c = 0; c < kTokenClassCount; ++c) class_names.push_back(token_class_name(static_cast<TokenClass>(c)));
  nlohmann::json policies = nlohmann::json::array();
  for (const ReportPolicy& policy : input.policies) {
    const auto& samples = *policy.samples;
    const std::int64_t layers = samples.empty() ? 0 : samples.front().layers;
    const std::int64_t kv_heads = samples.empty() ? 0 : samples.front().kv_heads;
    const bool head_bits = kv_heads <= kMaxHeadBits;
    nlohmann::json sample_list = nlohmann::json::array();
    for (const SampleRetention& sample : samples) sample_list.push_back(sample_json(sample, head_bits));
    policies.push_back({{"spec", policy.spec},
                        {"layers", layers},
                        {"kv_heads", kv_heads},
                        {"head_bits", head_bits},
                        {"samples", std::move(sample_list)}});
  }
  const nlohmann::json data = {{"class_names", class_names}, {"policies", policies}};
  const std::string dumped = data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string escaped;
  escaped.reserve(dumped.size());
  for (const char c : dumped) {
    switch (c) {
      case '<': escaped += "\\u003c"; break;
      case '>': escaped += "\\u003e"; break;
      case '&': escaped += "\\u0026"; break;
      default: escaped += c;
    }
  }
  return escaped;
}

std::string summary_table(const ReportPolicy& policy) {
  std::string html = "<table class=\"summary\">\n<thead><tr><th>layer</th><th>entries</th><th>retained</th>"
                     "<th>age mean</th><th>age median</th><th>preamble kept</th><th>needle recall</th>";
  for (int c = 0; c < kTokenClassCount; ++c) {
    html += std::string("<th>") + markup_escape(token_class_name(static_cast<TokenClass>(c))) + " kept</th>";
  }
  html += "</tr></thead>\n<tbody>\n";
  for (const LayerRetentionSummary& row : policy.summary) {
    html += row.layer < 0 ? "<tr class=\"all\"><td>all</td>" : "<tr><td>" + std::to_string(row.layer) + "</td>";
    html += "<td>" + std::to_string(row.entries) + "</td><td>" + table_number(row.retained, 3) + "</td><td>" +
            table_number(row.age_mean, 1) + "</td><td>" + table_number(row.age_median, 1) + "</td><td>" +
            table_number(row.preamble_kept, 3) + "</td><td>" + table_number(row.needle_recall, 3) + "</td>";
    for (int c = 0; c < kTokenClassCount; ++c) {
      html += "<td>" + table_number(row.class_kept[static_cast<std::size_t>(c)], 3) + "</td>";
    }
    html += "</tr>\n";
  }
  if (policy.summary.empty()) html += "<tr><td colspan=\"13\">no rows</td></tr>\n";
  html += "</tbody></table>\n";
  return html;
}

std::string text_view_legend() {
  std::string html = "<div class=\"legend\"><span>kept by heads:</span>";
  for (int step = 0; step <= 4; ++step) {
    const double value = step / 4.0;
    const auto channel = [&](int full) { return static_cast<int>(std::lround(255 + (full - 255) * value)); };
    char colour[32];
    std::snprintf(colour, sizeof colour, "rgb(%d,%d,%d)", channel(43), channel(140), channel(190));
    html += std::string("<span><span class=\"swatch\" style=\"background:") + colour + "\"></span> " +
            format_number(value) + "</span>";
  }
  html += "<span><span class=\"tok pre\">preamble</span> (before the context)</span>"
          "<span><span class=\"tok gen\">generated</span></span>"
          "<span><span class=\"tok evicted\">grey text</span>: evicted by every head</span>"
          "<span id=\"text-spans\"></span></div>\n";
  return html;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> render_retention_report_svgs(const ReportInput& input) {
  check_input(input);
  std::vector<std::pair<std::string, std::string>> files;
  std::vector<PolicyProfile> profiles;
  for (const ReportPolicy& policy : input.policies) {
    profiles.push_back({policy.spec, retention_profile(*policy.samples, input.bins)});
  }
  for (std::size_t p = 0; p < profiles.size(); ++p) {
    const std::string name = profiles.size() == 1 ? "heatmap.svg"
                                                  : "heatmap_" + std::string(1, static_cast<char>('a' + p)) + ".svg";
    files.emplace_back(name, render_retention_heatmap_svg(profiles[p].profile, profiles[p].spec));
  }
  files.emplace_back("curves.svg", render_retention_curves_svg(profiles));
  if (input.fitness) files.emplace_back("fitness.svg", render_fitness_svg(*input.fitness));
  return files;
}

std::string render_retention_report(const ReportInput& input) {
  check_input(input);
  const bool comparing = input.policies.size() == 2;
  std::vector<PolicyProfile> profiles;
  for (const ReportPolicy& policy : input.policies) {
    profiles.push_back({policy.spec, retention_profile(*policy.samples, input.bins)});
  }

  std::string html = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" +
                     markup_escape(input.title) + "</title>\n<style>" + report_style() + "</style>\n<script>" +
                     report_error_recorder() + "</script>\n</head>\n<body>\n";
  html += "<header>\n<h1>" + markup_escape(input.title) + "</h1>\n";
  html += "<p class=\"meta\">backbone: <code>" + markup_escape(input.backbone) + "</code></p>\n";
  for (std::size_t p = 0; p < input.policies.size(); ++p) {
    const auto& samples = *input.policies[p].samples;
    double score_sum = 0.0;
    for (const SampleRetention& sample : samples) score_sum += sample.score;
    html += "<p class=\"meta\">" + std::string(comparing ? "policy " + policy_letter(p) : "policy") + ": <code>" +
            markup_escape(input.policies[p].spec) + "</code> \xC2\xB7 " + std::to_string(samples.size()) + " sample" +
            (samples.size() == 1 ? "" : "s");
    if (!samples.empty()) {
      html += " \xC2\xB7 mean score " + table_number(score_sum / static_cast<double>(samples.size()), 3);
    }
    html += "</p>\n";
  }
  html += "</header>\n";

  html += "<section id=\"summary\">\n<h2>Per-layer summary</h2>\n"
          "<p class=\"meta\">Fractions pool (sample, KV head, token) entries; age is the tokens processed after a "
          "kept token; \xE2\x80\x93 means not applicable.</p>\n";
  for (std::size_t p = 0; p < input.policies.size(); ++p) {
    if (comparing) {
      html += "<h3>" + policy_letter(p) + ": <code>" + markup_escape(input.policies[p].spec) + "</code></h3>\n";
    }
    html += summary_table(input.policies[p]);
  }
  html += "</section>\n";

  html += "<section>\n<h2>Layer \xC3\x97 position</h2>\n<div id=\"heatmap\" class=\"panels\">\n";
  for (std::size_t p = 0; p < profiles.size(); ++p) {
    html += "<figure id=\"heatmap-" + std::string(1, static_cast<char>('a' + p)) + "\">";
    if (comparing) html += "<figcaption>" + policy_letter(p) + "</figcaption>";
    html += render_retention_heatmap_svg(profiles[p].profile, profiles[p].spec) + "</figure>\n";
  }
  html += "</div>\n</section>\n";

  html += "<section>\n<h2>Per-layer curves</h2>\n<div id=\"curves\">\n" + render_retention_curves_svg(profiles) +
          "</div>\n</section>\n";

  if (input.fitness) {
    html += "<section>\n<h2>Fitness history</h2>\n<div id=\"fitness\">\n" + render_fitness_svg(*input.fitness) +
            "</div>\n</section>\n";
  }

  html += "<section id=\"text-view\">\n<h2>Text view</h2>\n<div class=\"controls\">\n";
  if (comparing) html += "<label>policy <select id=\"text-policy\"></select></label>\n";
  html += "<label>sample <select id=\"text-sample\"></select></label>\n"
          "<label>shading <select id=\"text-layer\"></select></label>\n</div>\n";
  html += text_view_legend();
  html += "<p id=\"text-meta\" class=\"meta\"></p>\n<div id=\"text-tokens\" class=\"tokens\"></div>\n</section>\n";
  html += "<pre id=\"page-errors\" hidden></pre>\n";
  html += "<script type=\"application/json\" id=\"report-data\">" + embedded_json(input) + "</script>\n";
  html += std::string("<script>") + report_text_view() + "</script>\n</body>\n</html>\n";
  return html;
}

}  // namespace evomem::report
