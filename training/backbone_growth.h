#pragma once
// Widening a trained backbone: more residual width, attention heads and MLP units, with the
// same function at the start (Net2Net-style growth). A sitting can then continue the chain of
// sittings with more capacity instead of starting over. The new entries of matrices that read
// the residual stream or the attention heads are drawn at random; the new entries of the
// matrices that write back into the residual stream are zero, so the new units contribute
// nothing until training moves those zeros, and gradients reach them through the random reads.

#include <cstdint>
#include <string>

#include "model/config.h"
#include "training/backbone_trainer_model.h"

namespace evomem::training {

// Empty when `wider` can be grown from `trained`; otherwise why not (one line). Growth keeps
// the vocabulary, layers, head_dim and heads per KV head, and never shrinks a size. RoPE may
// differ: no weight depends on it, and the sitting that continues trains to the new one.
std::string widening_problem(const model::LlamaConfig& trained, const model::LlamaConfig& wider);

// `trained` grown to the shape of `wider` (which must pass widening_problem); new random
// entries ~ N(0, init_std^2) drawn from `seed` on the CPU. The logits equal the trained
// model's up to the RMSNorm epsilon (the norms' weights are rescaled for the zero new
// dimensions, which lower the mean square by hidden / hidden').
TrainableLlama widen(const TrainableLlama& trained, const model::LlamaConfig& wider, std::uint64_t seed,
                     double init_std);

}  // namespace evomem::training
