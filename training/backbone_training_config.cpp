// The settings of `evomem backbone train`: one table of keys, read and checked before any work.
#include <c10/core/Device.h>

#include <exception>

#include "core/config_table.h"
#include "core/error.h"
#include "model/threads.h"
#include "tasks/synthetic/suite.h"
#include "training/backbone_trainer.h"

namespace evomem::training {

namespace {

const core::ConfigTable<BackboneTrainingConfig>& training_table() {
  static const core::ConfigTable<BackboneTrainingConfig> table = [] {
    using B = BackboneTrainingConfig;
    const BackboneTrainingConfig d;
    core::ConfigTable<BackboneTrainingConfig> t;
    t.integer("model.hidden_size", d.hidden_size, "Hidden size", &B::hidden_size)
        .integer("model.intermediate_size", d.intermediate_size, "MLP width", &B::intermediate_size)
        .integer("model.layers", d.layers, "Decoder layers", &B::layers)
        .integer("model.heads", d.heads, "Query heads", &B::heads)
        .integer("model.kv_heads", d.kv_heads, "Key/value heads (GQA)", &B::kv_heads)
        .number("model.rope_theta", d.rope_theta, "RoPE base", &B::rope_theta)
        .number("model.rope_llama3_factor", d.rope_llama3_factor, "Llama 3.1 RoPE scaling factor (1: none)",
                &B::rope_llama3_factor)
        .integer("model.rope_llama3_original_length", d.rope_llama3_original_length,
                 "Wavelengths longer than this are slowed by rope_llama3_factor", &B::rope_llama3_original_length)
        .integer("model.max_position_embeddings", d.max_position_embeddings, "Context length written to config.json",
                 &B::max_position_embeddings)
        .number("model.init_std", d.init_std, "Standard deviation of the initial weights", &B::init_std)
        .integer("tokenizer.merges", d.merges, "BPE merges", &B::merges)
        .integer("tokenizer.corpus_length", d.tokenizer_corpus_length, "Length of each tokenizer corpus sample",
                 &B::tokenizer_corpus_length)
        .boolean("tokenizer.number_tokens", d.number_tokens, "Every number of 1-3 digits is one token",
                 &B::number_tokens)
        .boolean("tokenizer.uuid_pairs", d.uuid_pairs, "Every pair of a UUID's hex digits is one token", &B::uuid_pairs)
        .integer("training.seed", static_cast<std::int64_t>(d.seed), "Seed of weights and data", &B::seed)
        .integer("training.steps", d.steps, "Optimizer steps", &B::steps)
        .integer("training.tokens_per_batch", d.tokens_per_batch, "Tokens per batch (batch = this / stage length)",
                 &B::tokens_per_batch)
        .integer_list("training.stage_lengths", d.stage_lengths, "Curriculum: maximum prompt length of each stage",
                      &B::stage_lengths)
        .number_list("training.stage_fractions", d.stage_fractions, "Curriculum: share of the steps of each stage",
                     &B::stage_fractions)
        .string_list("training.tasks", d.train_tasks,
                     "Synthetic tasks trained on (one listed twice is drawn twice as often)", &B::train_tasks)
        .number("training.learning_rate", d.learning_rate, "Peak AdamW learning rate", &B::learning_rate)
        .number("training.min_learning_rate", d.min_learning_rate, "Learning rate at the end of the cosine",
                &B::min_learning_rate)
        .integer("training.warmup_steps", d.warmup_steps, "Linear warm-up steps", &B::warmup_steps)
        .number("training.weight_decay", d.weight_decay, "AdamW weight decay (matrices only)", &B::weight_decay)
        .number("training.grad_clip", d.grad_clip, "Gradient norm clip", &B::grad_clip)
        .number("training.context_loss_weight", d.context_loss_weight, "Loss weight of non-answer tokens",
                &B::context_loss_weight)
        .number("training.copy_fraction", d.copy_fraction, "Share of examples that are copy drills", &B::copy_fraction)
        .integer("training.extra_kv_queries", d.extra_kv_queries,
                 "Other keys asked (and answered) in each kv_retrieval sample", &B::extra_kv_queries)
        .number("training.min_length_fraction", d.min_length_fraction,
                "Task samples are this share of the stage length or longer", &B::min_length_fraction)
        .number_list("training.stage_induction_fractions", d.stage_induction_fractions,
                     "Curriculum: share of each stage's examples that are induction drills (empty: none)",
                     &B::stage_induction_fractions)
        .integer("training.drill_alphabet", d.drill_alphabet, "Token ids induction drills draw from (0: all)",
                 &B::drill_alphabet)
        .integer("training.threads", d.threads, "LibTorch, OpenMP and OpenBLAS threads (1..1024)", &B::threads)
        .string("training.device", d.device, "Where the model trains: cpu, cuda or cuda:N", &B::device)
        .integer("training.data_threads", d.data_threads, "CPU threads that make the examples", &B::data_threads)
        .integer("training.log_interval", d.log_interval, "Steps between loss lines", &B::log_interval)
        .integer("training.eval_interval", d.eval_interval, "Steps between held-out evaluations", &B::eval_interval)
        .integer("training.eval_samples", d.eval_samples, "Held-out samples per task", &B::eval_samples)
        .integer("training.checkpoint_interval", d.checkpoint_interval, "Steps between checkpoint writes",
                 &B::checkpoint_interval)
        .number("training.time_limit_minutes", d.time_limit_minutes, "Stop after this long (0: no limit)",
                &B::time_limit_minutes)
        .string("output.directory", d.output, "Checkpoint folder written", &B::output)
        .string("training.init_from", d.init_from,
                "Checkpoint folder whose weights and tokenizer to start from (empty: random weights and a "
                "tokenizer trained from [tokenizer])",
                &B::init_from);
    return t;
  }();
  return table;
}

}  // namespace

core::ConfigSchema backbone_training_schema() {
  core::ConfigSchema schema;
  training_table().declare(schema);
  return schema;
}

BackboneTrainingConfig backbone_training_config(const core::Config& config) {
  BackboneTrainingConfig c;
  training_table().read(config, c);
  if (c.stage_lengths.empty() || c.stage_lengths.size() != c.stage_fractions.size()) {
    throw ConfigError("training.stage_lengths and training.stage_fractions must be non-empty and of equal length");
  }
  if (c.hidden_size % c.heads != 0 || c.heads % c.kv_heads != 0) {
    throw ConfigError("model.hidden_size must be a multiple of model.heads, and heads a multiple of kv_heads");
  }
  if (c.rope_llama3_factor < 1.0 || (c.rope_llama3_factor > 1.0 && c.rope_llama3_original_length <= 0)) {
    throw ConfigError(
        "model.rope_llama3_factor must be >= 1, and above 1 it needs a positive model.rope_llama3_original_length");
  }
  if (!c.stage_induction_fractions.empty() && c.stage_induction_fractions.size() != c.stage_lengths.size()) {
    throw ConfigError(
        "training.stage_induction_fractions must be empty or have one entry per stage of training.stage_lengths");
  }
  if (c.copy_fraction < 0.0 || c.copy_fraction > 1.0) throw ConfigError("training.copy_fraction must be in [0, 1]");
  for (const double induction : c.stage_induction_fractions) {
    if (induction < 0.0 || c.copy_fraction + induction > 1.0) {
      throw ConfigError(
          "each of training.stage_induction_fractions must be >= 0 and, with training.copy_fraction, at most 1");
    }
  }
  if (c.steps <= 0 || c.tokens_per_batch <= 0 || c.train_tasks.empty()) {
    throw ConfigError("training.steps, training.tokens_per_batch and training.tasks must be positive / non-empty");
  }
  for (const auto& task : c.train_tasks) tasks::synthetic_task_spec(task);  // InputError for unknown names
  if (c.threads < 1 || c.threads > model::kMaxThreads) {
    throw ConfigError("training.threads must be 1.." + std::to_string(model::kMaxThreads));
  }
  if (c.data_threads < 1) throw ConfigError("training.data_threads must be at least 1");
  if (c.extra_kv_queries < 0) throw ConfigError("training.extra_kv_queries must be >= 0");
  if (!(c.min_length_fraction > 0.0 && c.min_length_fraction <= 1.0)) {
    throw ConfigError("training.min_length_fraction must be in (0, 1]");
  }
  // Only the spelling here: the committed GPU sittings must parse on machines without one.
  bool known_device = false;
  try {
    const c10::Device device(c.device);
    known_device = device.is_cpu() || device.is_cuda();
  } catch (const std::exception&) {
  }
  if (!known_device) throw ConfigError("training.device must be cpu, cuda or cuda:N, not '" + c.device + "'");
  return c;
}

}  // namespace evomem::training
