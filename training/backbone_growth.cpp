#include "training/backbone_growth.h"

#include <cmath>
#include <map>

#include "core/error.h"
#include "core/text.h"
#include "model/weights.h"

namespace evomem::training {
namespace {

// Matrices whose output goes back into the residual stream: their new entries must be zero.
bool writes_residual(const std::string& name) {
  return core::ends_with(name, "o_proj.weight") || core::ends_with(name, "down_proj.weight") ||
         name == "model.embed_tokens.weight";
}

}  // namespace

std::string widening_problem(const model::LlamaConfig& trained, const model::LlamaConfig& wider) {
  // A size that must stay (`may_grow` false) or may only grow, named with its change when it breaks that.
  const auto check = [](const char* what, std::int64_t from, std::int64_t to, bool may_grow) {
    const bool fine = may_grow ? to >= from : to == from;
    return fine ? std::string() : std::string(what) + " " + std::to_string(from) + " -> " + std::to_string(to);
  };
  for (const auto& problem : {check("vocab_size", trained.vocab_size, wider.vocab_size, false),
                              check("layers", trained.num_hidden_layers, wider.num_hidden_layers, false),
                              check("head_dim", trained.head_dim, wider.head_dim, false),
                              check("heads per KV head", trained.group_size(), wider.group_size(), false),
                              check("hidden_size", trained.hidden_size, wider.hidden_size, true),
                              check("heads", trained.num_attention_heads, wider.num_attention_heads, true),
                              check("intermediate_size", trained.intermediate_size, wider.intermediate_size, true)}) {
    if (!problem.empty()) return problem;
  }
  if (trained.tie_word_embeddings != wider.tie_word_embeddings) return "tie_word_embeddings differs";
  return {};
}

TrainableLlama widen(const TrainableLlama& trained, const model::LlamaConfig& wider, std::uint64_t seed,
                     double init_std) {
  const auto problem = widening_problem(trained.config(), wider);
  EVOMEM_CHECK(problem.empty(), "cannot widen the backbone: " + problem);
  // Zero new residual dimensions lower the mean square by hidden / hidden', so RMSNorm would
  // scale its output up by sqrt(hidden' / hidden); the norm weights absorb that.
  const double norm_scale = std::sqrt(static_cast<double>(trained.config().hidden_size) /
                                      static_cast<double>(wider.hidden_size));
  torch::manual_seed(seed);
  std::map<std::string, torch::Tensor> parameters;
  for (const auto& name : model::expected_tensor_names(wider)) {
    const auto old_value = trained.named_parameters().at(name).detach().to(torch::kCPU, torch::kFloat);
    const auto shape = model::expected_tensor_shape(wider, name);
    torch::Tensor value;
    if (core::ends_with(name, "norm.weight")) {
      value = torch::full(shape, norm_scale);
      value.slice(0, 0, old_value.size(0)).copy_(old_value * norm_scale);
    } else {
      value = writes_residual(name) ? torch::zeros(shape) : torch::randn(shape) * init_std;
      // New heads, KV heads and MLP units come after the old ones, so an old query head keeps
      // its KV head (same heads per KV head) and the old block stays in the top-left corner.
      value.slice(0, 0, old_value.size(0)).slice(1, 0, old_value.size(1)).copy_(old_value);
    }
    parameters[name] = value;
  }
  return TrainableLlama::from_parameters(wider, std::move(parameters), trained.device());
}

}  // namespace evomem::training
