#include "eval/comparison_table.h"

#include <algorithm>
#include <cstdio>
#include <map>

#include "core/error.h"
#include "core/json_file.h"

namespace evomem::eval {
namespace {

std::string fixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string quoted = "\"";
  for (const char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

std::vector<std::string> task_order(const std::vector<SampleOutcome>& outcomes) {
  std::vector<std::string> tasks;
  for (const auto& outcome : outcomes) {
    if (tasks.empty() || tasks.back() != outcome.task) tasks.push_back(outcome.task);
  }
  return tasks;
}

// Per task, the values `value(i)` of the outcomes of that task, in order.
template <typename Value>
std::map<std::string, std::vector<double>> by_task(const std::vector<SampleOutcome>& outcomes, Value value) {
  std::map<std::string, std::vector<double>> groups;
  for (std::size_t i = 0; i < outcomes.size(); ++i) groups[outcomes[i].task].push_back(value(i));
  return groups;
}

double mean(const std::vector<double>& values) {
  double sum = 0.0;
  for (const double value : values) sum += value;
  return values.empty() ? 0.0 : sum / static_cast<double>(values.size());
}

metrics::Interval percent(metrics::Interval interval) { return {100.0 * interval.low, 100.0 * interval.high}; }

void check_paired(const PolicyRun& run, const PolicyRun& reference) {
  bool same = run.outcomes.size() == reference.outcomes.size();
  for (std::size_t i = 0; same && i < run.outcomes.size(); ++i) {
    same = run.outcomes[i].task == reference.outcomes[i].task && run.outcomes[i].id == reference.outcomes[i].id;
  }
  if (!same)
    throw InternalError("comparison: '" + run.policy + "' did not run the samples of '" + reference.policy + "'");
}

std::string interval_text(double value, metrics::Interval interval) {
  return fixed(value, 1) + " [" + fixed(interval.low, 1) + ", " + fixed(interval.high, 1) + "]";
}

std::string signed_interval_text(double value, metrics::Interval interval) {
  const auto sign = [](double v) { return (v >= 0 ? "+" : "") + fixed(v, 1); };
  return sign(value) + " [" + sign(interval.low) + ", " + sign(interval.high) + "]";
}

}  // namespace

std::vector<ComparisonRow> comparison_rows(const std::vector<PolicyRun>& runs, std::size_t reference,
                                           const metrics::BootstrapOptions& bootstrap) {
  EVOMEM_CHECK(reference < runs.size(), "comparison_rows: no reference run");
  const PolicyRun& base = runs[reference];
  const std::vector<std::string> tasks = task_order(base.outcomes);
  std::vector<ComparisonRow> rows;
  for (std::size_t r = 0; r < runs.size(); ++r) {
    const PolicyRun& run = runs[r];
    check_paired(run, base);
    const auto scores = by_task(run.outcomes, [&](std::size_t i) { return run.outcomes[i].score; });
    const auto retained = by_task(run.outcomes, [&](std::size_t i) { return run.outcomes[i].retained; });
    const auto differences = by_task(run.outcomes,
                                     [&](std::size_t i) { return run.outcomes[i].score - base.outcomes[i].score; });
    std::vector<std::vector<double>> score_groups;
    std::vector<std::vector<double>> difference_groups;
    const auto row = [&](const std::string& task, std::size_t samples) {
      ComparisonRow out;
      out.policy = run.policy;
      out.spec = run.spec;
      out.setting = run.setting;
      out.task = task;
      out.samples = samples;
      out.has_difference = r != reference;
      return out;
    };
    double score_sum = 0.0;
    double difference_sum = 0.0;
    for (const auto& task : tasks) {
      ComparisonRow out = row(task, scores.at(task).size());
      out.score = 100.0 * mean(scores.at(task));
      out.interval = percent(metrics::bootstrap_mean(scores.at(task), bootstrap));
      out.retained = mean(retained.at(task));
      out.difference = 100.0 * mean(differences.at(task));
      if (out.has_difference)
        out.difference_interval = percent(metrics::bootstrap_mean(differences.at(task), bootstrap));
      score_sum += out.score;
      difference_sum += out.difference;
      score_groups.push_back(scores.at(task));
      difference_groups.push_back(differences.at(task));
      rows.push_back(out);
    }
    ComparisonRow total = row("mean", run.outcomes.size());
    total.score = score_sum / static_cast<double>(tasks.size());
    total.interval = percent(metrics::bootstrap_mean_of_means(score_groups, bootstrap));
    total.retained = mean_retained(run.outcomes);
    total.difference = difference_sum / static_cast<double>(tasks.size());
    if (total.has_difference) {
      total.difference_interval = percent(metrics::bootstrap_mean_of_means(difference_groups, bootstrap));
    }
    rows.push_back(total);
  }
  return rows;
}

std::string comparison_csv(const std::vector<ComparisonRow>& rows) {
  std::string csv = "policy,spec,task,samples,score,ci_low,ci_high,retained\n";
  for (const auto& row : rows) {
    csv += csv_field(row.policy) + "," + csv_field(row.spec) + "," + csv_field(row.task) + "," +
           std::to_string(row.samples) + "," + fixed(row.score, 4) + "," + fixed(row.interval.low, 4) + "," +
           fixed(row.interval.high, 4) + "," + fixed(row.retained, 6) + "\n";
  }
  return csv;
}

std::string differences_csv(const std::vector<ComparisonRow>& rows) {
  std::string csv = "policy,spec,task,samples,difference,ci_low,ci_high\n";
  for (const auto& row : rows) {
    if (!row.has_difference) continue;
    csv += csv_field(row.policy) + "," + csv_field(row.spec) + "," + csv_field(row.task) + "," +
           std::to_string(row.samples) + "," + fixed(row.difference, 4) + "," + fixed(row.difference_interval.low, 4) +
           "," + fixed(row.difference_interval.high, 4) + "\n";
  }
  return csv;
}

std::string comparison_markdown(const std::vector<ComparisonRow>& rows, const std::vector<std::string>& header) {
  std::vector<std::string> tasks;
  for (const auto& row : rows) {
    if (row.task == "mean") break;
    tasks.push_back(row.task);
  }
  const std::size_t per_run = tasks.size() + 1;
  std::string reference;
  for (const auto& row : rows) {
    if (!row.has_difference) reference = row.policy;
  }
  std::string md;
  for (const auto& line : header) md += line + "\n";
  const auto table = [&](const std::string& title, bool differences) {
    md += "\n" + title + "\n\n| policy | budget | retained |";
    for (const auto& task : tasks) md += " " + task + " |";
    md += " mean |\n|---|---|---|";
    for (std::size_t i = 0; i < per_run; ++i) md += "---|";
    md += "\n";
    for (std::size_t first = 0; first + per_run <= rows.size(); first += per_run) {
      const ComparisonRow& total = rows[first + per_run - 1];
      if (differences && !total.has_difference) continue;
      md += "| " + total.policy + " | " + total.setting + " | " + fixed(total.retained, 3) + " |";
      for (std::size_t i = first; i < first + per_run; ++i) {
        const ComparisonRow& row = rows[i];
        md += " " +
              (differences ? signed_interval_text(row.difference, row.difference_interval)
                           : interval_text(row.score, row.interval)) +
              " |";
      }
      md += "\n";
    }
  };
  table("Scores (%) with 95% bootstrap intervals:", false);
  table("Paired differences against " + reference + " (percentage points, same samples), 95% bootstrap intervals:",
        true);
  md += "\nSpecs:\n\n";
  for (std::size_t first = 0; first < rows.size(); first += per_run) {
    md += "- " + rows[first].policy + ": `" + rows[first].spec + "`\n";
  }
  return md;
}

std::string comparison_samples_jsonl(const std::vector<PolicyRun>& runs) {
  std::string lines;
  for (const auto& run : runs) {
    for (const auto& outcome : run.outcomes) {
      const core::Json line = {{"policy", run.policy},
                               {"spec", run.spec},
                               {"setting", run.setting},
                               {"task", outcome.task},
                               {"id", outcome.id},
                               {"score", outcome.score},
                               {"retained_fraction", outcome.retained},
                               {"tokens_seen", outcome.tokens_seen},
                               {"new_tokens", outcome.new_tokens},
                               {"prediction", outcome.prediction}};
      lines += line.dump() + "\n";
    }
  }
  return lines;
}

std::vector<report::ParetoSeries> pareto_series(const std::vector<ComparisonRow>& rows) {
  std::vector<report::ParetoSeries> series;
  for (const auto& row : rows) {
    if (row.task != "mean") continue;
    const std::string name = row.policy.substr(0, row.policy.find('@'));
    auto found = std::find_if(series.begin(), series.end(), [&](const auto& s) { return s.name == name; });
    if (found == series.end()) {
      series.push_back({name, {}, !row.has_difference});
      found = series.end() - 1;
    }
    found->points.push_back({row.retained, row.score, row.interval.low, row.interval.high,
                             row.policy + " (" + row.setting + "): " + interval_text(row.score, row.interval) +
                                 " at retained " + fixed(row.retained, 3)});
  }
  return series;
}

std::string budget_search_csv(const std::vector<PolicyRun>& runs) {
  std::string csv = "policy,budget,samples,retained\n";
  for (const auto& run : runs) {
    for (const auto& step : run.search) {
      csv += csv_field(run.policy) + "," + step.budget + "," + std::to_string(step.samples) + "," +
             fixed(step.retained, 6) + "\n";
    }
  }
  return csv;
}

}  // namespace evomem::eval
