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
  const at::Tensor newest = observation.positions
                                .masked_fill(valid.logical_not(), std::numeric_limits<std::int64_t>::min())
                                .amax({1, 2}, true);
  const at::Tensor ages = (newest - observation.positions).masked_fill(kept_mask.logical_not(), 0);
  Update update;
  update.tokens_seen = observation.tokens_seen;
  const at::Tensor kept_count = kept_mask.sum(-1);
  // One stacked copy to the host instead of four.
  const at::Tensor stacked = at::stack({valid.sum(-1).to(at::kDouble), kept_count.to(at::kDouble),
                                        ages.sum(-1).to(at::kDouble) / kept_count.clamp_min(1).to(at::kDouble),
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
    if (!record.evicted_at.defined()) record.evicted_at = at::full({batch, heads, 0}, kNeverEvicted, at::kInt);
    if (record.evicted_at.size(2) < tokens) {
      record.evicted_at = at::cat(
          {record.evicted_at, at::full({batch, heads, tokens - record.evicted_at.size(2)}, kNeverEvicted, at::kInt)},
          2);
    }
    // Only slots valid before this decision are stamped: a token leaves a head once.
    const at::Tensor evicted_slots = valid.logical_and(kept_mask.logical_not()).cpu().nonzero();  // [k, 3]
    if (evicted_slots.size(0) > 0) {
      const at::Tensor batch_index = evicted_slots.select(1, 0);
      const at::Tensor head_index = evicted_slots.select(1, 1);
      const at::Tensor position_index = observation.positions.cpu().index(
          {batch_index, head_index, evicted_slots.select(1, 2)});
      record.evicted_at.index_put_({batch_index, head_index, position_index},
                                   at::scalar_tensor(static_cast<std::int32_t>(observation.tokens_seen), at::kInt));
    }
  }
}

at::Tensor RetentionRecorder::LayerRecord::keep_mask(std::int64_t tokens) const {
  const std::int64_t recorded = std::min(evicted_at.size(2), tokens);
  at::Tensor mask = at::ones({evicted_at.size(0), evicted_at.size(1), tokens}, at::kByte);
  mask.narrow(2, 0, recorded).copy_(evicted_at.narrow(2, 0, recorded).eq(kNeverEvicted));
  return mask;
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
      fraction_sum +=
          (update.kept.to(at::kDouble).sum() / update.cached.to(at::kDouble).sum().clamp_min(1)).item<double>();
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
