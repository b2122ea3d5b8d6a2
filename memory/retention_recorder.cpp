#include "memory/retention_recorder.h"

#include <ATen/ATen.h>

#include <limits>

namespace evomem::memory {

void RetentionRecorder::record(const model::AttentionObservation& observation, const std::optional<at::Tensor>& keep) {
  const auto index = static_cast<std::size_t>(observation.layer);
  if (layers_.size() <= index) layers_.resize(index + 1);
  LayerRecord& record = layers_[index];
  const at::Tensor& valid = observation.valid;
  const at::Tensor kept_mask = keep ? keep->logical_and(valid) : valid;
  const at::Tensor newest =
      observation.positions.masked_fill(valid.logical_not(), std::numeric_limits<std::int64_t>::min()).amax({1, 2}, true);
  const at::Tensor ages = (newest - observation.positions).masked_fill(kept_mask.logical_not(), 0);
  Update update;
  update.tokens_seen = observation.tokens_seen;
  const at::Tensor kept_count = kept_mask.sum(-1);
  // One stacked copy to the host instead of four.
  const at::Tensor stacked =
      at::stack({valid.sum(-1).to(at::kDouble), kept_count.to(at::kDouble), ages.sum(-1).to(at::kDouble) / kept_count.clamp_min(1).to(at::kDouble),
                 ages.amax(-1).to(at::kDouble)})
          .cpu();
  update.cached = stacked[0].to(at::kLong);
  update.kept = stacked[1].to(at::kLong);
  update.mean_age = stacked[2];
  update.max_age = stacked[3].to(at::kLong);
  record.updates.push_back(std::move(update));
  if (detailed_) {
    const auto batch = valid.size(0);
    const auto heads = valid.size(1);
    const std::int64_t tokens = std::max<std::int64_t>(observation.tokens_seen, 1);
    // Invalid slots carry arbitrary positions (clamped here) but are never kept, and amax
    // lets a kept slot win over any other slot that maps to the same position.
    const at::Tensor positions = observation.positions.cpu().clamp(0, tokens - 1);
    at::Tensor mask = at::zeros({batch, heads, tokens}, at::kLong);
    mask.scatter_reduce_(2, positions, kept_mask.cpu().to(at::kLong), "amax", /*include_self=*/true);
    record.final_mask = mask.to(at::kByte);
  }
}

core::Json RetentionRecorder::summary() const {
  core::Json layers = core::Json::array();
  for (const auto& record : layers_) {
    core::Json layer;
    layer["updates"] = record.updates.size();
    if (record.updates.empty()) {
      layers.push_back(layer);
      continue;
    }
    double fraction_sum = 0.0;
    for (const auto& update : record.updates) {
      fraction_sum += (update.kept.to(at::kDouble).sum() / update.cached.to(at::kDouble).sum().clamp_min(1)).item<double>();
    }
    const Update& last = record.updates.back();
    layer["mean_kept_fraction"] = fraction_sum / static_cast<double>(record.updates.size());
    layer["tokens_seen"] = last.tokens_seen;
    std::vector<std::vector<std::int64_t>> kept;
    std::vector<std::vector<double>> mean_age;
    for (std::int64_t b = 0; b < last.kept.size(0); ++b) {
      const at::Tensor k = last.kept[b].contiguous();
      const at::Tensor a = last.mean_age[b].contiguous();
      kept.emplace_back(k.data_ptr<std::int64_t>(), k.data_ptr<std::int64_t>() + k.numel());
      mean_age.emplace_back(a.data_ptr<double>(), a.data_ptr<double>() + a.numel());
    }
    layer["final_kept"] = kept;
    layer["final_mean_age"] = mean_age;
    layers.push_back(layer);
  }
  return {{"layers", layers}};
}

}  // namespace evomem::memory
