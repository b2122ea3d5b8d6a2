// The built-in backbone and its trainer: the committed checkpoint loads with the inference
// code, the trainer's forward agrees with model::Backbone, training is reproducible, and the
// trained tokenizer keeps digits as single tokens or, when asked, makes every number of up to
// three digits one token.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include "core/config.h"
#include "core/error.h"
#include "model/backbone.h"
#include "model/tokenizer.h"
#include "tasks/prompt_builder.h"
#include "tasks/synthetic/generators.h"
#include "tasks/synthetic/suite.h"
#include "tasks/synthetic/tokenizer.h"
#include "tests/support/test_support.h"
#include "tests/training/tiny_training_config.h"
#include "training/backbone_trainer.h"
#include "training/backbone_trainer_model.h"
#include "training/bpe_trainer.h"

namespace evomem::training {
namespace {

const std::filesystem::path kModel = std::filesystem::path(EVOMEM_SOURCE_DIR) / "models" / "evomem-tiny";

std::string file_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST(BuiltinBackboneTest, CommittedCheckpointLoadsAndIsSmall) {
  const auto backbone = model::Backbone::load(kModel);
  EXPECT_GE(backbone.config().num_hidden_layers, 4);
  EXPECT_LT(backbone.config().num_key_value_heads, backbone.config().num_attention_heads);
  const auto tokenizer = model::Tokenizer::load(kModel);
  EXPECT_EQ(static_cast<std::int64_t>(tokenizer.vocab_size()), backbone.config().vocab_size);
  std::uintmax_t bytes = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kModel)) bytes += entry.file_size();
  EXPECT_LE(bytes, 20u * 1024 * 1024);
}

TEST(BuiltinBackboneTest, TrainerForwardMatchesInferenceBackbone) {
  const auto tokenizer = model::Tokenizer::load(kModel);
  tasks::SyntheticOptions options;
  options.task = "synth_passkey";
  options.length = 600;
  options.seed = 3;
  const auto sample = tasks::generate_synthetic(options, tasks::synthetic_tokenizer(tokenizer)).at(0);
  const auto prompt = tasks::fill_template(tasks::synthetic_task_spec(sample.task).prompt_template,
                                           {{"context", sample.context}, {"input", sample.input}}, "test");
  const auto tokens = tokenizer.encode(prompt, true);
  EXPECT_LT(compare_with_backbone(kModel, tokens), 1e-3);
}

// Blocked attention (query rows in blocks, keys cut at each block's end) against the whole
// masked matrix: same logits and gradients, including a last block shorter than the others.
TEST(BuiltinBackboneTest, BlockedAttentionMatchesTheWholeMatrix) {
  auto llama = TrainableLlama::from_checkpoint(kModel);
  torch::manual_seed(5);
  const auto tokens = torch::randint(llama.config().vocab_size, {2, 300}, torch::kLong);
  const auto run = [&](std::int64_t block) {
    llama.set_query_block(block);
    for (auto& parameter : llama.parameters()) parameter.mutable_grad() = torch::Tensor();
    const auto logits = llama.forward(tokens);
    logits.logsumexp(-1).mean().backward();
    std::vector<torch::Tensor> gradients{logits.detach()};
    for (const auto& parameter : llama.parameters()) gradients.push_back(parameter.grad().clone());
    return gradients;
  };
  const auto whole = run(0);
  for (const std::int64_t block : {64, 128, 299}) {
    const auto blocked = run(block);
    for (std::size_t i = 0; i < whole.size(); ++i) {
      const double tolerance = 1e-5 * (1.0 + whole[i].abs().max().item<double>());
      EXPECT_LT((blocked[i] - whole[i]).abs().max().item<double>(), tolerance) << "block " << block << " tensor " << i;
    }
  }
}

TEST(BackboneTrainerTest, SameSeedSameWeights) {
  evomem::test_support::TempDirectory directory;
  auto config = tiny_training_config();
  config.output = (directory.path() / "a").string();
  const auto first = train_backbone(config);
  // The examples are made from plans drawn in order, so the number of threads making them
  // does not change them.
  config.data_threads = 3;
  config.output = (directory.path() / "b").string();
  const auto second = train_backbone(config);
  EXPECT_EQ(first.steps_done, 3);
  EXPECT_LT(first.logits_max_difference, 1e-3);
  EXPECT_EQ(file_bytes(directory.path() / "a" / "model.safetensors"),
            file_bytes(directory.path() / "b" / "model.safetensors"));
  EXPECT_EQ(file_bytes(directory.path() / "a" / "tokenizer.json"),
            file_bytes(directory.path() / "b" / "tokenizer.json"));
  EXPECT_DOUBLE_EQ(first.final_loss, second.final_loss);
  config.seed = 2;
  config.data_threads = 1;
  config.output = (directory.path() / "c").string();
  train_backbone(config);
  EXPECT_NE(file_bytes(directory.path() / "a" / "model.safetensors"),
            file_bytes(directory.path() / "c" / "model.safetensors"));
}

// A sitting from a checkpoint keeps its tokenizer whatever its seed: the weights are tied to the
// token ids, and the seed also draws the corpus a new tokenizer would learn from.
TEST(BackboneTrainerTest, ContinuingKeepsTheCheckpointsTokenizer) {
  evomem::test_support::TempDirectory directory;
  auto config = tiny_training_config();
  config.output = (directory.path() / "first").string();
  train_backbone(config);
  config.seed = 5;
  config.output = (directory.path() / "fresh").string();
  train_backbone(config);
  ASSERT_NE(file_bytes(directory.path() / "first" / "tokenizer.json"),
            file_bytes(directory.path() / "fresh" / "tokenizer.json"));
  config.init_from = (directory.path() / "first").string();
  config.output = (directory.path() / "continued").string();
  train_backbone(config);
  EXPECT_EQ(file_bytes(directory.path() / "first" / "tokenizer.json"),
            file_bytes(directory.path() / "continued" / "tokenizer.json"));
  EXPECT_EQ(file_bytes(directory.path() / "first" / "tokenizer_config.json"),
            file_bytes(directory.path() / "continued" / "tokenizer_config.json"));
}

// The tiny config trained once into directory / name, and set to continue from there.
BackboneTrainingConfig continuing_a_first_sitting(const std::filesystem::path& directory, const std::string& name) {
  auto config = tiny_training_config();
  config.output = (directory / name).string();
  train_backbone(config);
  config.init_from = config.output;
  return config;
}

// A sitting may widen the checkpoint it starts from (training/backbone_growth); any other change
// of shape is a configuration error naming init_from.
TEST(BackboneTrainerTest, ContinuingMayWidenButNotReshape) {
  evomem::test_support::TempDirectory directory;
  auto config = continuing_a_first_sitting(directory.path(), "narrow");
  config.hidden_size *= 2;
  config.heads *= 2;
  config.kv_heads *= 2;
  config.intermediate_size *= 2;
  config.output = (directory.path() / "wide").string();
  train_backbone(config);
  const auto wide = model::Backbone::load(config.output).config();
  EXPECT_EQ(wide.hidden_size, 64);
  EXPECT_EQ(wide.num_attention_heads, 4);
  EXPECT_EQ(wide.num_key_value_heads, 2);
  config.layers = 1;
  config.output = (directory.path() / "shallow").string();
  try {
    train_backbone(config);
    ADD_FAILURE() << "a model with fewer layers than its checkpoint was trained";
  } catch (const ConfigError& error) {
    EXPECT_NE(std::string(error.what()).find("training.init_from"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("layers 2 -> 1"), std::string::npos) << error.what();
  }
  EXPECT_FALSE(std::filesystem::exists(config.output));
}

// A sitting trains at the RoPE its [model] names, not at the one of the checkpoint it starts
// from (how the committed backbone moved to slower low frequencies; docs/synthetic.md).
TEST(BackboneTrainerTest, ContinuingTrainsAtTheConfiguredRope) {
  evomem::test_support::TempDirectory directory;
  auto config = continuing_a_first_sitting(directory.path(), "first");
  config.rope_theta = 500000.0;
  config.rope_llama3_factor = 8.0;
  config.rope_llama3_original_length = 64;
  config.output = (directory.path() / "moved").string();
  train_backbone(config);
  const auto moved = model::Backbone::load(config.output).config();
  EXPECT_EQ(moved.rope_theta, 500000.0);
  EXPECT_EQ(moved.rope_scaling.type, model::RopeScaling::Type::kLlama3);
  EXPECT_EQ(moved.rope_scaling.factor, 8.0);
  EXPECT_EQ(moved.rope_scaling.original_max_position_embeddings, 64);
  EXPECT_EQ(moved.rope_scaling.low_freq_factor, 1.0);
  EXPECT_EQ(moved.rope_scaling.high_freq_factor, 4.0);
}

TEST(BackboneTrainerTest, TaskListedTwiceIsScoredOnce) {
  evomem::test_support::TempDirectory directory;
  auto config = tiny_training_config();
  config.train_tasks = {"synth_passkey", "synth_kv_retrieval", "synth_passkey"};
  config.output = directory.path().string();
  std::vector<std::string> scored;
  for (const auto& [task, score] : train_backbone(config).held_out_exact_match) scored.push_back(task);
  EXPECT_EQ(scored, (std::vector<std::string>{"synth_passkey", "synth_kv_retrieval"}));
}

BackboneTrainingConfig parse_training_config(const std::filesystem::path& path,
                                             const std::vector<std::string>& overrides) {
  auto config = core::Config::load(path);
  for (const auto& assignment : overrides) config.set(assignment);
  config.validate(backbone_training_schema());
  return backbone_training_config(config);
}

// The committed backbone is trained in sittings, each from the last one's output.
const std::vector<std::string> kSittings = {
    "backbone_drills.toml",        "backbone_train.toml",     "backbone_long.toml",         "backbone_kv.toml",
    "backbone_kv_more.toml",       "backbone_drills_32.toml", "backbone_drills_16.toml",    "backbone_kv_cpu.toml",
    "backbone_kv_cpu_long.toml",   "backbone_kv_cpu_2k.toml", "backbone_kv_cpu_final.toml", "backbone_kv_cpu_rope.toml",
    "backbone_kv_cpu_rope_4k.toml"};

TEST(BackboneTrainerTest, CommittedConfigsChainTheSittings) {
  const auto configs = std::filesystem::path(EVOMEM_SOURCE_DIR) / "configs";
  std::vector<BackboneTrainingConfig> sittings;
  for (const auto& name : kSittings) sittings.push_back(parse_training_config(configs / name, {}));
  EXPECT_EQ(sittings.front().stage_induction_fractions, std::vector<double>{1.0});
  EXPECT_TRUE(sittings.front().init_from.empty());
  for (std::size_t i = 1; i < sittings.size(); ++i) {
    EXPECT_EQ(sittings[i].init_from, sittings[i - 1].output) << kSittings[i];
    EXPECT_EQ(sittings[i].merges, sittings[0].merges) << kSittings[i];
    EXPECT_EQ(sittings[i].number_tokens, sittings[0].number_tokens) << kSittings[i];
    EXPECT_EQ(sittings[i].hidden_size, sittings[0].hidden_size) << kSittings[i];
  }
  EXPECT_EQ(sittings.back().output, "models/evomem-tiny");
  std::int64_t longest = 0;  // the documented table goes to 4,096 tokens; some sitting must have trained there
  for (const auto& sitting : sittings) longest = std::max(longest, sitting.stage_lengths.back());
  EXPECT_EQ(longest, 4096);
}

TEST(BackboneTrainerTest, ConfigErrorsNameTheField) {
  const auto config = std::filesystem::path(EVOMEM_SOURCE_DIR) / "configs" / "backbone_train.toml";
  EXPECT_THROW(parse_training_config(config, {"training.stage_induction_fractions=[0.5]"}), ConfigError);
  EXPECT_THROW(parse_training_config(
                   config, {"training.copy_fraction=0.9", "training.stage_induction_fractions=[0.2, 0.2, 0.2, 0.2]"}),
               ConfigError);
  EXPECT_THROW(parse_training_config(config, {"training.device=\"tpu\""}), ConfigError);
  EXPECT_THROW(parse_training_config(config, {"training.data_threads=0"}), ConfigError);
  EXPECT_THROW(parse_training_config(config, {"training.threads=0"}), ConfigError);
  EXPECT_THROW(parse_training_config(config, {"training.threads=1025"}), ConfigError);
  EXPECT_THROW(parse_training_config(config, {"training.extra_kv_queries=-1"}), ConfigError);
  EXPECT_THROW(parse_training_config(config, {"training.min_length_fraction=0"}), ConfigError);
  EXPECT_THROW(parse_training_config(config, {"model.rope_llama3_factor=0.5"}), ConfigError);
  EXPECT_THROW(parse_training_config(config, {"model.rope_llama3_factor=8.0"}), ConfigError);  // no original length
  EXPECT_EQ(parse_training_config(config, {"model.rope_llama3_factor=8.0", "model.rope_llama3_original_length=2048"})
                .rope_llama3_factor,
            8.0);
  // A GPU sitting parses anywhere; only training needs the device.
  EXPECT_EQ(parse_training_config(config, {"training.device=\"cuda:1\""}).device, "cuda:1");
}

TEST(BpeTrainerTest, DigitsStaySingleAndTextRoundTrips) {
  const auto trained = train_bpe(
      {"The pass key is 12345. The pass key is 67890. The grass is green. The grass is green."},
      BpeTrainingOptions{40});
  const auto tokenizer = model::Tokenizer::from_json(trained.tokenizer, &trained.tokenizer_config, "trained");
  const std::string text = "The pass key is 98765.";
  const auto ids = tokenizer.encode(text, true);
  EXPECT_EQ(ids.front(), trained.bos_id);
  EXPECT_EQ(tokenizer.decode(ids, {true, std::nullopt}), text);
  const auto plain = tokenizer.encode("98765", false);
  EXPECT_EQ(plain.size(), 5u);
  EXPECT_LT(tokenizer.encode("The grass is green.", false).size(), 19u);  // merges were learned
  EXPECT_EQ(tokenizer.eos_token_id(), trained.eos_id);
}

TEST(BpeTrainerTest, NumberTokensMakeEveryNumberOfUpToThreeDigitsOneToken) {
  BpeTrainingOptions options{40};
  options.number_tokens = true;
  const auto trained = train_bpe({"The pass key is 12345. The grass is green. The grass is green."}, options);
  const auto tokenizer = model::Tokenizer::from_json(trained.tokenizer, &trained.tokenizer_config, "trained");
  EXPECT_GT(trained.tokenizer["model"]["merges"].size(), 1100u);  // the fixed ones, then learned ones
  // Every digit string of length 1 to 3 (leading zeros and repeated digits included) is one
  // token of its own, whatever order BPE applies the merges in.
  std::set<std::int64_t> ids;
  for (int length = 1; length <= 3; ++length) {
    for (int value = 0; value < static_cast<int>(std::pow(10, length)); ++value) {
      std::string digits = std::to_string(value);
      digits.insert(0, static_cast<std::size_t>(length) - digits.size(), '0');
      const auto encoded = tokenizer.encode(digits, false);
      ASSERT_EQ(encoded.size(), 1u) << digits;
      ids.insert(encoded[0]);
    }
  }
  EXPECT_EQ(ids.size(), 1110u);
  // Longer numbers split as Llama 3 splits them: groups of three from the left.
  const std::string text = "The pass key is 9876543. Codes: 0012, 111-222";
  const auto encoded = tokenizer.encode(text, false);
  EXPECT_EQ(tokenizer.decode(encoded, {true, std::nullopt}), text);
  const auto number = tokenizer.encode("9876543", false);
  ASSERT_EQ(number.size(), 3u);
  EXPECT_EQ(tokenizer.decode({number[0]}, {true, std::nullopt}), "987");
  EXPECT_EQ(tokenizer.decode({number[2]}, {true, std::nullopt}), "3");
}

TEST(BpeTrainerTest, UuidPairsCutEveryUuidIntoHexPairsAndNothingElse) {
  BpeTrainingOptions options{40};
  options.number_tokens = true;
  options.uuid_pairs = true;
  const auto trained = train_bpe(
      {"{\"3fa85f64-5717-4562-b3fc-2c963f66afa6\": \"9c4e1d2a-7b3f-4e8a-a1c2-d3e4f5a6b7c8\"} The bed is fab."},
      options);
  const auto tokenizer = model::Tokenizer::from_json(trained.tokenizer, &trained.tokenizer_config, "trained");
  const auto pieces = [&](const std::string& text) {
    std::vector<std::string> out;
    for (const auto id : tokenizer.encode(text, false)) out.push_back(tokenizer.decode({id}, {true, std::nullopt}));
    return out;
  };
  // Every pair "00"-"ff" is one token of its own.
  std::set<std::int64_t> ids;
  for (int value = 0; value < 256; ++value) {
    const char* hex = "0123456789abcdef";
    const std::string pair{hex[value / 16], hex[value % 16]};
    const auto encoded = tokenizer.encode("01234567-0123-0123-0123-0123456789" + pair, false);
    ASSERT_EQ(encoded.size(), 20u) << pair;
    ids.insert(encoded.back());
  }
  EXPECT_EQ(ids.size(), 256u);
  const std::vector<std::string> uuid{"9c", "4e", "1d", "2a", "-",  "7b", "3f", "-",  "4e", "8a",
                                      "-",  "a1", "c2", "-",  "d3", "e4", "f5", "a6", "b7", "c8"};
  EXPECT_EQ(pieces("9c4e1d2a-7b3f-4e8a-a1c2-d3e4f5a6b7c8"), uuid);
  // In its JSON setting too: the quotes and colon around it are cut as before.
  const std::string json = "{\"9c4e1d2a-7b3f-4e8a-a1c2-d3e4f5a6b7c8\": \"3fa85f64-5717-4562-b3fc-2c963f66afa6\"}";
  const auto in_json = pieces(json);
  EXPECT_NE(std::search(in_json.begin(), in_json.end(), uuid.begin(), uuid.end()), in_json.end());
  EXPECT_EQ(
      std::count_if(in_json.begin(), in_json.end(), [](const std::string& p) { return p.size() == 2 && p != "\": "; }),
      32);
  EXPECT_EQ(tokenizer.decode(tokenizer.encode(json, false), {true, std::nullopt}), json);
  // Outside a UUID: numbers in threes, words of hex letters whole, hex runs of another shape
  // as Llama 3 cuts them.
  EXPECT_EQ(pieces("9876543"), (std::vector<std::string>{"987", "654", "3"}));
  EXPECT_EQ(tokenizer.encode(" face", false).size(), tokenizer.encode(" fxce", false).size());
  EXPECT_EQ(pieces("3fa85f64-5717-4562-b3fc")[0], "3");
  EXPECT_EQ(pieces("3fa85f64-5717-4562-b3fc-2c963f66afa6a").front(), "3");
}

}  // namespace
}  // namespace evomem::training
