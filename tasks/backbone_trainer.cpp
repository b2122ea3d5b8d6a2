#include "tasks/backbone_trainer.h"

#include <torch/torch.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <exception>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include "core/error.h"
#include "core/files.h"
#include "core/logging.h"
#include "core/progress.h"
#include "model/backbone.h"
#include "model/tokenizer.h"
#include "model/weights.h"
#include "tasks/backbone_examples.h"
#include "tasks/backbone_growth.h"
#include "tasks/backbone_trainer_model.h"
#include "tasks/backbone_training_step.h"
#include "tasks/bpe_trainer.h"
#include "tasks/prompt_builder.h"
#include "tasks/synthetic_generators.h"
#include "tasks/synthetic_random.h"
#include "tasks/synthetic_tasks.h"
#include "tasks/synthetic_tokenizer.h"

namespace evomem::tasks {
namespace {

SyntheticSample draw_sample(const std::string& task, std::size_t length, double depth, std::uint64_t seed,
                            const SyntheticTokenizer& functions) {
  SyntheticOptions options;
  options.task = task;
  options.length = length;
  options.samples = 1;
  options.seed = seed;
  options.depth = depth;
  options.length_tolerance = 0.1;  // short curriculum stages are a few sentences off at most
  return generate_synthetic(options, functions).at(0);
}

// What one example of a batch will be, drawn from the data stream in order; the example itself
// is then made from the plan alone, so batches can be made on several threads (and ahead of
// the step that uses them) and still be the same whatever the number of threads.
struct ExamplePlan {
  enum class Kind { kTask, kCopyDrill, kInductionDrill } kind = Kind::kTask;
  std::string task;
  std::size_t length = 0;
  double depth = 0.0;
  std::uint64_t seed = 0;
};

// Everything making an example needs besides its plan.
struct ExampleMaker {
  const model::Tokenizer& tokenizer;
  const SyntheticTokenizer& functions;
  std::int64_t vocabulary;  // ordinary token ids, [0, vocabulary); the BOS id is `vocabulary`
  std::int64_t drill_alphabet;
  double context_weight;
  std::size_t extra_kv_queries;

  Example operator()(const ExamplePlan& plan) const {
    SyntheticRng rng(plan.seed);
    switch (plan.kind) {
      case ExamplePlan::Kind::kCopyDrill: return make_copy_drill(plan.length, rng, tokenizer);
      case ExamplePlan::Kind::kInductionDrill: return make_induction_drill(plan.length, rng, vocabulary, drill_alphabet);
      case ExamplePlan::Kind::kTask: break;
    }
    return make_example(draw_sample(plan.task, plan.length, plan.depth, plan.seed, functions), tokenizer, context_weight,
                        extra_kv_queries, rng.next());
  }
};

std::vector<Example> make_examples(const std::vector<ExamplePlan>& plans, const ExampleMaker& maker, std::int64_t threads) {
  std::vector<Example> examples(plans.size());
  std::atomic<std::size_t> next{0};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  const auto work = [&] {
    for (std::size_t i = next++; i < plans.size(); i = next++) {
      try {
        examples[i] = maker(plans[i]);
      } catch (...) {
        const std::lock_guard<std::mutex> lock(failure_mutex);
        if (!failure) failure = std::current_exception();
      }
    }
  };
  std::vector<std::thread> workers;
  const auto extra = std::min<std::size_t>(static_cast<std::size_t>(std::max<std::int64_t>(1, threads)), plans.size());
  for (std::size_t t = 1; t < extra; ++t) workers.emplace_back(work);
  work();
  for (auto& worker : workers) worker.join();
  if (failure) std::rethrow_exception(failure);
  return examples;
}

std::size_t stage_of(const BackboneTrainingConfig& config, std::int64_t step) {
  double boundary = 0.0;
  for (std::size_t s = 0; s < config.stage_fractions.size(); ++s) {
    boundary += config.stage_fractions[s] * static_cast<double>(config.steps);
    if (static_cast<double>(step) < boundary) return s;
  }
  return config.stage_fractions.size() - 1;
}

double learning_rate_at(const BackboneTrainingConfig& config, std::int64_t step) {
  if (step < config.warmup_steps) {
    return config.learning_rate * static_cast<double>(step + 1) / static_cast<double>(config.warmup_steps);
  }
  const double progress = static_cast<double>(step - config.warmup_steps) /
                          static_cast<double>(std::max<std::int64_t>(1, config.steps - config.warmup_steps));
  const double cosine = 0.5 * (1.0 + std::cos(M_PI * std::min(1.0, progress)));
  return config.min_learning_rate + (config.learning_rate - config.min_learning_rate) * cosine;
}

// Share of examples whose answer tokens are all the argmax of the teacher-forced logits; that
// is exactly when greedy decoding writes the answer.
std::vector<std::pair<std::string, double>> exact_match(const TrainableLlama& llama, const std::vector<Example>& held_out,
                                                        const std::vector<std::string>& tasks) {
  torch::NoGradGuard no_grad;
  std::vector<std::pair<std::string, double>> scores;
  for (const auto& task : tasks) {
    double hits = 0.0;
    double count = 0.0;
    for (const auto& example : held_out) {
      if (example.task != task) continue;
      const auto tokens = torch::tensor(example.tokens, torch::kLong).unsqueeze(0).to(llama.device());
      const auto predicted = llama.forward(tokens).argmax(-1)[0].cpu();
      bool correct = true;
      for (std::size_t t = example.answer_begin; t < example.answer_end; ++t) {
        correct = correct && predicted[static_cast<std::int64_t>(t) - 1].item<std::int64_t>() == example.tokens[t];
      }
      hits += correct ? 1.0 : 0.0;
      count += 1.0;
    }
    scores.emplace_back(task, count > 0 ? hits / count : 0.0);
  }
  return scores;
}

// Merges learned on generated text of every synthetic task, measured in bytes.
TrainedTokenizer train_tokenizer(const BackboneTrainingConfig& config) {
  const auto bytes_only = train_bpe({"x"}, BpeTrainingOptions{0});
  const auto byte_tokenizer = model::Tokenizer::from_json(bytes_only.tokenizer, &bytes_only.tokenizer_config, "bytes");
  std::vector<std::string> corpus;
  for (const auto& task : synthetic_task_names()) {
    SyntheticOptions options;
    options.task = task;
    options.length = static_cast<std::size_t>(config.tokenizer_corpus_length);
    options.samples = 4;
    options.seed = config.seed;
    options.length_tolerance = 1.0;  // a byte is a token here; the corpus only needs the text
    for (const auto& sample : generate_synthetic(options, synthetic_tokenizer(byte_tokenizer))) {
      corpus.push_back(fill_template(synthetic_task_spec(task).prompt_template,
                                     {{"context", sample.context}, {"input", sample.input}}, task) +
                       answer_text(sample));
    }
  }
  BpeTrainingOptions bpe;
  bpe.merges = static_cast<std::size_t>(config.merges);
  bpe.number_tokens = config.number_tokens;
  bpe.uuid_pairs = config.uuid_pairs;
  bpe.model_max_length = static_cast<std::size_t>(config.max_position_embeddings);
  return train_bpe(corpus, bpe);
}

void write_folder(const TrainableLlama& llama, const TrainedTokenizer& tokenizer, const BackboneTrainingConfig& config,
                  std::int64_t step, const std::vector<std::pair<std::string, double>>& scores) {
  llama.save_checkpoint(config.output);
  write_tokenizer_files(tokenizer, config.output);
  core::Json record{{"step", step}, {"steps", config.steps}, {"seed", config.seed}};
  for (const auto& [task, score] : scores) record["held_out_exact_match"][task] = score;
  core::write_text_file_atomically(std::filesystem::path(config.output) / "training.json", record.dump(2) + "\n");
}

}  // namespace

core::ConfigSchema backbone_training_schema() {
  const BackboneTrainingConfig d;
  core::ConfigSchema schema;
  schema.integer("model.hidden_size", d.hidden_size, "Hidden size")
      .integer("model.intermediate_size", d.intermediate_size, "MLP width")
      .integer("model.layers", d.layers, "Decoder layers")
      .integer("model.heads", d.heads, "Query heads")
      .integer("model.kv_heads", d.kv_heads, "Key/value heads (GQA)")
      .number("model.rope_theta", d.rope_theta, "RoPE base")
      .number("model.rope_llama3_factor", d.rope_llama3_factor, "Llama 3.1 RoPE scaling factor (1: none)")
      .integer("model.rope_llama3_original_length", d.rope_llama3_original_length,
               "Wavelengths longer than this are slowed by rope_llama3_factor")
      .integer("model.max_position_embeddings", d.max_position_embeddings, "Context length written to config.json")
      .number("model.init_std", d.init_std, "Standard deviation of the initial weights")
      .integer("tokenizer.merges", d.merges, "BPE merges")
      .integer("tokenizer.corpus_length", d.tokenizer_corpus_length, "Length of each tokenizer corpus sample")
      .boolean("tokenizer.number_tokens", d.number_tokens, "Every number of 1-3 digits is one token")
      .boolean("tokenizer.uuid_pairs", d.uuid_pairs, "Every pair of a UUID's hex digits is one token")
      .integer("training.seed", static_cast<std::int64_t>(d.seed), "Seed of weights and data")
      .integer("training.steps", d.steps, "Optimizer steps")
      .integer("training.tokens_per_batch", d.tokens_per_batch, "Tokens per batch (batch = this / stage length)")
      .integer_list("training.stage_lengths", d.stage_lengths, "Curriculum: maximum prompt length of each stage")
      .number_list("training.stage_fractions", d.stage_fractions, "Curriculum: share of the steps of each stage")
      .string_list("training.tasks", d.train_tasks, "Synthetic tasks trained on (one listed twice is drawn twice as often)")
      .number("training.learning_rate", d.learning_rate, "Peak AdamW learning rate")
      .number("training.min_learning_rate", d.min_learning_rate, "Learning rate at the end of the cosine")
      .integer("training.warmup_steps", d.warmup_steps, "Linear warm-up steps")
      .number("training.weight_decay", d.weight_decay, "AdamW weight decay (matrices only)")
      .number("training.grad_clip", d.grad_clip, "Gradient norm clip")
      .number("training.context_loss_weight", d.context_loss_weight, "Loss weight of non-answer tokens")
      .number("training.copy_fraction", d.copy_fraction, "Share of examples that are copy drills")
      .integer("training.extra_kv_queries", d.extra_kv_queries, "Other keys asked (and answered) in each kv_retrieval sample")
      .number("training.min_length_fraction", d.min_length_fraction, "Task samples are this share of the stage length or longer")
      .number_list("training.stage_induction_fractions", d.stage_induction_fractions,
                   "Curriculum: share of each stage's examples that are induction drills (empty: none)")
      .integer("training.drill_alphabet", d.drill_alphabet, "Token ids induction drills draw from (0: all)")
      .integer("training.threads", d.threads, "torch::set_num_threads")
      .string("training.device", d.device, "Where the model trains: cpu, cuda or cuda:N")
      .integer("training.data_threads", d.data_threads, "CPU threads that make the examples")
      .integer("training.log_interval", d.log_interval, "Steps between loss lines")
      .integer("training.eval_interval", d.eval_interval, "Steps between held-out evaluations")
      .integer("training.eval_samples", d.eval_samples, "Held-out samples per task")
      .integer("training.checkpoint_interval", d.checkpoint_interval, "Steps between checkpoint writes")
      .number("training.time_limit_minutes", d.time_limit_minutes, "Stop after this long (0: no limit)")
      .string("output.directory", d.output, "Checkpoint folder written")
      .string("training.init_from", d.init_from,
              "Checkpoint folder whose weights and tokenizer to start from (empty: random weights and a "
              "tokenizer trained from [tokenizer])");
  return schema;
}

BackboneTrainingConfig backbone_training_config(const core::Config& config) {
  BackboneTrainingConfig c;
  c.hidden_size = config.get_int("model.hidden_size");
  c.intermediate_size = config.get_int("model.intermediate_size");
  c.layers = config.get_int("model.layers");
  c.heads = config.get_int("model.heads");
  c.kv_heads = config.get_int("model.kv_heads");
  c.rope_theta = config.get_double("model.rope_theta");
  c.rope_llama3_factor = config.get_double("model.rope_llama3_factor");
  c.rope_llama3_original_length = config.get_int("model.rope_llama3_original_length");
  c.max_position_embeddings = config.get_int("model.max_position_embeddings");
  c.merges = config.get_int("tokenizer.merges");
  c.tokenizer_corpus_length = config.get_int("tokenizer.corpus_length");
  c.seed = static_cast<std::uint64_t>(config.get_int("training.seed"));
  c.steps = config.get_int("training.steps");
  c.tokens_per_batch = config.get_int("training.tokens_per_batch");
  c.stage_lengths = config.get_ints("training.stage_lengths");
  c.stage_fractions = config.get_doubles("training.stage_fractions");
  c.train_tasks = config.get_strings("training.tasks");
  c.learning_rate = config.get_double("training.learning_rate");
  c.min_learning_rate = config.get_double("training.min_learning_rate");
  c.warmup_steps = config.get_int("training.warmup_steps");
  c.weight_decay = config.get_double("training.weight_decay");
  c.grad_clip = config.get_double("training.grad_clip");
  c.context_loss_weight = config.get_double("training.context_loss_weight");
  c.copy_fraction = config.get_double("training.copy_fraction");
  c.extra_kv_queries = config.get_int("training.extra_kv_queries");
  c.min_length_fraction = config.get_double("training.min_length_fraction");
  c.init_std = config.get_double("model.init_std");
  c.stage_induction_fractions = config.get_doubles("training.stage_induction_fractions");
  c.drill_alphabet = config.get_int("training.drill_alphabet");
  c.number_tokens = config.get_bool("tokenizer.number_tokens");
  c.uuid_pairs = config.get_bool("tokenizer.uuid_pairs");
  c.threads = config.get_int("training.threads");
  c.device = config.get_string("training.device");
  c.data_threads = config.get_int("training.data_threads");
  c.log_interval = config.get_int("training.log_interval");
  c.eval_interval = config.get_int("training.eval_interval");
  c.eval_samples = config.get_int("training.eval_samples");
  c.checkpoint_interval = config.get_int("training.checkpoint_interval");
  c.time_limit_minutes = config.get_double("training.time_limit_minutes");
  c.output = config.get_string("output.directory");
  c.init_from = config.get_string("training.init_from");
  if (c.stage_lengths.empty() || c.stage_lengths.size() != c.stage_fractions.size()) {
    throw ConfigError("training.stage_lengths and training.stage_fractions must be non-empty and of equal length");
  }
  if (c.hidden_size % c.heads != 0 || c.heads % c.kv_heads != 0) {
    throw ConfigError("model.hidden_size must be a multiple of model.heads, and heads a multiple of kv_heads");
  }
  if (c.rope_llama3_factor < 1.0 || (c.rope_llama3_factor > 1.0 && c.rope_llama3_original_length <= 0)) {
    throw ConfigError("model.rope_llama3_factor must be >= 1, and above 1 it needs a positive model.rope_llama3_original_length");
  }
  if (!c.stage_induction_fractions.empty() && c.stage_induction_fractions.size() != c.stage_lengths.size()) {
    throw ConfigError("training.stage_induction_fractions must be empty or have one entry per stage of training.stage_lengths");
  }
  if (c.copy_fraction < 0.0 || c.copy_fraction > 1.0) throw ConfigError("training.copy_fraction must be in [0, 1]");
  for (const double induction : c.stage_induction_fractions) {
    if (induction < 0.0 || c.copy_fraction + induction > 1.0) {
      throw ConfigError("each of training.stage_induction_fractions must be >= 0 and, with training.copy_fraction, at most 1");
    }
  }
  if (c.steps <= 0 || c.tokens_per_batch <= 0 || c.train_tasks.empty()) {
    throw ConfigError("training.steps, training.tokens_per_batch and training.tasks must be positive / non-empty");
  }
  for (const auto& task : c.train_tasks) synthetic_task_spec(task);  // InputError for unknown names
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

BackboneTrainingResult train_backbone(const BackboneTrainingConfig& config) {
  const auto started = std::chrono::steady_clock::now();
  const auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(); };
  torch::set_num_threads(static_cast<int>(config.threads));
  const c10::Device device = [&] {
    try {
      return model::parse_device(config.device);
    } catch (const InputError& error) {
      throw ConfigError(std::string("training.device: ") + error.what());
    }
  }();

  // A checkpoint's weights belong to its tokenizer, so a sitting that starts from one keeps it
  // and training.seed changes only the data; a first sitting trains one from [tokenizer].
  const bool continuing = !config.init_from.empty();
  const TrainedTokenizer trained_tokenizer = continuing ? read_tokenizer_files(config.init_from) : train_tokenizer(config);
  const auto tokenizer =
      model::Tokenizer::from_json(trained_tokenizer.tokenizer, &trained_tokenizer.tokenizer_config, "backbone tokenizer");
  const auto functions = synthetic_tokenizer(tokenizer);
  core::log::info("tokenizer: {} tokens ({}) in {:.1f} s", trained_tokenizer.vocab_size,
                  continuing ? "from " + config.init_from : std::to_string(config.merges) + " merges", elapsed());

  model::LlamaConfig llama_config;
  llama_config.vocab_size = static_cast<std::int64_t>(trained_tokenizer.vocab_size);
  llama_config.hidden_size = config.hidden_size;
  llama_config.intermediate_size = config.intermediate_size;
  llama_config.num_hidden_layers = config.layers;
  llama_config.num_attention_heads = config.heads;
  llama_config.num_key_value_heads = config.kv_heads;
  llama_config.head_dim = config.hidden_size / config.heads;
  llama_config.rms_norm_eps = 1e-5;
  llama_config.rope_theta = config.rope_theta;
  if (config.rope_llama3_factor > 1.0) {
    llama_config.rope_scaling.type = model::RopeScaling::Type::kLlama3;
    llama_config.rope_scaling.factor = config.rope_llama3_factor;
    llama_config.rope_scaling.original_max_position_embeddings = config.rope_llama3_original_length;
  }
  llama_config.max_position_embeddings = config.max_position_embeddings;
  llama_config.tie_word_embeddings = true;
  llama_config.bos_token_ids = {trained_tokenizer.bos_id};
  llama_config.eos_token_ids = {trained_tokenizer.eos_id};
  llama_config.torch_dtype = "float32";
  TrainableLlama llama = continuing ? TrainableLlama::from_checkpoint(config.init_from, device)
                                    : TrainableLlama(llama_config, config.seed, config.init_std, device);
  if (continuing) {
    const auto& loaded = llama.config();
    const auto problem = widening_problem(loaded, llama_config);
    if (!problem.empty()) {
      throw ConfigError("training.init_from: " + config.init_from + " holds a model that [model] can only widen, not reshape (" +
                        problem + "); set [model] to its shape or a wider one");
    }
    const auto rope = [](const model::LlamaConfig& c) {
      const auto json = model::config_to_json(c);
      return "theta " + json["rope_theta"].dump() + ", scaling " + json["rope_scaling"].dump();
    };
    if (rope(loaded) != rope(llama_config)) {
      // No weight depends on RoPE: the sitting trains them to the new frequencies.
      core::log::info("moving the weights in {} from RoPE {} to {}", config.init_from, rope(loaded), rope(llama_config));
    }
    if (loaded.hidden_size == llama_config.hidden_size && loaded.num_attention_heads == llama_config.num_attention_heads &&
        loaded.intermediate_size == llama_config.intermediate_size) {
      core::log::info("starting from the weights in {}", config.init_from);
      llama = TrainableLlama::from_parameters(llama_config, llama.named_parameters(), device);
    } else {
      core::log::info("widening the weights in {} from hidden {} / {} heads / MLP {} to {} / {} / {}", config.init_from,
                      loaded.hidden_size, loaded.num_attention_heads, loaded.intermediate_size, llama_config.hidden_size,
                      llama_config.num_attention_heads, llama_config.intermediate_size);
      llama = widen(llama, llama_config, config.seed, config.init_std);
    }
  }
  core::log::info("model: {} parameters, {} layers, {} query / {} KV heads", llama_config.parameter_count(),
                  config.layers, config.heads, config.kv_heads);

  std::vector<torch::optim::OptimizerParamGroup> groups;
  std::vector<torch::Tensor> decayed;
  std::vector<torch::Tensor> plain;
  for (const auto& [name, value] : llama.named_parameters()) (TrainableLlama::decays(name) ? decayed : plain).push_back(value);
  auto decay_options = std::make_unique<torch::optim::AdamWOptions>(config.learning_rate);
  decay_options->betas({0.9, 0.95}).weight_decay(config.weight_decay);
  auto plain_options = std::make_unique<torch::optim::AdamWOptions>(config.learning_rate);
  plain_options->betas({0.9, 0.95}).weight_decay(0.0);
  groups.emplace_back(decayed, std::move(decay_options));
  groups.emplace_back(plain, std::move(plain_options));
  torch::optim::AdamW optimizer(groups, torch::optim::AdamWOptions(config.learning_rate));

  // Held-out samples come from a stream the training data never uses; each task once, however
  // often it is listed (listing it again only makes training draw it more often).
  const std::size_t eval_length = static_cast<std::size_t>(config.stage_lengths.back());
  std::vector<std::string> held_out_tasks;
  for (const auto& task : config.train_tasks) {
    if (std::find(held_out_tasks.begin(), held_out_tasks.end(), task) == held_out_tasks.end()) held_out_tasks.push_back(task);
  }
  std::vector<Example> held_out;
  SyntheticRng eval_rng(config.seed ^ 0x5EED0FE7A1ULL);
  for (const auto& task : held_out_tasks) {
    for (std::int64_t i = 0; i < config.eval_samples; ++i) {
      const double depth = static_cast<double>(i) / static_cast<double>(std::max<std::int64_t>(1, config.eval_samples - 1));
      held_out.push_back(make_example(draw_sample(task, eval_length, depth, eval_rng.next() | (1ULL << 63), functions),
                                      tokenizer, config.context_loss_weight));
    }
  }

  // Plans are drawn here, in step order; their examples are made on the data threads while the
  // step before runs.
  SyntheticRng data_rng(config.seed);
  const ExampleMaker maker{tokenizer,
                           functions,
                           trained_tokenizer.bos_id,
                           config.drill_alphabet,
                           config.context_loss_weight,
                           static_cast<std::size_t>(config.extra_kv_queries)};
  const auto prepare = [&](std::int64_t at_step) {
    const std::size_t stage = stage_of(config, at_step);
    const std::int64_t stage_length = config.stage_lengths[stage];
    const double induction_fraction =
        config.stage_induction_fractions.empty() ? 0.0 : config.stage_induction_fractions[stage];
    std::vector<ExamplePlan> plans(static_cast<std::size_t>(std::max<std::int64_t>(1, config.tokens_per_batch / stage_length)));
    for (auto& plan : plans) {
      const auto draw = static_cast<double>(data_rng.below(1000));
      plan.length = static_cast<std::size_t>(stage_length);
      if (draw < 1000.0 * config.copy_fraction) {
        plan.kind = ExamplePlan::Kind::kCopyDrill;
      } else if (draw < 1000.0 * (config.copy_fraction + induction_fraction)) {
        plan.kind = ExamplePlan::Kind::kInductionDrill;
      } else {
        plan.task = config.train_tasks[data_rng.below(config.train_tasks.size())];
        plan.length = static_cast<std::size_t>(
            data_rng.between(std::llround(config.min_length_fraction * static_cast<double>(stage_length)), stage_length));
        plan.depth = static_cast<double>(data_rng.below(1001)) / 1000.0;
      }
      plan.seed = data_rng.next() >> 1;
    }
    return std::async(std::launch::async, [plans = std::move(plans), &maker, threads = config.data_threads] {
      return make_examples(plans, maker, threads);
    });
  };
  auto next_examples = prepare(0);
  BackboneTrainingResult result;
  std::vector<std::pair<std::string, double>> scores;
  core::Progress progress("backbone training", config.steps, core::Progress::Options{"step", 30.0, false, {}});
  double loss_sum = 0.0;
  std::int64_t loss_count = 0;
  // Weighted loss and weight per kind of example (task samples, copy and induction drills)
  // since the last log line: the drills show whether the copying circuit has formed.
  std::map<std::string, std::pair<double, double>> kind_loss;
  std::int64_t step = 0;
  for (; step < config.steps; ++step) {
    if (config.time_limit_minutes > 0 && elapsed() > 60.0 * config.time_limit_minutes) {
      core::log::warn("time limit of {} minutes reached at step {}", config.time_limit_minutes, step);
      break;
    }
    const std::int64_t stage_length = config.stage_lengths[stage_of(config, step)];
    const std::vector<Example> examples = next_examples.get();
    if (step + 1 < config.steps) next_examples = prepare(step + 1);
    const double learning_rate = learning_rate_at(config, step);
    for (auto& group : optimizer.param_groups()) {
      static_cast<torch::optim::AdamWOptions&>(group.options()).lr(learning_rate);
    }
    optimizer.zero_grad();
    const auto rows = step_forward_backward(llama, examples, trained_tokenizer.eos_id, !device.is_cpu());
    torch::nn::utils::clip_grad_norm_(llama.parameters(), config.grad_clip);
    optimizer.step();
    {
      // The step's loss is the ratio of the examples' weighted loss and weight sums.
      const auto sums = rows.accessor<float, 2>();
      double step_loss = 0.0, step_weight = 0.0;
      for (std::size_t b = 0; b < examples.size(); ++b) {
        const auto i = static_cast<std::int64_t>(b);
        auto& kind = kind_loss[examples[b].task.find("drill") == std::string::npos ? "tasks" : examples[b].task];
        kind.first += sums[0][i];
        kind.second += sums[1][i];
        step_loss += sums[0][i];
        step_weight += sums[1][i];
      }
      result.final_loss = step_loss / step_weight;
      loss_sum += result.final_loss;
      ++loss_count;
    }
    progress.advance();
    if ((step + 1) % config.log_interval == 0) {
      std::string kinds;
      for (const auto& [kind, sums] : kind_loss) kinds += fmt::format(" {} {:.4f}", kind, sums.first / std::max(sums.second, 1e-9));
      core::log::info("step {} len {} batch {} loss {:.4f} ({}) lr {:.2e} ({:.0f} s)", step + 1, stage_length, examples.size(),
                      loss_sum / static_cast<double>(loss_count), kinds.substr(1), learning_rate, elapsed());
      loss_sum = 0.0;
      loss_count = 0;
      kind_loss.clear();
    }
    if ((step + 1) % config.eval_interval == 0) {
      scores = exact_match(llama, held_out, held_out_tasks);
      std::string line;
      for (const auto& [task, score] : scores) line += " " + task + "=" + std::to_string(score).substr(0, 4);
      core::log::info("step {} held-out exact match at {} tokens:{}", step + 1, eval_length, line);
    }
    if ((step + 1) % config.checkpoint_interval == 0) write_folder(llama, trained_tokenizer, config, step + 1, scores);
  }
  progress.finish();
  scores = exact_match(llama, held_out, held_out_tasks);
  write_folder(llama, trained_tokenizer, config, step, scores);
  result.steps_done = step;
  result.held_out_exact_match = scores;
  std::vector<std::int64_t> probe = held_out.front().tokens;
  probe.resize(std::min<std::size_t>(probe.size(), 512));
  result.logits_max_difference = compare_with_backbone(config.output, probe);
  result.seconds = elapsed();
  return result;
}

double compare_with_backbone(const std::filesystem::path& directory, const std::vector<std::int64_t>& tokens) {
  torch::NoGradGuard no_grad;
  const auto llama = TrainableLlama::from_checkpoint(directory);
  auto backbone = model::Backbone::load(directory);
  backbone.reset(1);
  const auto input = torch::tensor(tokens, torch::kLong).unsqueeze(0);
  model::PrefillOptions options;
  options.all_logits = true;
  options.chunk_size = 128;
  const auto inference = backbone.prefill(input, options);
  const auto training = llama.forward(input);
  return (inference - training).abs().max().item<double>();
}

}  // namespace evomem::tasks
