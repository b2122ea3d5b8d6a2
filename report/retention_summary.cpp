#include "report/retention_summary.h"

#include <cmath>
#include <cstdio>
#include <limits>

#include "core/error.h"

namespace evomem::report {
namespace {

constexpr double kNotApplicable = std::numeric_limits<double>::quiet_NaN();

// Counts of one row, pooled over samples; ages as a histogram so the median is exact.
struct Tally {
  std::int64_t entries = 0, kept = 0;
  std::int64_t preamble = 0, preamble_kept = 0;
  std::int64_t answer = 0, answer_kept = 0;
  std::array<std::int64_t, kTokenClassCount> class_entries{}, class_kept{};
  std::vector<std::int64_t> age_counts;
  double age_sum = 0.0;

  void add(const Tally& other) {
    entries += other.entries;
    kept += other.kept;
    preamble += other.preamble;
    preamble_kept += other.preamble_kept;
    answer += other.answer;
    answer_kept += other.answer_kept;
    for (int c = 0; c < kTokenClassCount; ++c) {
      class_entries[c] += other.class_entries[c];
      class_kept[c] += other.class_kept[c];
    }
    if (age_counts.size() < other.age_counts.size()) age_counts.resize(other.age_counts.size(), 0);
    for (std::size_t age = 0; age < other.age_counts.size(); ++age) age_counts[age] += other.age_counts[age];
    age_sum += other.age_sum;
  }
};

double ratio(std::int64_t part, std::int64_t whole) {
  return whole > 0 ? static_cast<double>(part) / static_cast<double>(whole) : kNotApplicable;
}

// The median of the histogram's values (mean of the two middle ones for an even count).
double histogram_median(const std::vector<std::int64_t>& counts, std::int64_t total) {
  if (total == 0) return kNotApplicable;
  auto value_at = [&counts](std::int64_t rank) {  // rank-th smallest, 0-based
    std::int64_t seen = 0;
    for (std::size_t value = 0; value < counts.size(); ++value) {
      seen += counts[value];
      if (seen > rank) return static_cast<double>(value);
    }
    return static_cast<double>(counts.size() - 1);
  };
  return total % 2 == 1 ? value_at(total / 2) : 0.5 * (value_at(total / 2 - 1) + value_at(total / 2));
}

LayerRetentionSummary finish(std::int64_t layer, const Tally& tally) {
  LayerRetentionSummary row;
  row.layer = layer;
  row.entries = tally.entries;
  row.retained = ratio(tally.kept, tally.entries);
  row.age_mean = tally.kept > 0 ? tally.age_sum / static_cast<double>(tally.kept) : kNotApplicable;
  row.age_median = histogram_median(tally.age_counts, tally.kept);
  row.preamble_kept = ratio(tally.preamble_kept, tally.preamble);
  row.needle_recall = ratio(tally.answer_kept, tally.answer);
  for (int c = 0; c < kTokenClassCount; ++c) {
    row.class_kept[c] = ratio(tally.class_kept[c], tally.class_entries[c]);
    row.class_entries[c] = tally.class_entries[c];
  }
  return row;
}

std::string number(double value, const char* format) {
  if (std::isnan(value)) return "";
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, format, value);
  return buffer;
}

}  // namespace

std::vector<LayerRetentionSummary> summarize_retention(const std::vector<SampleRetention>& samples) {
  if (samples.empty()) return {};
  const std::int64_t layers = samples.front().layers;
  std::vector<Tally> tallies(static_cast<std::size_t>(layers));
  for (const auto& sample : samples) {
    if (sample.layers != layers || static_cast<std::int64_t>(sample.evicted_at.size()) != layers) {
      throw InputError("retention records of sample '" + sample.id + "' have " +
                       std::to_string(sample.evicted_at.size()) + " layers, expected " + std::to_string(layers) +
                       ": summarise samples of one backbone together");
    }
    const std::int64_t tokens = sample.tokens();
    std::vector<char> is_answer(static_cast<std::size_t>(tokens), 0);
    for (const auto& span : sample.spans) {
      if (span.kind != "answer") continue;
      for (std::int64_t t = std::max<std::int64_t>(span.token_begin, 0); t < std::min(span.token_end, tokens); ++t) {
        is_answer[static_cast<std::size_t>(t)] = 1;
      }
    }
    for (std::int64_t layer = 0; layer < layers; ++layer) {
      Tally& tally = tallies[static_cast<std::size_t>(layer)];
      if (static_cast<std::int64_t>(tally.age_counts.size()) < tokens)
        tally.age_counts.resize(static_cast<std::size_t>(tokens), 0);
      for (std::int64_t head = 0; head < sample.kv_heads; ++head) {
        for (std::int64_t t = 0; t < tokens; ++t) {
          const bool kept = sample.kept(layer, head, t);
          const auto token_class = static_cast<std::size_t>(sample.token_classes[static_cast<std::size_t>(t)]);
          ++tally.entries;
          ++tally.class_entries[token_class];
          if (t < sample.preamble_end) ++tally.preamble;
          if (is_answer[static_cast<std::size_t>(t)]) ++tally.answer;
          if (!kept) continue;
          ++tally.kept;
          ++tally.class_kept[token_class];
          if (t < sample.preamble_end) ++tally.preamble_kept;
          if (is_answer[static_cast<std::size_t>(t)]) ++tally.answer_kept;
          const std::int64_t age = tokens - 1 - t;
          ++tally.age_counts[static_cast<std::size_t>(age)];
          tally.age_sum += static_cast<double>(age);
        }
      }
    }
  }
  std::vector<LayerRetentionSummary> rows;
  Tally all;
  for (std::int64_t layer = 0; layer < layers; ++layer) {
    rows.push_back(finish(layer, tallies[static_cast<std::size_t>(layer)]));
    all.add(tallies[static_cast<std::size_t>(layer)]);
  }
  rows.push_back(finish(-1, all));
  return rows;
}

std::string retention_summary_csv(const std::string& policy, const std::vector<LayerRetentionSummary>& rows,
                                  bool with_header) {
  std::string csv;
  if (with_header) {
    csv = "policy,layer,entries,retained,age_mean,age_median,preamble_kept,needle_recall";
    for (int c = 0; c < kTokenClassCount; ++c)
      csv += std::string(",kept_") + token_class_name(static_cast<TokenClass>(c));
    csv += "\n";
  }
  // A spec holds commas ("h2o:heavy=128,recent=128"): quote it as RFC 4180 says.
  std::string quoted = "\"";
  for (const char c : policy) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  quoted += "\"";
  for (const auto& row : rows) {
    csv += quoted + "," + (row.layer < 0 ? std::string("all") : std::to_string(row.layer)) + "," +
           std::to_string(row.entries) + "," + number(row.retained, "%.6f") + "," + number(row.age_mean, "%.2f") + "," +
           number(row.age_median, "%.1f") + "," + number(row.preamble_kept, "%.6f") + "," +
           number(row.needle_recall, "%.6f");
    for (int c = 0; c < kTokenClassCount; ++c) csv += "," + number(row.class_kept[c], "%.6f");
    csv += "\n";
  }
  return csv;
}

std::string retention_summary_text(const std::vector<LayerRetentionSummary>& rows) {
  auto cell = [](double value, const char* format) {
    const std::string text = number(value, format);
    return text.empty() ? std::string("-") : text;
  };
  char line[256];
  std::snprintf(line, sizeof line, "%-6s %9s %9s %9s %9s %8s %8s %8s %8s %8s\n", "layer", "retained", "age_mean",
                "age_med", "preamble", "needle", "space", "punct", "digits", "words");
  std::string text = line;
  for (const auto& row : rows) {
    const auto& k = row.class_kept;
    std::snprintf(line, sizeof line, "%-6s %9s %9s %9s %9s %8s %8s %8s %8s %8s\n",
                  row.layer < 0 ? "all" : std::to_string(row.layer).c_str(), cell(row.retained, "%.3f").c_str(),
                  cell(row.age_mean, "%.1f").c_str(), cell(row.age_median, "%.1f").c_str(),
                  cell(row.preamble_kept, "%.3f").c_str(), cell(row.needle_recall, "%.3f").c_str(),
                  cell(k[0], "%.3f").c_str(), cell(k[1], "%.3f").c_str(), cell(k[2], "%.3f").c_str(),
                  cell(k[3], "%.3f").c_str());
    text += line;
  }
  return text;
}

}  // namespace evomem::report
