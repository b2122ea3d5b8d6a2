#include "eval/comparison.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "core/error.h"
#include "core/text.h"
#include "eval/budget_search.h"
#include "memory/policy_group.h"
#include "memory/policy_spec.h"

namespace evomem::eval {
namespace {

constexpr int kEstimatedProbes = 3;

std::string interval_key(std::int64_t interval) { return ",interval=" + std::to_string(interval); }

bool is_ratio(const std::string& budget) { return memory::Budget::parse(budget, "budget").is_ratio; }

// Half of a budget (H2O splits its budget between heavy hitters and recent tokens).
std::pair<std::string, std::string> halves(const std::string& budget) {
  const memory::Budget parsed = memory::Budget::parse(budget, "budget");
  if (parsed.is_ratio) {
    const std::string half = memory::Budget{true, parsed.value / 2.0}.to_string();
    return {half, half};
  }
  const auto tokens = static_cast<std::int64_t>(parsed.value);
  return {std::to_string(tokens / 2), std::to_string(tokens - tokens / 2)};
}

// SnapKV-style policies keep their observation window inside the budget; a smaller absolute
// budget shrinks the window so that the budget still holds.
std::string window_within(const std::string& budget, std::int64_t window = 32) {
  if (is_ratio(budget)) return std::to_string(window);
  return std::to_string(std::min<std::int64_t>(window, std::stoll(budget)));
}

std::string streaming_spec(const std::string& budget) {
  if (is_ratio(budget)) return "streaming:sinks=4,window=" + budget;  // 4 sink tokens beyond the ratio
  const std::int64_t tokens = std::stoll(budget);
  const std::int64_t sinks = std::clamp<std::int64_t>(tokens - 1, 0, 4);
  return "streaming:sinks=" + std::to_string(sinks) + ",window=" + std::to_string(tokens - sinks);
}

// Samples in the first `per_task` samples of each task (0: all).
std::size_t samples_in(const std::vector<TaskRun>& runs, std::size_t per_task) {
  std::size_t total = 0;
  for (const auto& run : runs) total += per_task == 0 ? run.samples.size() : std::min(per_task, run.samples.size());
  return total;
}

}  // namespace

const std::vector<std::string>& comparison_baselines() {
  static const std::vector<std::string> names = {"full", "recency", "streaming", "h2o",   "snapkv",
                                                 "l2",   "random",  "pyramidkv", "adakv", "tova"};
  return names;
}

std::string baseline_spec(const std::string& name, const std::string& budget, std::int64_t interval,
                          std::int64_t layers) {
  if (name == "full") return "full:interval=" + std::to_string(interval);
  std::string spec;
  if (name == "recency") {
    spec = "recency:window=" + budget;
  } else if (name == "streaming") {
    spec = streaming_spec(budget);
  } else if (name == "h2o") {
    const auto [heavy, recent] = halves(budget);
    spec = "h2o:heavy=" + heavy + ",recent=" + recent;
  } else if (name == "snapkv" || name == "adakv") {
    spec = name + ":window=" + window_within(budget) + ",budget=" + budget;
  } else if (name == "pyramidkv") {
    spec = "pyramidkv:window=" + window_within(budget) + ",budget=" + budget + ",layers=" + std::to_string(layers);
  } else if (name == "l2") {
    spec = "l2:keep=" + budget;
  } else if (name == "random") {
    spec = "random:keep=" + budget + ",seed=1";
  } else if (name == "tova") {
    spec = "tova:budget=" + budget;
  } else {
    throw InputError("unknown baseline '" + name + "'; known baselines: " + core::join(comparison_baselines()));
  }
  return spec + interval_key(interval);
}

std::string policy_at_budget(const std::string& policy_spec, const std::string& budget, std::int64_t interval,
                             std::int64_t layers) {
  const memory::PolicySpec parsed = memory::parse_policy_spec(policy_spec);
  if (parsed.name != "namm") return baseline_spec(parsed.name, budget, interval, layers);
  std::string spec = "namm:";
  for (const auto& [key, value] : parsed.options) {
    if (key == "selection" || key == "budget" || key == "interval") continue;
    spec += key + "=" + value + ",";
  }
  return spec + "selection=topk,budget=" + budget + interval_key(interval);
}

Comparison::Comparison(ComparisonOptions options) : options_(std::move(options)) {
  if (!(options_.tolerance > 0.0 && options_.tolerance < 1.0)) {
    throw InputError("the matching tolerance must lie in (0, 1), got " + std::to_string(options_.tolerance));
  }
  interval_ = memory::make_policy(options_.policy)->update_interval();
  for (const auto& name : options_.baselines)
    memory::make_policy(baseline_spec(name, "64", interval_, options_.layers));
  for (const double budget : options_.budgets) {
    if (!(budget > 0.0 && budget < 1.0)) {
      throw InputError("--budgets: " + std::to_string(budget) + " is not a ratio of the tokens in (0, 1)");
    }
    memory::make_policy(
        policy_at_budget(options_.policy, memory::Budget{true, budget}.to_string(), interval_, options_.layers));
  }
  policy_name_ = memory::parse_policy_spec(options_.policy).name;
  const auto& baselines = options_.baselines;
  also_baseline_ = std::find(baselines.begin(), baselines.end(), policy_name_) != baselines.end();
}

std::int64_t Comparison::planned_samples(const std::vector<TaskRun>& runs) const {
  const std::size_t total = samples_in(runs, 0);
  std::size_t planned = total;  // the policy under test
  std::size_t searched = 0;
  for (const auto& name : options_.baselines) {
    if (name == "full") {
      planned += total;
    } else {
      ++searched;
      planned += kEstimatedProbes * samples_in(runs, options_.probe_samples) + total;
    }
  }
  planned += options_.budgets.size() * (searched + (also_baseline_ ? 0 : 1)) * total;
  return static_cast<std::int64_t>(planned);
}

PolicyRun Comparison::evaluate(const std::string& spec, std::size_t per_task, core::Progress& progress) {
  return std::move(evaluate_together({spec}, per_task, progress).front());
}

// Several policies (or budgets) read each sample once, one batch row each.
std::vector<PolicyRun> Comparison::evaluate_together(const std::vector<std::string>& specs, std::size_t per_task,
                                                     core::Progress& progress) {
  std::vector<std::unique_ptr<memory::Policy>> members;
  std::vector<PolicyRun> evaluated(specs.size());
  for (std::size_t p = 0; p < specs.size(); ++p) {
    members.push_back(memory::make_policy(specs[p]));
    evaluated[p].spec = members.back()->spec();
  }
  const std::unique_ptr<memory::Policy> policy = members.size() == 1
                                                     ? std::move(members.front())
                                                     : std::make_unique<memory::PolicyGroup>(std::move(members));
  for (const auto& run : *runs_) {
    const std::size_t count = per_task == 0 ? run.samples.size() : std::min(per_task, run.samples.size());
    for (std::size_t i = 0; i < count; ++i) {
      const auto results = runner_->run_branches(*run.task, run.samples[i], policy.get());
      for (std::size_t p = 0; p < results.size(); ++p) {
        const SampleResult& result = results[p];
        evaluated[p].outcomes.push_back({result.task, result.id, result.prediction, result.score,
                                         retained_fraction(result), result.tokens_seen, result.new_tokens});
      }
      progress.advance(static_cast<std::int64_t>(results.size()));
    }
  }
  return evaluated;
}

double mean_retained(const std::vector<SampleOutcome>& outcomes) {
  if (outcomes.empty()) return 0.0;
  double sum = 0.0;
  for (const auto& outcome : outcomes) sum += outcome.retained;
  return sum / static_cast<double>(outcomes.size());
}

// Two searches: on the first probe_samples samples of each task (cheap probes), then on every
// sample starting from the budget found, which usually matches at once (a fixed budget's
// retained fraction depends little on the sample). `planned` is what the progress plan
// counted for this run; the total is corrected by what the searches used.
PolicyRun Comparison::matched(const std::string& name, PolicyRun run, const PolicyRun& reference, std::int64_t planned,
                              core::Progress& progress) {
  const double target = mean_retained(reference.outcomes);
  std::int64_t longest = 0;
  double mean_seen = 0.0;
  for (const auto& outcome : reference.outcomes) {
    longest = std::max(longest, outcome.tokens_seen);
    mean_seen += static_cast<double>(outcome.tokens_seen) / static_cast<double>(reference.outcomes.size());
  }
  std::map<std::int64_t, PolicyRun> full_runs;
  std::int64_t used = 0;
  const auto measure_on = [&](std::size_t per_task) {
    return [&, per_task](std::int64_t budget) {
      PolicyRun probe = evaluate(baseline_spec(name, std::to_string(budget), interval_, options_.layers), per_task,
                                 progress);
      const double retained = mean_retained(probe.outcomes);
      run.search.push_back({std::to_string(budget), probe.outcomes.size(), retained});
      used += static_cast<std::int64_t>(probe.outcomes.size());
      if (per_task == 0) full_runs[budget] = std::move(probe);
      return retained;
    };
  };
  BudgetSearchOptions search;
  search.target = target;
  search.tolerance = options_.tolerance;
  search.max_budget = std::max<std::int64_t>(longest, 1);
  search.first_guess = std::llround(target * mean_seen);
  const std::string what = "baseline '" + name + "' at the retained fraction of '" + reference.spec + "'";
  if (probe_total_ < total_samples_) {
    search.first_guess = search_budget(measure_on(options_.probe_samples), search, what).budget;
  }
  PolicyRun& found = full_runs.at(search_budget(measure_on(0), search, what).budget);
  run.spec = std::move(found.spec);
  run.outcomes = std::move(found.outcomes);
  progress.add_to_total(used - planned);
  return run;
}

std::vector<PolicyRun> Comparison::run(Runner& runner, const std::vector<TaskRun>& task_runs,
                                       core::Progress& progress) {
  runner_ = &runner;
  runs_ = &task_runs;
  total_samples_ = samples_in(task_runs, 0);
  probe_total_ = samples_in(task_runs, options_.probe_samples);
  std::vector<PolicyRun> runs;
  // The policy under test and the full cache read the samples together.
  std::vector<std::string> first_specs = {options_.policy};
  const auto& baselines = options_.baselines;
  if (std::find(baselines.begin(), baselines.end(), "full") != baselines.end()) {
    first_specs.push_back(baseline_spec("full", "1", interval_, options_.layers));
  }
  auto first_runs = evaluate_together(first_specs, 0, progress);
  PolicyRun reference = first_runs.front();
  // A baseline under test leaves its name to the matched run of the same baseline.
  reference.policy = also_baseline_ ? policy_name_ + " (under test)" : policy_name_;
  reference.setting = "under test";
  runs.push_back(reference);
  std::vector<std::string> searched;
  const auto planned_search = static_cast<std::int64_t>(kEstimatedProbes * probe_total_ + total_samples_);
  for (const auto& baseline : baselines) {
    if (baseline == "full") {
      PolicyRun full = std::move(first_runs.back());
      full.policy = "full";
      full.setting = "full";
      runs.push_back(std::move(full));
    } else {
      PolicyRun run;
      run.policy = baseline;
      run.setting = "matched";
      runs.push_back(matched(baseline, std::move(run), reference, planned_search, progress));
      searched.push_back(baseline);
    }
  }
  // At a fixed budget the first run (the policy under test, or the baseline it is) is the
  // reference; a baseline whose retained fraction at the same ratio misses it by more than
  // the tolerance (e.g. StreamingLLM's sinks on short prompts) is matched by a search.
  // Every policy at one ratio reads the samples together.
  for (const double ratio : options_.budgets) {
    const std::string budget = memory::Budget{true, ratio}.to_string();
    std::vector<std::string> labels;
    std::vector<std::string> specs;
    if (!also_baseline_) {
      labels.push_back(policy_name_);
      specs.push_back(policy_at_budget(options_.policy, budget, interval_, options_.layers));
    }
    for (const auto& baseline : searched) {
      labels.push_back(baseline);
      specs.push_back(baseline_spec(baseline, budget, interval_, options_.layers));
    }
    if (specs.empty()) continue;
    auto at_ratio = evaluate_together(specs, 0, progress);
    for (std::size_t p = 0; p < at_ratio.size(); ++p) {
      at_ratio[p].policy = labels[p] + "@" + budget;
      at_ratio[p].setting = budget;
    }
    const std::size_t first = runs.size();
    if (!also_baseline_) runs.push_back(std::move(at_ratio.front()));
    for (std::size_t b = 0; b < searched.size(); ++b) {
      const std::string& baseline = searched[b];
      PolicyRun run = std::move(at_ratio[b + (also_baseline_ ? 0 : 1)]);
      if (runs.size() > first &&
          std::abs(mean_retained(run.outcomes) - mean_retained(runs[first].outcomes)) > options_.tolerance) {
        run.search.push_back({budget, run.outcomes.size(), mean_retained(run.outcomes)});
        run.setting = budget + ", matched";
        run = matched(baseline, std::move(run), runs[first], 0, progress);
      }
      runs.push_back(std::move(run));
    }
  }
  return runs;
}

}  // namespace evomem::eval
