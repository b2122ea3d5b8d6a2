#include "memory/namm_policy.h"

#include <ATen/ATen.h>

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
  text += std::string(",uniform_count=") + (config_.selection.uniform_count ? "true" : "false");
  text += ",interval=" + std::to_string(update_interval());
  return text;
}

void NammPolicy::load_genome(const std::vector<float>& values) { scorer_->load(values); }

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
  const at::Tensor counts = count_valid(valid);
  at::Tensor keep;
  if (selection.mode == SelectionMode::kThreshold) {
    keep = scores.ge(selection.threshold).logical_and_(valid);
  } else {
    keep = keep_top(scores, valid, budget_counts(selection.budget, positions, valid));
  }
  if (selection.keep_newest) keep.logical_or_(keep_newest(positions, valid, at::ones_like(counts)));
  if (selection.uniform_count) {
    // Every head drops as many tokens as the head that drops fewest; each drops its lowest.
    const at::Tensor dropped = counts - count_valid(keep);
    const at::Tensor uniform_drop = std::get<0>(dropped.min(1, /*keepdim=*/true));
    keep = keep_top(scores, valid, counts - uniform_drop);
    if (selection.keep_newest) keep.logical_or_(keep_newest(positions, valid, at::ones_like(counts)));
  }
  return keep;
}

std::optional<at::Tensor> NammPolicy::select(const model::AttentionObservation& observation) {
  scorer_->to(observation.valid.device());
  const at::Tensor features = features_.compute(observation);
  const at::Tensor scores = scorer_->score(features, observation.positions, observation.valid);
  const auto layer = static_cast<std::size_t>(observation.layer);
  if (last_scores_.size() <= layer) last_scores_.resize(layer + 1);
  last_scores_[layer] = scores;
  return select_tokens(scores, observation.positions, observation.valid);
}

}  // namespace evomem::memory
