// The statistics and files of `evomem compare` on hand-built outcomes.

#include "eval/comparison_table.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

#include "core/error.h"

namespace evomem::eval {
namespace {

PolicyRun make_run(const std::string& policy, const std::string& spec, const std::vector<double>& scores,
                   double retained) {
  PolicyRun run;
  run.policy = policy;
  run.spec = spec;
  run.setting = policy == "namm" ? "under test" : "matched";
  for (std::size_t i = 0; i < scores.size(); ++i) {
    SampleOutcome outcome;
    outcome.task = i < scores.size() / 2 ? "passkey" : "kv";
    outcome.id = "s" + std::to_string(i);
    outcome.score = scores[i];
    outcome.retained = retained;
    outcome.prediction = "answer, \"quoted\"";
    run.outcomes.push_back(outcome);
  }
  return run;
}

std::vector<PolicyRun> two_runs() {
  return {make_run("namm", "namm:weights=w.safetensors", {1, 1, 1, 1, 0, 1, 0, 1}, 0.5),
          make_run("h2o", "h2o:heavy=4,recent=4,interval=128", {1, 0, 1, 0, 0, 0, 0, 1}, 0.505)};
}

metrics::BootstrapOptions bootstrap() {
  metrics::BootstrapOptions options;
  options.resamples = 2000;
  return options;
}

TEST(ComparisonTable, ScoresDifferencesAndRetained) {
  const auto rows = comparison_rows(two_runs(), 0, bootstrap());
  ASSERT_EQ(rows.size(), 6u);  // (passkey, kv, mean) x 2
  EXPECT_EQ(rows[0].task, "passkey");
  EXPECT_EQ(rows[1].task, "kv");
  EXPECT_EQ(rows[2].task, "mean");
  EXPECT_DOUBLE_EQ(rows[0].score, 100.0);
  EXPECT_DOUBLE_EQ(rows[1].score, 50.0);
  EXPECT_DOUBLE_EQ(rows[2].score, 75.0);
  EXPECT_EQ(rows[2].samples, 8u);
  EXPECT_FALSE(rows[2].has_difference);
  // All of passkey right: the interval is the point.
  EXPECT_DOUBLE_EQ(rows[0].interval.low, 100.0);
  EXPECT_DOUBLE_EQ(rows[0].interval.high, 100.0);
  EXPECT_DOUBLE_EQ(rows[3].score, 50.0);
  EXPECT_DOUBLE_EQ(rows[5].score, 37.5);
  EXPECT_DOUBLE_EQ(rows[5].retained, 0.505);
  EXPECT_TRUE(rows[5].has_difference);
  EXPECT_DOUBLE_EQ(rows[3].difference, -50.0);
  EXPECT_DOUBLE_EQ(rows[4].difference, -25.0);
  EXPECT_DOUBLE_EQ(rows[5].difference, -37.5);
  // Paired differences on passkey are {0, -1, 0, -1}: the interval lies in [-100, 0].
  EXPECT_GE(rows[3].difference_interval.low, -100.0);
  EXPECT_LE(rows[3].difference_interval.high, 0.0);
  EXPECT_LT(rows[5].difference_interval.low, rows[5].difference);
  EXPECT_GT(rows[5].difference_interval.high, rows[5].difference);
}

TEST(ComparisonTable, CsvSchema) {
  const auto rows = comparison_rows(two_runs(), 0, bootstrap());
  std::istringstream csv(comparison_csv(rows));
  std::string line;
  std::getline(csv, line);
  EXPECT_EQ(line, "policy,spec,task,samples,score,ci_low,ci_high,retained");
  std::getline(csv, line);
  EXPECT_EQ(line, "namm,namm:weights=w.safetensors,passkey,4,100.0000,100.0000,100.0000,0.500000");
  int count = 1;
  while (std::getline(csv, line)) {
    ++count;
    if (count == 4) {
      EXPECT_EQ(line.rfind("h2o,\"h2o:heavy=4,recent=4,interval=128\",passkey,4,50.0000,", 0), 0u) << line;
    }
  }
  EXPECT_EQ(count, 6);
  std::istringstream differences(differences_csv(rows));
  std::getline(differences, line);
  EXPECT_EQ(line, "policy,spec,task,samples,difference,ci_low,ci_high");
  count = 0;
  while (std::getline(differences, line)) ++count;
  EXPECT_EQ(count, 3);  // only h2o's rows
}

TEST(ComparisonTable, MarkdownSamplesAndPlot) {
  auto runs = two_runs();
  runs.push_back(make_run("h2o@0.25", "h2o:heavy=0.125,recent=0.125,interval=128", {0, 0, 0, 0, 0, 0, 0, 1}, 0.26));
  runs.back().setting = "0.25";
  const auto rows = comparison_rows(runs, 0, bootstrap());
  const std::string md = comparison_markdown(rows, {"# title"});
  EXPECT_EQ(md.rfind("# title\n", 0), 0u);
  EXPECT_NE(md.find("| namm | under test | 0.500 | 100.0 [100.0, 100.0] |"), std::string::npos) << md;
  EXPECT_NE(md.find("Paired differences against namm"), std::string::npos) << md;
  EXPECT_NE(md.find("| h2o | matched | 0.505 | -50.0 ["), std::string::npos) << md;
  EXPECT_NE(md.find("- h2o@0.25: `h2o:heavy=0.125,recent=0.125,interval=128`"), std::string::npos) << md;

  const std::string jsonl = comparison_samples_jsonl(runs);
  EXPECT_EQ(std::count(jsonl.begin(), jsonl.end(), '\n'), 24);
  EXPECT_NE(jsonl.find("\"prediction\":\"answer, \\\"quoted\\\"\""), std::string::npos);

  const auto series = pareto_series(rows);
  ASSERT_EQ(series.size(), 2u);
  EXPECT_EQ(series[0].name, "namm");
  EXPECT_TRUE(series[0].highlight);
  EXPECT_EQ(series[1].name, "h2o");
  ASSERT_EQ(series[1].points.size(), 2u);
  EXPECT_DOUBLE_EQ(series[1].points[1].retained, 0.26);
  const std::string svg = report::render_pareto_svg(series, "t");
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find("h2o@0.25 (0.25): 12.5 ["), std::string::npos);
}

TEST(ComparisonTable, RefusesUnpairedRuns) {
  auto runs = two_runs();
  runs[1].outcomes[2].id = "other";
  EXPECT_THROW(comparison_rows(runs, 0, bootstrap()), InternalError);
}

}  // namespace
}  // namespace evomem::eval
