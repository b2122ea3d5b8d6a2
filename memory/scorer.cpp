#include "memory/scorer.h"

#include <ATen/ATen.h>

#include "core/error.h"
#include "memory/bam_scorer.h"
#include "memory/mlp_scorer.h"

namespace evomem::memory {

void Scorer::set_layout(GenomeLayout layout) {
  layout_ = std::move(layout);
  buffer_ = at::zeros({1, layout_.size()}, at::kFloat);
}

at::Tensor Scorer::parameters(const std::string& name) const {
  const GenomeEntry* entry = layout_.find(name);
  EVOMEM_CHECK(entry != nullptr, "scorer parameter missing: " + name);
  std::vector<std::int64_t> shape = {genomes()};
  shape.insert(shape.end(), entry->shape.begin(), entry->shape.end());
  return buffer_.narrow(1, entry->offset, entry->size).view(shape);
}

at::Tensor Scorer::parameter(const std::string& name) const {
  EVOMEM_CHECK(genomes() == 1, "scorer: one parameter set asked of " + std::to_string(genomes()) + " genomes");
  return parameters(name).select(0, 0);
}

at::Tensor Scorer::affine(const at::Tensor& x, const std::vector<std::string>& weights,
                          const std::vector<std::string>& biases) const {
  const bool shared = genomes() == 1;
  const auto stacked = [&](const std::vector<std::string>& names) {
    std::vector<at::Tensor> parts;
    for (const std::string& name : names) parts.push_back(shared ? parameter(name) : parameters(name));
    return parts.size() == 1 ? parts.front() : at::cat(parts, shared ? 0 : 1);
  };
  if (shared) return at::linear(x, stacked(weights), stacked(biases));
  EVOMEM_CHECK(x.dim() == 3 && x.size(0) == genomes(),
               "scorer: " + std::to_string(genomes()) + " genomes score " + std::to_string(x.size(0)) + " rows");
  return at::baddbmm(stacked(biases).unsqueeze(1), x, stacked(weights).transpose(1, 2));
}

void Scorer::load(const std::vector<float>& values) { load_genomes(values, 1); }

void Scorer::load_genomes(const std::vector<float>& values, std::int64_t count) {
  if (count < 1 || static_cast<std::int64_t>(values.size()) != count * layout_.size()) {
    throw InputError("genome has " + std::to_string(values.size()) + " values, the scorer expects " +
                     std::to_string(layout_.size()) + (count > 1 ? " for each of " + std::to_string(count) : ""));
  }
  if (buffer_.size(0) != count) buffer_ = at::empty({count, layout_.size()}, buffer_.options());
  const at::Tensor source = at::from_blob(const_cast<float*>(values.data()), {count, layout_.size()}, at::kFloat);
  buffer_.copy_(source);
}

std::vector<float> Scorer::values(std::int64_t index) const {
  const at::Tensor cpu = buffer_.select(0, index).cpu().contiguous();
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
