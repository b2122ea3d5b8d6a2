#include "memory/scorer.h"

#include <ATen/ATen.h>

#include "core/error.h"
#include "memory/bam_scorer.h"
#include "memory/mlp_scorer.h"

namespace evomem::memory {

void Scorer::set_layout(GenomeLayout layout) {
  layout_ = std::move(layout);
  buffer_ = at::zeros({layout_.size()}, at::kFloat);
}

at::Tensor Scorer::parameter(const std::string& name) const {
  const GenomeEntry* entry = layout_.find(name);
  EVOMEM_CHECK(entry != nullptr, "scorer parameter missing: " + name);
  return buffer_.narrow(0, entry->offset, entry->size).view(entry->shape);
}

void Scorer::load(const std::vector<float>& values) {
  if (static_cast<std::int64_t>(values.size()) != layout_.size()) {
    throw InputError("genome has " + std::to_string(values.size()) + " values, the scorer expects " +
                     std::to_string(layout_.size()));
  }
  const at::Tensor source = at::from_blob(const_cast<float*>(values.data()), {layout_.size()}, at::kFloat);
  buffer_.copy_(source);
}

std::vector<float> Scorer::values() const {
  const at::Tensor cpu = buffer_.cpu().contiguous();
  return std::vector<float>(cpu.data_ptr<float>(), cpu.data_ptr<float>() + cpu.numel());
}

void Scorer::to(c10::Device device) {
  if (buffer_.device() != device) buffer_ = buffer_.to(device);
}

c10::Device Scorer::device() const { return buffer_.device(); }

std::unique_ptr<Scorer> make_scorer(const ScorerConfig& config, std::int64_t feature_dim) {
  if (config.type == ScorerType::kBam) return std::make_unique<BamScorer>(feature_dim, config.attention_dim);
  return std::make_unique<MlpScorer>(feature_dim, config.mlp_hidden, config.mlp_layers);
}

}  // namespace evomem::memory
