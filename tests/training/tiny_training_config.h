#pragma once
// A backbone training configuration that runs in about a second: a 2-layer width-32 model, a
// 50-merge tokenizer, three steps of five examples of every kind (task samples, copy and
// induction drills) in one stage. Shared by the CPU and GPU trainer tests.

#include "training/backbone_trainer.h"

namespace evomem::training {

inline BackboneTrainingConfig tiny_training_config() {
  BackboneTrainingConfig config;
  config.hidden_size = 32;
  config.intermediate_size = 64;
  config.layers = 2;
  config.heads = 2;
  config.kv_heads = 1;
  config.merges = 50;
  config.tokenizer_corpus_length = 1000;
  config.steps = 3;
  config.tokens_per_batch = 2000;
  config.stage_lengths = {400};
  config.stage_fractions = {1.0};
  config.warmup_steps = 1;
  config.eval_interval = 100;
  config.eval_samples = 1;
  config.checkpoint_interval = 100;
  config.threads = 1;
  config.copy_fraction = 0.2;
  config.stage_induction_fractions = {0.3};
  return config;
}

}  // namespace evomem::training
