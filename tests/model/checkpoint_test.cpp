// config.json parsing, safetensors loading (single file, shards, dtypes, casts), random
// checkpoints written as Hugging Face folders and read back, bad input with one clear line
// each, and parity with transformers' LlamaForCausalLM on committed fixtures.

#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <fstream>

#include "core/error.h"
#include "core/files.h"
#include "core/json_file.h"
#include "core/safetensors.h"
#include "model/backbone.h"
#include "model/random_checkpoint.h"
#include "tests/model/backbone_test_support.h"

namespace evomem::model {
namespace {
namespace fs = std::filesystem;
using test_support::random_tokens;
using test_support::tiny_config;

class ScratchDirectory {
 public:
  explicit ScratchDirectory(const std::string& name)
      : path_(fs::temp_directory_path() / ("evomem_model_" + name + "_" + std::to_string(::getpid()))) {
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~ScratchDirectory() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

double max_abs_diff(const at::Tensor& a, const at::Tensor& b) {
  return (a.to(at::kDouble) - b.to(at::kDouble)).abs().max().item<double>();
}

at::Tensor logits_of(Backbone& backbone, const std::vector<std::int64_t>& tokens) {
  backbone.reset(1);
  PrefillOptions options;
  options.chunk_size = 0;
  options.all_logits = true;
  return backbone.prefill(at::tensor(tokens, at::kLong).unsqueeze(0), options)[0];
}

// The error's message, which must be one line naming `needle`.
template <typename Error, typename Action>
std::string expect_one_line_error(Action action, const std::string& needle) {
  try {
    action();
  } catch (const Error& error) {
    const std::string message = error.what();
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    EXPECT_NE(message.find(needle), std::string::npos) << "'" << needle << "' not in: " << message;
    return message;
  } catch (const std::exception& error) {
    ADD_FAILURE() << "wrong exception type: " << error.what();
    return "";
  }
  ADD_FAILURE() << "no exception (expected one naming '" << needle << "')";
  return "";
}

struct Variant {
  std::string name;
  LlamaConfig config;
  c10::ScalarType dtype;
  std::int64_t shards;
};

std::vector<Variant> variants() {
  std::vector<Variant> list;
  list.push_back({"gqa_untied_f32", tiny_config(2, false), at::kFloat, 1});
  list.push_back({"mha_tied_f32_sharded", tiny_config(4, true), at::kFloat, 3});
  LlamaConfig linear = tiny_config(1, false);
  linear.rope_scaling = RopeScaling{RopeScaling::Type::kLinear, 2.0, 1.0, 4.0, 256};
  list.push_back({"mqa_linear_bf16", linear, at::kBFloat16, 1});
  LlamaConfig dynamic = tiny_config(2, true);
  dynamic.max_position_embeddings = 16;
  dynamic.rope_scaling = RopeScaling{RopeScaling::Type::kDynamic, 3.0, 1.0, 4.0, 16};
  list.push_back({"gqa_dynamic_f16", dynamic, at::kHalf, 2});
  LlamaConfig llama3 = tiny_config(2, false);
  llama3.rope_theta = 500000.0;
  llama3.rope_scaling = RopeScaling{RopeScaling::Type::kLlama3, 8.0, 1.0, 4.0, 64};
  llama3.eos_token_ids = {2, 3};
  list.push_back({"gqa_llama3_f32", llama3, at::kFloat, 1});
  return list;
}

TEST(Checkpoint, RandomConfigsRoundTripThroughHuggingFaceFolders) {
  for (const Variant& variant : variants()) {
    SCOPED_TRACE(variant.name);
    ScratchDirectory directory(variant.name);
    RandomCheckpointOptions options;
    options.seed = 11;
    options.dtype = variant.dtype;
    options.shards = variant.shards;
    write_random_checkpoint(variant.config, directory.path(), options);
    EXPECT_EQ(fs::exists(directory.path() / "model.safetensors.index.json"), variant.shards > 1);

    const LlamaConfig loaded = load_config(directory.path());
    EXPECT_EQ(config_to_json(loaded), config_to_json([&] {
                LlamaConfig expected = variant.config;
                expected.torch_dtype = dtype_to_string(variant.dtype);
                return expected;
              }()));
    Backbone from_disk = Backbone::load(directory.path());
    EXPECT_EQ(from_disk.dtype(), variant.dtype);
    Backbone in_memory(variant.config, random_weights(variant.config, 11, c10::Device(c10::kCPU), variant.dtype),
                       c10::Device(c10::kCPU));
    const auto tokens = random_tokens(24, variant.config.vocab_size, 21);
    EXPECT_EQ(max_abs_diff(logits_of(from_disk, tokens), logits_of(in_memory, tokens)), 0.0);

    // Cast on load: a reduced-precision checkpoint read as float32 runs in float32.
    LoadOptions cast;
    cast.dtype = at::kFloat;
    Backbone widened = Backbone::load(directory.path(), cast);
    EXPECT_EQ(widened.dtype(), at::kFloat);
    EXPECT_EQ(widened.cache().keys(0).scalar_type(), at::kFloat);
  }
}

TEST(Config, ParsesPublishedLlama3Config) {
  const core::Json document = core::parse_json(R"({
    "architectures": ["LlamaForCausalLM"], "model_type": "llama", "attention_bias": false,
    "bos_token_id": 128000, "eos_token_id": [128001, 128008, 128009], "hidden_act": "silu",
    "hidden_size": 4096, "intermediate_size": 14336, "max_position_embeddings": 131072,
    "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 8,
    "rms_norm_eps": 1e-05, "rope_scaling": {"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
    "original_max_position_embeddings": 8192, "rope_type": "llama3"}, "rope_theta": 500000.0,
    "tie_word_embeddings": false, "torch_dtype": "bfloat16", "vocab_size": 128256})",
                                               "llama31.json");
  const LlamaConfig config = parse_config(document, "llama31.json");
  EXPECT_EQ(config.head_dim, 128);
  EXPECT_EQ(config.group_size(), 4);
  EXPECT_EQ(config.rope_scaling.type, RopeScaling::Type::kLlama3);
  EXPECT_EQ(config.rope_scaling.original_max_position_embeddings, 8192);
  EXPECT_EQ(config.bos_token_ids, std::vector<std::int64_t>{128000});
  EXPECT_EQ(config.eos_token_ids, (std::vector<std::int64_t>{128001, 128008, 128009}));
  EXPECT_EQ(config.parameter_count(), 8030261248);  // Llama 3.1 8B as published
}

TEST(Config, RejectsBadConfigsWithOneLineNamingTheField) {
  const std::string base = R"("hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2,
      "num_attention_heads": 4, "vocab_size": 97)";
  const auto parse = [](const std::string& text) {
    return [text] { parse_config(core::parse_json(text, "config.json"), "config.json"); };
  };
  expect_one_line_error<InputError>(parse(R"({"architectures": ["MistralForCausalLM"], )" + base + "}"),
                                    "MistralForCausalLM");
  expect_one_line_error<InputError>(
      parse(
          R"({"hidden_size": "32", "intermediate_size": 48, "num_hidden_layers": 2, "num_attention_heads": 4, "vocab_size": 97})"),
      "hidden_size");
  expect_one_line_error<InputError>(
      parse(R"({"intermediate_size": 48, "num_hidden_layers": 2, "num_attention_heads": 4, "vocab_size": 97})"),
      "hidden_size");
  expect_one_line_error<InputError>(parse("{" + base + R"(, "num_key_value_heads": 3})"), "num_key_value_heads");
  expect_one_line_error<InputError>(parse("{" + base + R"(, "rope_scaling": {"rope_type": "yarn", "factor": 4.0}})"),
                                    "yarn");
  expect_one_line_error<InputError>(parse("{" + base + R"(, "rope_scaling": {"rope_type": "llama3", "factor": 8.0}})"),
                                    "low_freq_factor");
  expect_one_line_error<InputError>(parse("{" + base + R"(, "eos_token_id": [1, "2"]})"), "eos_token_id");
  expect_one_line_error<InputError>(parse("{" + base + R"(, "torch_dtype": "int8"})"), "torch_dtype");
  expect_one_line_error<InputError>(parse("{" + base + R"(, "tie_word_embeddings": 1})"), "tie_word_embeddings");
  expect_one_line_error<InputError>([] { load_config("/nonexistent/folder/config.json"); }, "config.json");
}

// Rewrites model.safetensors with `edit` applied to the tensor list.
void rewrite_checkpoint(
    const fs::path& directory,
    const std::function<void(const std::string&, const core::TensorView&, core::SafetensorsWriter&)>& edit) {
  core::SafetensorsWriter writer;
  {
    const core::SafetensorsFile file(directory / "model.safetensors");
    for (const std::string& name : file.names()) edit(name, file.tensor(name), writer);
  }
  writer.write(directory / "model.safetensors");
}

TEST(Checkpoint, RejectsBadWeightsWithOneLineNamingTheTensor) {
  const LlamaConfig config = tiny_config(2);
  ScratchDirectory directory("bad_weights");
  const auto fresh = [&] { write_random_checkpoint(config, directory.path()); };
  const auto load = [&] { return [&] { Backbone::load(directory.path()); }; };
  const auto copy = [](const std::string& name, const core::TensorView& view, core::SafetensorsWriter& writer) {
    writer.add(name, view.dtype, view.shape, view.data, view.byte_size);
  };

  fresh();
  {  // truncated file
    const std::string bytes = core::read_text_file(directory.path() / "model.safetensors");
    std::ofstream(directory.path() / "model.safetensors", std::ios::binary | std::ios::trunc)
        .write(bytes.data(), static_cast<std::streamsize>(bytes.size() / 2));
  }
  expect_one_line_error<FormatError>(load(), "model.safetensors");

  fresh();
  rewrite_checkpoint(directory.path(),
                     [&](const std::string& name, const core::TensorView& view, core::SafetensorsWriter& writer) {
                       if (name != "model.layers.1.mlp.up_proj.weight") copy(name, view, writer);
                     });
  expect_one_line_error<FormatError>(load(), "model.layers.1.mlp.up_proj.weight");

  fresh();
  rewrite_checkpoint(
      directory.path(), [&](const std::string& name, const core::TensorView& view, core::SafetensorsWriter& writer) {
        if (name == "model.layers.0.self_attn.k_proj.weight") {
          writer.add(name, view.dtype, {view.shape[0] / 2, view.shape[1]}, view.data, view.byte_size / 2);
        } else {
          copy(name, view, writer);
        }
      });
  const std::string shape_message = expect_one_line_error<FormatError>(load(),
                                                                       "model.layers.0.self_attn.k_proj.weight");
  EXPECT_NE(shape_message.find("[8, 32]"), std::string::npos) << shape_message;

  fresh();
  rewrite_checkpoint(directory.path(),
                     [&](const std::string& name, const core::TensorView& view, core::SafetensorsWriter& writer) {
                       if (name == "model.norm.weight") {
                         writer.add(name, core::DType::kI32, view.shape, view.data, view.byte_size);
                       } else {
                         copy(name, view, writer);
                       }
                     });
  expect_one_line_error<FormatError>(load(), "model.norm.weight");

  fresh();  // mixed float dtypes: an error without a cast, fine with one
  rewrite_checkpoint(
      directory.path(), [&](const std::string& name, const core::TensorView& view, core::SafetensorsWriter& writer) {
        if (name == "lm_head.weight") {
          const at::Tensor half =
              at::from_blob(const_cast<unsigned char*>(view.data), view.shape, at::kFloat).to(at::kBFloat16);
          writer.add(name, core::DType::kBF16, view.shape, half.data_ptr(), static_cast<std::size_t>(half.nbytes()));
        } else {
          copy(name, view, writer);
        }
      });
  expect_one_line_error<FormatError>(load(), "lm_head.weight");
  LoadOptions cast;
  cast.dtype = at::kFloat;
  EXPECT_NO_THROW(Backbone::load(directory.path(), cast));

  fs::remove(directory.path() / "model.safetensors");
  expect_one_line_error<InputError>(load(), directory.path().string());
}

// Fixtures written by scripts/make_hf_parity_fixtures.py: one folder per config with
// config.json, model.safetensors and expected.safetensors (input_ids, logits).
TEST(HfParity, CommittedFixturesMatchTransformers) {
  const fs::path root = fs::path(EVOMEM_SOURCE_DIR) / "tests/model/data/hf_parity";
  std::vector<fs::path> cases;
  if (fs::is_directory(root)) {
    for (const auto& entry : fs::directory_iterator(root)) {
      if (fs::exists(entry.path() / "expected.safetensors")) cases.push_back(entry.path());
    }
  }
  if (cases.empty()) {
    GTEST_SKIP()
        << "no transformers fixtures under " << root.string()
        << "; run scripts/make_hf_parity_fixtures.py on a machine with PyTorch and transformers and commit them";
  }
  for (const fs::path& folder : cases) {
    SCOPED_TRACE(folder.filename().string());
    const core::SafetensorsFile expected(folder / "expected.safetensors");
    const core::TensorView& ids_view = expected.tensor("input_ids");
    ASSERT_EQ(ids_view.dtype, core::DType::kI64);
    const at::Tensor ids = at::from_blob(const_cast<unsigned char*>(ids_view.data), ids_view.shape, at::kLong).clone();
    const auto logits_values = expected.tensor("logits").to_float32();
    const at::Tensor reference = at::tensor(logits_values).view(expected.tensor("logits").shape);
    Backbone backbone = Backbone::load(folder);
    for (std::int64_t row = 0; row < ids.size(0); ++row) {
      backbone.reset(1);
      PrefillOptions options;
      options.chunk_size = 0;
      options.all_logits = true;
      const at::Tensor logits = backbone.prefill(ids[row].unsqueeze(0), options)[0];
      const double scale = reference[row].abs().max().item<double>();
      EXPECT_LE(max_abs_diff(logits, reference[row]), 1e-4 * std::max(1.0, scale)) << "row " << row;
    }
  }
}

}  // namespace
}  // namespace evomem::model
