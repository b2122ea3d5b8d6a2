#include "training/backbone_trainer.h"

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
#include "model/threads.h"
#include "model/tokenizer.h"
#include "model/weights.h"
#include "tasks/prompt_builder.h"
#include "tasks/synthetic/generators.h"
#include "tasks/synthetic/random.h"
#include "tasks/synthetic/suite.h"
#include "tasks/synthetic/tokenizer.h"
#include "training/backbone_examples.h"
#include "training/backbone_growth.h"
#include "training/backbone_trainer_model.h"
#include "training/backbone_training_step.h"
#include "training/bpe_trainer.h"

namespace evomem::training {
namespace {

tasks::SyntheticSample draw_sample(const std::string& task, std::size_t length, double depth, std::uint64_t seed,
                                   const tasks::SyntheticTokenizer& functions) {
  tasks::SyntheticOptions options;
  options.task = task;
  options.length = length;
  options.samples = 1;
  options.seed = seed;
  options.depth = depth;
  options.length_tolerance = 0.1;  // short curriculum stages are a few sentences off at most
  return tasks::generate_synthetic(options, functions).at(0);
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
  const tasks::SyntheticTokenizer& functions;
  std::int64_t vocabulary;  // ordinary token ids, [0, vocabulary); the BOS id is `vocabulary`
  std::int64_t drill_alphabet;
  double context_weight;
  std::size_t extra_kv_queries;

  Example operator()(const ExamplePlan& plan) const {
    tasks::SyntheticRng rng(plan.seed);
    switch (plan.kind) {
      case ExamplePlan::Kind::kCopyDrill: return make_copy_drill(plan.length, rng, tokenizer);
      case ExamplePlan::Kind::kInductionDrill:
        return make_induction_drill(plan.length, rng, vocabulary, drill_alphabet);
      case ExamplePlan::Kind::kTask: break;
    }
    return make_example(draw_sample(plan.task, plan.length, plan.depth, plan.seed, functions), tokenizer,
                        context_weight, extra_kv_queries, rng.next());
  }
};

std::vector<Example> make_examples(const std::vector<ExamplePlan>& plans, const ExampleMaker& maker,
                                   std::int64_t threads) {
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
std::vector<std::pair<std::string, double>> exact_match(const TrainableLlama& llama,
                                                        const std::vector<Example>& held_out,
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
  for (const auto& task : tasks::synthetic_task_names()) {
    tasks::SyntheticOptions options;
    options.task = task;
    options.length = static_cast<std::size_t>(config.tokenizer_corpus_length);
    options.samples = 4;
    options.seed = config.seed;
    options.length_tolerance = 1.0;  // a byte is a token here; the corpus only needs the text
    for (const auto& sample : tasks::generate_synthetic(options, tasks::synthetic_tokenizer(byte_tokenizer))) {
      corpus.push_back(tasks::fill_template(tasks::synthetic_task_spec(task).prompt_template,
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

namespace {

c10::Device training_device(const BackboneTrainingConfig& config) {
  try {
    return model::parse_device(config.device);
  } catch (const InputError& error) {
    throw ConfigError(std::string("training.device: ") + error.what());
  }
}

model::LlamaConfig llama_config_for(const BackboneTrainingConfig& config, const TrainedTokenizer& tokenizer) {
  model::LlamaConfig llama_config;
  llama_config.vocab_size = static_cast<std::int64_t>(tokenizer.vocab_size);
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
  llama_config.bos_token_ids = {tokenizer.bos_id};
  llama_config.eos_token_ids = {tokenizer.eos_id};
  llama_config.torch_dtype = "float32";
  return llama_config;
}

// The model a sitting starts from: random weights, or training.init_from's weights at
// [model]'s shape (the same, or widened without changing what they compute).
TrainableLlama initial_model(const BackboneTrainingConfig& config, const model::LlamaConfig& llama_config,
                             const c10::Device& device) {
  if (config.init_from.empty()) return TrainableLlama(llama_config, config.seed, config.init_std, device);
  TrainableLlama llama = TrainableLlama::from_checkpoint(config.init_from, device);
  const auto& loaded = llama.config();
  const auto problem = widening_problem(loaded, llama_config);
  if (!problem.empty()) {
    throw ConfigError("training.init_from: " + config.init_from +
                      " holds a model that [model] can only widen, not reshape (" + problem +
                      "); set [model] to its shape or a wider one");
  }
  const auto rope = [](const model::LlamaConfig& c) {
    const auto json = model::config_to_json(c);
    return "theta " + json["rope_theta"].dump() + ", scaling " + json["rope_scaling"].dump();
  };
  if (rope(loaded) != rope(llama_config)) {
    // No weight depends on RoPE: the sitting trains them to the new frequencies.
    core::log::info("moving the weights in {} from RoPE {} to {}", config.init_from, rope(loaded), rope(llama_config));
  }
  if (loaded.hidden_size == llama_config.hidden_size &&
      loaded.num_attention_heads == llama_config.num_attention_heads &&
      loaded.intermediate_size == llama_config.intermediate_size) {
    core::log::info("starting from the weights in {}", config.init_from);
    return TrainableLlama::from_parameters(llama_config, llama.named_parameters(), device);
  }
  core::log::info("widening the weights in {} from hidden {} / {} heads / MLP {} to {} / {} / {}", config.init_from,
                  loaded.hidden_size, loaded.num_attention_heads, loaded.intermediate_size, llama_config.hidden_size,
                  llama_config.num_attention_heads, llama_config.intermediate_size);
  return widen(llama, llama_config, config.seed, config.init_std);
}

// AdamW with weight decay on the matrices only.
std::unique_ptr<torch::optim::AdamW> make_optimizer(const TrainableLlama& llama, const BackboneTrainingConfig& config) {
  std::vector<torch::optim::OptimizerParamGroup> groups;
  std::vector<torch::Tensor> decayed;
  std::vector<torch::Tensor> plain;
  for (const auto& [name, value] : llama.named_parameters())
    (TrainableLlama::decays(name) ? decayed : plain).push_back(value);
  auto decay_options = std::make_unique<torch::optim::AdamWOptions>(config.learning_rate);
  decay_options->betas({0.9, 0.95}).weight_decay(config.weight_decay);
  auto plain_options = std::make_unique<torch::optim::AdamWOptions>(config.learning_rate);
  plain_options->betas({0.9, 0.95}).weight_decay(0.0);
  groups.emplace_back(decayed, std::move(decay_options));
  groups.emplace_back(plain, std::move(plain_options));
  return std::make_unique<torch::optim::AdamW>(groups, torch::optim::AdamWOptions(config.learning_rate));
}

// Held-out samples come from a stream the training data never uses; each task once, however
// often it is listed (listing it again only makes training draw it more often).
struct HeldOut {
  std::size_t length = 0;
  std::vector<std::string> tasks;
  std::vector<Example> examples;
};

HeldOut held_out_examples(const BackboneTrainingConfig& config, const model::Tokenizer& tokenizer,
                          const tasks::SyntheticTokenizer& functions) {
  HeldOut held_out;
  held_out.length = static_cast<std::size_t>(config.stage_lengths.back());
  for (const auto& task : config.train_tasks) {
    if (std::find(held_out.tasks.begin(), held_out.tasks.end(), task) == held_out.tasks.end())
      held_out.tasks.push_back(task);
  }
  tasks::SyntheticRng eval_rng(config.seed ^ 0x5EED0FE7A1ULL);
  for (const auto& task : held_out.tasks) {
    for (std::int64_t i = 0; i < config.eval_samples; ++i) {
      const double depth = static_cast<double>(i) /
                           static_cast<double>(std::max<std::int64_t>(1, config.eval_samples - 1));
      held_out.examples.push_back(
          make_example(draw_sample(task, held_out.length, depth, eval_rng.next() | (1ULL << 63), functions), tokenizer,
                       config.context_loss_weight));
    }
  }
  return held_out;
}

// The data stream: plans are drawn here, in step order; their examples are made on the data
// threads while the step before runs.
class ExampleStream {
 public:
  ExampleStream(const BackboneTrainingConfig& config, ExampleMaker maker)
      : config_(config), maker_(std::move(maker)), rng_(config.seed) {}

  std::future<std::vector<Example>> prepare(std::int64_t step) {
    const std::size_t stage = stage_of(config_, step);
    const std::int64_t stage_length = config_.stage_lengths[stage];
    const double induction_fraction = config_.stage_induction_fractions.empty()
                                          ? 0.0
                                          : config_.stage_induction_fractions[stage];
    std::vector<ExamplePlan> plans(
        static_cast<std::size_t>(std::max<std::int64_t>(1, config_.tokens_per_batch / stage_length)));
    for (auto& plan : plans) {
      const auto draw = static_cast<double>(rng_.below(1000));
      plan.length = static_cast<std::size_t>(stage_length);
      if (draw < 1000.0 * config_.copy_fraction) {
        plan.kind = ExamplePlan::Kind::kCopyDrill;
      } else if (draw < 1000.0 * (config_.copy_fraction + induction_fraction)) {
        plan.kind = ExamplePlan::Kind::kInductionDrill;
      } else {
        plan.task = config_.train_tasks[rng_.below(config_.train_tasks.size())];
        plan.length = static_cast<std::size_t>(
            rng_.between(std::llround(config_.min_length_fraction * static_cast<double>(stage_length)), stage_length));
        plan.depth = static_cast<double>(rng_.below(1001)) / 1000.0;
      }
      plan.seed = rng_.next() >> 1;
    }
    return std::async(std::launch::async, [plans = std::move(plans), this, threads = config_.data_threads] {
      return make_examples(plans, maker_, threads);
    });
  }

 private:
  const BackboneTrainingConfig& config_;
  const ExampleMaker maker_;
  tasks::SyntheticRng rng_;
};

// Weighted loss and weight per kind of example (task samples, copy and induction drills)
// since the last log line: the drills show whether the copying circuit has formed.
class LossLog {
 public:
  // `rows`: [2, batch] weighted loss and weight sums per example. Returns the step's loss, the
  // ratio of the two sums.
  double add(const torch::Tensor& rows, const std::vector<Example>& examples) {
    const auto sums = rows.accessor<float, 2>();
    double step_loss = 0.0, step_weight = 0.0;
    for (std::size_t b = 0; b < examples.size(); ++b) {
      const auto i = static_cast<std::int64_t>(b);
      auto& kind = kind_loss_[examples[b].task.find("drill") == std::string::npos ? "tasks" : examples[b].task];
      kind.first += sums[0][i];
      kind.second += sums[1][i];
      step_loss += sums[0][i];
      step_weight += sums[1][i];
    }
    const double loss = step_loss / step_weight;
    loss_sum_ += loss;
    ++loss_count_;
    return loss;
  }

  void log_and_clear(std::int64_t steps_done, std::int64_t length, std::size_t batch, double learning_rate,
                     double seconds) {
    std::string kinds;
    for (const auto& [kind, sums] : kind_loss_)
      kinds += fmt::format(" {} {:.4f}", kind, sums.first / std::max(sums.second, 1e-9));
    core::log::info("step {} len {} batch {} loss {:.4f} ({}) lr {:.2e} ({:.0f} s)", steps_done, length, batch,
                    loss_sum_ / static_cast<double>(loss_count_), kinds.substr(1), learning_rate, seconds);
    loss_sum_ = 0.0;
    loss_count_ = 0;
    kind_loss_.clear();
  }

 private:
  double loss_sum_ = 0.0;
  std::int64_t loss_count_ = 0;
  std::map<std::string, std::pair<double, double>> kind_loss_;
};

}  // namespace

BackboneTrainingResult train_backbone(const BackboneTrainingConfig& config) {
  const auto started = std::chrono::steady_clock::now();
  const auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  };
  model::apply_threads(static_cast<int>(config.threads));
  const c10::Device device = training_device(config);

  // A checkpoint's weights belong to its tokenizer, so a sitting that starts from one keeps it
  // and training.seed changes only the data; a first sitting trains one from [tokenizer].
  const bool continuing = !config.init_from.empty();
  const TrainedTokenizer trained_tokenizer = continuing ? read_tokenizer_files(config.init_from)
                                                        : train_tokenizer(config);
  const auto tokenizer = model::Tokenizer::from_json(trained_tokenizer.tokenizer, &trained_tokenizer.tokenizer_config,
                                                     "backbone tokenizer");
  const auto functions = tasks::synthetic_tokenizer(tokenizer);
  core::log::info("tokenizer: {} tokens ({}) in {:.1f} s", trained_tokenizer.vocab_size,
                  continuing ? "from " + config.init_from : std::to_string(config.merges) + " merges", elapsed());

  const model::LlamaConfig llama_config = llama_config_for(config, trained_tokenizer);
  TrainableLlama llama = initial_model(config, llama_config, device);
  core::log::info("model: {} parameters, {} layers, {} query / {} KV heads", llama_config.parameter_count(),
                  config.layers, config.heads, config.kv_heads);
  const auto optimizer = make_optimizer(llama, config);
  const HeldOut held_out = held_out_examples(config, tokenizer, functions);

  ExampleStream stream(config,
                       ExampleMaker{tokenizer, functions, trained_tokenizer.bos_id, config.drill_alphabet,
                                    config.context_loss_weight, static_cast<std::size_t>(config.extra_kv_queries)});
  auto next_examples = stream.prepare(0);
  BackboneTrainingResult result;
  std::vector<std::pair<std::string, double>> scores;
  core::Progress progress("backbone training", config.steps, core::Progress::Options{"step", 30.0, false, {}});
  LossLog losses;
  std::int64_t step = 0;
  for (; step < config.steps; ++step) {
    if (config.time_limit_minutes > 0 && elapsed() > 60.0 * config.time_limit_minutes) {
      core::log::warn("time limit of {} minutes reached at step {}", config.time_limit_minutes, step);
      break;
    }
    const std::int64_t stage_length = config.stage_lengths[stage_of(config, step)];
    const std::vector<Example> examples = next_examples.get();
    if (step + 1 < config.steps) next_examples = stream.prepare(step + 1);
    const double learning_rate = learning_rate_at(config, step);
    for (auto& group : optimizer->param_groups()) {
      static_cast<torch::optim::AdamWOptions&>(group.options()).lr(learning_rate);
    }
    optimizer->zero_grad();
    const auto rows = step_forward_backward(llama, examples, trained_tokenizer.eos_id, !device.is_cpu());
    torch::nn::utils::clip_grad_norm_(llama.parameters(), config.grad_clip);
    optimizer->step();
    result.final_loss = losses.add(rows, examples);
    progress.advance();
    if ((step + 1) % config.log_interval == 0) {
      losses.log_and_clear(step + 1, stage_length, examples.size(), learning_rate, elapsed());
    }
    if ((step + 1) % config.eval_interval == 0) {
      scores = exact_match(llama, held_out.examples, held_out.tasks);
      std::string line;
      for (const auto& [task, score] : scores) line += " " + task + "=" + std::to_string(score).substr(0, 4);
      core::log::info("step {} held-out exact match at {} tokens:{}", step + 1, held_out.length, line);
    }
    if ((step + 1) % config.checkpoint_interval == 0) write_folder(llama, trained_tokenizer, config, step + 1, scores);
  }
  progress.finish();
  scores = exact_match(llama, held_out.examples, held_out.tasks);
  write_folder(llama, trained_tokenizer, config, step, scores);
  result.steps_done = step;
  result.held_out_exact_match = scores;
  std::vector<std::int64_t> probe = held_out.examples.front().tokens;
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

}  // namespace evomem::training
