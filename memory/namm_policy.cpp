#include "memory/namm_policy.h"

#include <ATen/ATen.h>

#include <limits>

#include "core/error.h"
#include "memory/selection.h"

namespace evomem::memory {

NammPolicy::NammPolicy(const NammConfig& config)
    : Policy(config.update_interval),
      config_(config),
      features_(config),
      scorer_(make_scorer(config.scorer, config.feature_dim())) {}

std::string NammPolicy::spec() const {
  std::string text = "namm:";
  if (!source_.empty()) text += "weights=" + source_ + ",";
  text += std::string("selection=") + selection_mode_name(config_.selection.mode);
  if (config_.selection.mode == SelectionMode::kTopK) text += ",budget=" + config_.selection.budget.to_string();
  // A threshold other than the published 0 changes what is kept, so the label must say it.
  if (config_.selection.mode == SelectionMode::kThreshold && config_.selection.threshold != 0.0) {
    text += ",threshold=" + format_number(config_.selection.threshold);
  }
  if (!config_.selection.keep_newest) text += ",keep_newest=false";
  text += std::string(",uniform_count=") + (config_.selection.uniform_count ? "true" : "false");
  if (config_.bf16_attention) text += ",bf16_attention=true";
  text += ",interval=" + std::to_string(update_interval());
  return text;
}

void NammPolicy::load_genome(const std::vector<float>& values) { scorer_->load(values); }

void NammPolicy::load_genomes(const std::vector<float>& values, std::int64_t count) {
  scorer_->load_genomes(values, count);
}

Genome NammPolicy::genome() const {
  Genome genome;
  genome.layout = scorer_->layout();
  genome.values = scorer_->values();
  return genome;
}

at::Tensor NammPolicy::last_scores(std::int64_t layer) const {
  if (layer < 0 || layer >= static_cast<std::int64_t>(last_scores_.size())) return {};
  return last_scores_[static_cast<std::size_t>(layer)];
}

at::Tensor NammPolicy::select_tokens(const at::Tensor& scores, const at::Tensor& positions,
                                     const at::Tensor& valid) const {
  const SelectionConfig& selection = config_.selection;
  // The newest token ranks above every other, inside the count (the published code sets its
  // score to the largest float before selecting).
  at::Tensor ranked = scores;
  if (selection.keep_newest) {
    const at::Tensor newest = keep_newest(positions, valid, count_valid(valid).clamp_max(1));
    ranked = scores.masked_fill(newest, std::numeric_limits<double>::infinity());
  }
  at::Tensor keep = selection.mode == SelectionMode::kThreshold
                        ? ranked.ge(selection.threshold).logical_and_(valid)
                        : keep_top(ranked, valid, budget_counts(selection.budget, positions, valid));
  if (selection.uniform_count) {
    // The published rule: every head of a layer keeps as many slots as the head that drops
    // fewest (invalid slots count as dropped, as padding does in the published rectangular
    // cache), each its best-ranked ones. Per sequence: the published code takes the minimum
    // over the batch as well, which would make one prompt's cache depend on the others'.
    const std::int64_t slots = valid.size(2);
    const at::Tensor dropped = slots - count_valid(keep);
    const at::Tensor fewest = std::get<0>(dropped.min(1, /*keepdim=*/true));
    keep = keep_top(ranked, valid, slots - fewest);
  }
  return keep;
}

std::optional<at::Tensor> NammPolicy::select(const model::AttentionObservation& observation) {
  scorer_->to(observation.valid.device());
  const std::int64_t genomes = scorer_->genomes();
  const std::int64_t rows = observation.valid.size(0);
  if (genomes > 1 && rows != genomes && rows != 1) {
    throw InternalError("NAMM with " + std::to_string(genomes) + " genomes observed a batch of " +
                        std::to_string(rows) + " rows (one sequence or one row per genome expected)");
  }
  // The branching update: one sequence seen by every genome.
  const model::AttentionObservation branched = genomes > 1 && rows == 1 ? repeat_rows(observation, genomes)
                                                                        : model::AttentionObservation();
  const model::AttentionObservation& seen = genomes > 1 && rows == 1 ? branched : observation;
  const at::Tensor features = features_.compute(seen);
  const at::Tensor scores = scorer_->score(features, seen.positions, seen.valid);
  const auto layer = static_cast<std::size_t>(seen.layer);
  if (last_scores_.size() <= layer) last_scores_.resize(layer + 1);
  last_scores_[layer] = scores;
  return select_tokens(scores, seen.positions, seen.valid);
}

}  // namespace evomem::memory
