#pragma once
// Trains the built-in backbone: a byte-level BPE tokenizer on generated text, then a small
// Llama (GQA) on the synthetic retrieval tasks with a curriculum in length and a loss on the
// answer tokens (plus a small weight on the rest), AdamW, gradient clipping and a cosine
// schedule. Writes a Hugging Face checkpoint folder (config.json, model.safetensors,
// tokenizer.json, tokenizer_config.json) and checks that model::Backbone reproduces the
// trainer's logits. Same configuration and seed -> same weights on the same machine.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/config.h"
#include "model/config.h"

namespace evomem::training {

struct BackboneTrainingConfig {
  // Architecture (vocab_size comes from the tokenizer).
  std::int64_t hidden_size = 128;
  std::int64_t intermediate_size = 384;
  std::int64_t layers = 4;
  std::int64_t heads = 4;
  std::int64_t kv_heads = 2;
  double rope_theta = 10000.0;
  // Llama 3.1 RoPE scaling (rope_scaling "llama3" in config.json, low / high frequency factors
  // 1 and 4): wavelengths longer than rope_llama3_original_length turn rope_llama3_factor times
  // slower, those shorter than a quarter of it stay, the band between is blended. 1: none.
  double rope_llama3_factor = 1.0;
  std::int64_t rope_llama3_original_length = 0;
  std::int64_t max_position_embeddings = 8192;
  // Standard deviation of the initial weights and embeddings. GPT-2's 0.02 suits widths near
  // 768; at width 128 it leaves every attention logit and every copied embedding tiny, and
  // retrieval drills then sit for thousands of steps before they learn anything.
  double init_std = 0.02;
  // Tokenizer.
  std::int64_t merges = 600;
  std::int64_t tokenizer_corpus_length = 1024;  // tokens per corpus sample (bytes tokenizer)
  bool number_tokens = false;                   // every 1-3 digit number one token (see BpeTrainingOptions)
  bool uuid_pairs = false;                      // every pair of a UUID's hex digits one token (likewise)
  // Training.
  std::uint64_t seed = 0;
  std::int64_t steps = 2000;
  std::int64_t tokens_per_batch = 4096;
  std::vector<std::int64_t> stage_lengths = {256, 512, 1024, 2048};
  std::vector<double> stage_fractions = {0.3, 0.3, 0.25, 0.15};  // share of the steps per stage
  std::vector<std::string> train_tasks = {"synth_passkey", "synth_kv_retrieval", "synth_niah_single"};
  double learning_rate = 2e-3;
  double min_learning_rate = 1e-4;
  std::int64_t warmup_steps = 100;
  double weight_decay = 0.1;
  double grad_clip = 1.0;
  double context_loss_weight = 0.1;  // weight of non-answer tokens in the loss
  double copy_fraction = 0.0;        // share of examples that are copy drills (see the trainer)
  // Each kv_retrieval sample first asks for (and answers) this many other keys of its object.
  std::int64_t extra_kv_queries = 0;
  // Task samples of a stage are between this share of its length and its length.
  double min_length_fraction = 0.75;
  // Share of each stage's examples that are induction drills (see the trainer); empty: none.
  std::vector<double> stage_induction_fractions;
  std::int64_t drill_alphabet = 0;  // induction drills draw from this many token ids (0: all)
  std::int64_t threads = 2;         // LibTorch, OpenMP and OpenBLAS threads (model::apply_threads)
  // Where the model trains: "cpu", "cuda" or "cuda:N". The examples are always made on the CPU.
  std::string device = "cpu";
  // CPU threads that make each batch's examples (and the next batch's while a step runs);
  // any number gives the same examples.
  std::int64_t data_threads = 1;
  std::int64_t log_interval = 25;
  std::int64_t eval_interval = 250;        // held-out teacher-forced exact match
  std::int64_t eval_samples = 8;           // per task
  std::int64_t checkpoint_interval = 250;  // also write the folder every this many steps
  double time_limit_minutes = 0.0;         // > 0: stop (and write) after this long
  std::string output = "models/evomem-tiny";
  // Start from this checkpoint folder (same model shape and tokenizer settings) instead of
  // random weights: a long training can go on in several sittings. Empty: random weights.
  std::string init_from;
};

// The schema of configs/backbone_train.toml.
core::ConfigSchema backbone_training_schema();
BackboneTrainingConfig backbone_training_config(const core::Config& config);

struct BackboneTrainingResult {
  std::int64_t steps_done = 0;
  double seconds = 0.0;
  double final_loss = 0.0;
  double logits_max_difference = 0.0;                                // trainer forward vs model::Backbone on one sample
  std::vector<std::pair<std::string, double>> held_out_exact_match;  // last evaluation
};

BackboneTrainingResult train_backbone(const BackboneTrainingConfig& config);

// Largest absolute difference between the trainer's forward and model::Backbone's prefill
// logits for `tokens` on the checkpoint in `directory`.
double compare_with_backbone(const std::filesystem::path& directory, const std::vector<std::int64_t>& tokens);

}  // namespace evomem::training
