// Several variants of a policy in one batch (Runner::run_branches) on the built-in backbone
// at the demo's settings: each row gives exactly what the variant gives alone (prediction,
// score, retained counts per layer, the final cache), for a population's NAMM genomes and
// for a group of different policies.

#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <filesystem>
#include <map>
#include <set>

#include "eval/runner.h"
#include "memory/namm_policy.h"
#include "memory/policy_group.h"
#include "model/backbone.h"
#include "model/tokenizer.h"
#include "tasks/synthetic/generators.h"
#include "tasks/synthetic/suite.h"
#include "tasks/synthetic/tokenizer.h"
#include "tests/eval/builtin_model_test.h"

namespace evomem::eval {
namespace {

constexpr std::int64_t kInterval = 128;

struct TaskSample {
  tasks::TaskSpec task;
  tasks::EvalSample sample;
};

// Every decision of a policy: per (layer, tokens seen) update and row, the positions each
// head keeps, in slot order.
using Decisions = std::map<std::pair<std::int64_t, std::int64_t>, std::vector<std::vector<at::Tensor>>>;

// Passes observations on to `inner` and logs its decisions.
class DecisionTap : public memory::Policy {
 public:
  explicit DecisionTap(memory::Policy& inner) : Policy(inner.update_interval()), inner_(inner) {}
  std::string name() const override { return "tap"; }
  std::string spec() const override { return inner_.spec(); }
  void reset() override {
    inner_.reset();
    decisions.clear();
  }
  bool needs_attention() const override { return inner_.needs_attention(); }
  std::int64_t branches() const override { return inner_.branches(); }
  Decisions decisions;

 protected:
  std::optional<at::Tensor> select(const model::AttentionObservation& observation) override {
    const auto keep = inner_.on_update(observation);
    const at::Tensor kept = keep ? at::logical_and(*keep, observation.valid) : observation.valid;
    // A branching update's positions are the one shared row's.
    const at::Tensor positions = observation.positions.expand_as(kept);
    auto& rows = decisions[{observation.layer, observation.tokens_seen}];
    for (std::int64_t row = 0; row < kept.size(0); ++row) {
      std::vector<at::Tensor> heads;
      for (std::int64_t head = 0; head < kept.size(1); ++head) {
        heads.push_back(positions[row][head].masked_select(kept[row][head]));
      }
      rows.push_back(heads);
    }
    return keep;
  }

 private:
  memory::Policy& inner_;
};

class BranchingRunnerTest : public BuiltinModelTest {
 protected:
  // The demo's tasks at its length, one or two samples each.
  std::vector<TaskSample> samples() const {
    std::vector<TaskSample> out;
    for (const auto& [name, count] : std::vector<std::pair<std::string, std::size_t>>{
             {"synth_passkey", 2}, {"synth_kv_retrieval", 1}, {"synth_niah_single", 1}}) {
      tasks::SyntheticOptions options;
      options.task = name;
      options.length = 1024;
      options.samples = count;
      options.seed = 77;
      for (const auto& sample : tasks::generate_synthetic(options, tasks::synthetic_tokenizer(*tokenizer_))) {
        out.push_back({tasks::synthetic_task_spec(name), tasks::eval_sample(sample)});
      }
    }
    return out;
  }

  RunnerOptions runner_options() const {
    RunnerOptions options;
    options.chunk_size = kInterval;
    options.update_interval = kInterval;
    return options;
  }

  // Expects `batched` (row `row` of a batched run that made `batched_decisions`) to equal
  // `single`, a run of the variant alone that made `single_decisions`. The batch may go on
  // after the row stopped; only the updates the single run saw are compared.
  static void expect_same(const SampleResult& batched, const SampleResult& single, const Decisions& batched_decisions,
                          const Decisions& single_decisions, std::size_t row, const std::string& what) {
    EXPECT_EQ(batched.prediction, single.prediction) << what;
    EXPECT_EQ(batched.score, single.score) << what;
    EXPECT_EQ(batched.tokens, single.tokens) << what;
    EXPECT_EQ(batched.retained_mean, single.retained_mean) << what;
    EXPECT_EQ(batched.retained_final, single.retained_final) << what;
    ASSERT_FALSE(single_decisions.empty()) << what;
    for (const auto& [update, rows] : single_decisions) {
      const auto found = batched_decisions.find(update);
      ASSERT_NE(found, batched_decisions.end()) << what;
      const auto& heads = found->second.size() == 1 ? found->second.front() : found->second.at(row);
      for (std::size_t head = 0; head < heads.size(); ++head) {
        EXPECT_TRUE(at::equal(heads[head], rows.front()[head]))
            << what << ": layer " << update.first << " at " << update.second << " tokens, head " << head;
      }
    }
  }
};

std::vector<float> random_genome(std::int64_t size, std::uint64_t seed, double sigma) {
  at::manual_seed(seed);
  const at::Tensor values = at::randn({size}) * sigma;
  return std::vector<float>(values.data_ptr<float>(), values.data_ptr<float>() + values.numel());
}

TEST_F(BranchingRunnerTest, NammGenomesInOneBatchEqualSeparateRuns) {
  const auto cases = samples();
  Runner runner(*backbone_, *tokenizer_, runner_options());
  auto made = memory::make_policy("namm:interval=" + std::to_string(kInterval));
  auto& namm = dynamic_cast<memory::NammPolicy&>(*made);
  // Frozen normalisation, as evolution runs it: calibrated on one sample with the zero genome.
  namm.load_genome(std::vector<float>(static_cast<std::size_t>(namm.layout().size()), 0.0f));
  runner.run(cases.front().task, cases.front().sample, &namm);
  namm.features().freeze_normalization();

  const std::int64_t size = namm.layout().size();
  std::vector<std::vector<float>> genomes = {std::vector<float>(static_cast<std::size_t>(size), 0.0f)};
  for (const auto& [seed, sigma] : std::vector<std::pair<std::uint64_t, double>>{{1, 0.05}, {2, 0.2}, {3, 0.6}}) {
    genomes.push_back(random_genome(size, seed, sigma));
  }
  std::vector<float> population;
  for (const auto& genome : genomes) population.insert(population.end(), genome.begin(), genome.end());

  DecisionTap tap(namm);
  std::set<double> fractions;
  for (const auto& [task, sample] : cases) {
    namm.load_genomes(population, static_cast<std::int64_t>(genomes.size()));
    const auto batched = runner.run_branches(task, sample, &tap);
    ASSERT_EQ(batched.size(), genomes.size());
    const Decisions batched_decisions = tap.decisions;
    for (std::size_t g = 0; g < genomes.size(); ++g) {
      namm.load_genome(genomes[g]);
      const auto single = runner.run(task, sample, &tap);
      expect_same(batched[g], single, batched_decisions, tap.decisions, g, sample.id + " genome " + std::to_string(g));
      fractions.insert(retained_fraction(single));
    }
  }
  // The genomes keep different caches (the zero genome keeps everything).
  EXPECT_GE(fractions.size(), 4u);
  EXPECT_EQ(*fractions.rbegin(), 1.0);
}

// Each row attends over its own window of the cache (kv_cache.h), so its attention is computed
// exactly as alone, and even rankings with near-ties (SnapKV's pooled window sums) agree; the
// random baseline draws per token, not per slot.
TEST_F(BranchingRunnerTest, PolicyGroupRowsEqualEachPolicyAlone) {
  const auto cases = samples();
  Runner runner(*backbone_, *tokenizer_, runner_options());
  const std::string interval = ",interval=" + std::to_string(kInterval);
  const std::vector<std::string> specs = {"full:interval=128",
                                          "h2o:heavy=64,recent=64" + interval,
                                          "tova:budget=0.3" + interval,
                                          "recency:window=96" + interval,
                                          "snapkv:budget=0.25,window=32" + interval,
                                          "random:keep=0.2,seed=3" + interval};
  std::vector<std::unique_ptr<memory::Policy>> members;
  for (const auto& spec : specs) members.push_back(memory::make_policy(spec));
  memory::PolicyGroup group(std::move(members));
  ASSERT_EQ(group.branches(), static_cast<std::int64_t>(specs.size()));
  DecisionTap group_tap(group);
  for (const auto& [task, sample] : cases) {
    const auto batched = runner.run_branches(task, sample, &group_tap);
    ASSERT_EQ(batched.size(), specs.size());
    for (std::size_t p = 0; p < specs.size(); ++p) {
      const auto policy = memory::make_policy(specs[p]);
      DecisionTap tap(*policy);
      const auto single = runner.run(task, sample, &tap);
      expect_same(batched[p], single, group_tap.decisions, tap.decisions, p, sample.id + " " + specs[p]);
    }
  }
}

}  // namespace
}  // namespace evomem::eval
