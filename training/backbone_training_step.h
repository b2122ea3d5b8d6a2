#pragma once
// One optimisation step's forward and backward for the backbone trainer: examples of unequal
// length, a loss weight per token, and the choice between one padded batch and one example at
// a time.

#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "training/backbone_examples.h"
#include "training/backbone_trainer_model.h"

namespace evomem::training {

// Accumulates into the parameters' gradients the gradient of sum(weight x nll) / sum(weight)
// over all `examples` (nll of each next token; padding after an example weighs 0). Returns a
// [2, examples] float tensor on the CPU: each example's weighted loss sum and weight sum, read
// from the device in one copy. `padded_batch`: run the examples as one batch padded with
// `pad_id` to the longest (what a GPU wants); otherwise each runs alone, which on the CPU
// saves the time padding would cost. Both give the same gradient up to float rounding.
torch::Tensor step_forward_backward(const TrainableLlama& llama, const std::vector<Example>& examples,
                                    std::int64_t pad_id, bool padded_batch);

}  // namespace evomem::training
