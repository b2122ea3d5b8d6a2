#include "model/config.h"

#include <algorithm>

#include "core/error.h"

namespace evomem::model {

namespace {

// Architectures whose checkpoints follow the Llama layout exactly (same tensor names, same
// forward pass). Mistral adds sliding windows and Qwen2 adds biases, so they are not here.
const std::vector<std::string> kSupportedArchitectures = {"LlamaForCausalLM"};

std::vector<std::int64_t> token_id_list(const core::JsonObject& object, const std::string& field) {
  if (!object.has(field)) return {};
  const core::Json& value = object.raw(field);
  if (value.is_number_integer()) return {value.get<std::int64_t>()};
  if (value.is_array()) {
    std::vector<std::int64_t> ids;
    for (const core::Json& item : value) {
      if (!item.is_number_integer()) {
        throw ConfigError(object.describe(field) + " must be an integer or a list of integers, got a list containing " +
                          item.type_name());
      }
      ids.push_back(item.get<std::int64_t>());
    }
    return ids;
  }
  throw ConfigError(object.describe(field) + " must be an integer or a list of integers, got " + value.type_name());
}

std::int64_t positive(const core::JsonObject& object, const std::string& field) {
  const std::int64_t value = object.integer(field);
  if (value <= 0) throw ConfigError(object.describe(field) + " must be positive, got " + std::to_string(value));
  return value;
}

RopeScaling parse_rope_scaling(const core::JsonObject& root, std::int64_t max_position_embeddings) {
  RopeScaling scaling;
  if (!root.has("rope_scaling")) return scaling;
  const core::JsonObject object = root.object("rope_scaling");
  // transformers accepts both "rope_type" (current) and "type" (older configs).
  std::string type;
  if (object.has("rope_type")) {
    type = object.string("rope_type");
  } else if (object.has("type")) {
    type = object.string("type");
  } else {
    throw ConfigError(root.describe("rope_scaling") + " needs a 'rope_type' (default, linear, dynamic or llama3)");
  }
  if (type == "default") return scaling;
  if (type == "linear") {
    scaling.type = RopeScaling::Type::kLinear;
  } else if (type == "dynamic") {
    scaling.type = RopeScaling::Type::kDynamic;
  } else if (type == "llama3") {
    scaling.type = RopeScaling::Type::kLlama3;
  } else {
    throw ConfigError(root.describe("rope_scaling.rope_type") + " '" + type +
                      "' is not supported (use default, linear, dynamic or llama3)");
  }
  scaling.factor = object.number("factor");
  if (scaling.factor < 1.0) {
    throw ConfigError(object.describe("factor") + " must be >= 1, got " + std::to_string(scaling.factor));
  }
  if (scaling.type == RopeScaling::Type::kLlama3) {
    scaling.low_freq_factor = object.number("low_freq_factor");
    scaling.high_freq_factor = object.number("high_freq_factor");
    scaling.original_max_position_embeddings = object.integer("original_max_position_embeddings");
    if (scaling.high_freq_factor <= scaling.low_freq_factor) {
      throw ConfigError(object.describe("high_freq_factor") + " must be larger than low_freq_factor");
    }
    if (scaling.original_max_position_embeddings <= 0) {
      throw ConfigError(object.describe("original_max_position_embeddings") + " must be positive");
    }
  } else {
    scaling.original_max_position_embeddings = object.integer_or("original_max_position_embeddings",
                                                                 max_position_embeddings);
  }
  return scaling;
}

core::Json token_ids_to_json(const std::vector<std::int64_t>& ids) {
  if (ids.size() == 1) return ids.front();
  return core::Json(ids);
}

}  // namespace

const char* rope_scaling_name(RopeScaling::Type type) {
  switch (type) {
    case RopeScaling::Type::kNone: return "default";
    case RopeScaling::Type::kLinear: return "linear";
    case RopeScaling::Type::kDynamic: return "dynamic";
    case RopeScaling::Type::kLlama3: return "llama3";
  }
  return "?";
}

std::int64_t LlamaConfig::parameter_count() const {
  const std::int64_t attention = hidden_size * num_attention_heads * head_dim * 2 +
                                 hidden_size * num_key_value_heads * head_dim * 2;
  const std::int64_t mlp = 3 * hidden_size * intermediate_size;
  const std::int64_t layer = attention + mlp + 2 * hidden_size;
  const std::int64_t embeddings = vocab_size * hidden_size * (tie_word_embeddings ? 1 : 2);
  return embeddings + num_hidden_layers * layer + hidden_size;
}

LlamaConfig parse_config(const core::Json& document, const std::string& where) {
  const core::JsonObject root(document, where);
  if (root.has("architectures")) {
    const core::Json& architectures = root.raw("architectures");
    if (!architectures.is_array() || architectures.empty() || !architectures.front().is_string()) {
      throw ConfigError(root.describe("architectures") + " must be a list of architecture names");
    }
    const std::string name = architectures.front().get<std::string>();
    if (std::find(kSupportedArchitectures.begin(), kSupportedArchitectures.end(), name) ==
        kSupportedArchitectures.end()) {
      throw ConfigError(root.describe("architectures") + " names '" + name +
                        "', which evomem cannot run (supported: LlamaForCausalLM)");
    }
  } else if (root.has("model_type") && root.string("model_type") != "llama") {
    throw ConfigError(root.describe("model_type") + " is '" + root.string("model_type") +
                      "', which evomem cannot run (supported: llama)");
  }

  LlamaConfig config;
  config.vocab_size = positive(root, "vocab_size");
  config.hidden_size = positive(root, "hidden_size");
  config.intermediate_size = positive(root, "intermediate_size");
  config.num_hidden_layers = positive(root, "num_hidden_layers");
  config.num_attention_heads = positive(root, "num_attention_heads");
  config.num_key_value_heads = root.has("num_key_value_heads") ? positive(root, "num_key_value_heads")
                                                               : config.num_attention_heads;
  if (config.num_attention_heads % config.num_key_value_heads != 0) {
    throw ConfigError(root.describe("num_key_value_heads") + " (" + std::to_string(config.num_key_value_heads) +
                      ") must divide num_attention_heads (" + std::to_string(config.num_attention_heads) + ")");
  }
  if (root.has("head_dim")) {
    config.head_dim = positive(root, "head_dim");
  } else {
    if (config.hidden_size % config.num_attention_heads != 0) {
      throw ConfigError(root.describe("hidden_size") +
                        " must be a multiple of num_attention_heads when head_dim is absent");
    }
    config.head_dim = config.hidden_size / config.num_attention_heads;
  }
  if (config.head_dim % 2 != 0) {
    throw ConfigError(root.describe("head_dim") + " must be even for rotary embeddings, got " +
                      std::to_string(config.head_dim));
  }
  config.rms_norm_eps = root.number_or("rms_norm_eps", config.rms_norm_eps);
  config.rope_theta = root.number_or("rope_theta", config.rope_theta);
  config.max_position_embeddings = root.has("max_position_embeddings") ? positive(root, "max_position_embeddings")
                                                                       : config.max_position_embeddings;
  config.rope_scaling = parse_rope_scaling(root, config.max_position_embeddings);
  config.tie_word_embeddings = root.boolean_or("tie_word_embeddings", false);
  config.bos_token_ids = token_id_list(root, "bos_token_id");
  config.eos_token_ids = token_id_list(root, "eos_token_id");
  config.torch_dtype = root.string_or("torch_dtype", config.torch_dtype);
  if (config.torch_dtype != "float32" && config.torch_dtype != "bfloat16" && config.torch_dtype != "float16") {
    throw ConfigError(root.describe("torch_dtype") + " '" + config.torch_dtype +
                      "' is not supported (float32, bfloat16 or float16)");
  }
  if (root.has("hidden_act") && root.string("hidden_act") != "silu") {
    throw ConfigError(root.describe("hidden_act") + " is '" + root.string("hidden_act") + "'; Llama uses silu");
  }
  for (const char* field : {"attention_bias", "mlp_bias"}) {
    if (root.boolean_or(field, false)) {
      throw ConfigError(root.describe(field) + " is true; evomem supports Llama layers without biases only");
    }
  }
  return config;
}

LlamaConfig load_config(const std::filesystem::path& path) {
  const std::filesystem::path file = std::filesystem::is_directory(path) ? path / "config.json" : path;
  if (!std::filesystem::exists(file)) {
    throw InputError(file.string() + ": not found (a Hugging Face checkpoint folder needs a config.json)");
  }
  return parse_config(core::read_json_file(file), file.string());
}

core::Json config_to_json(const LlamaConfig& config) {
  core::Json json = {
      {"architectures", {"LlamaForCausalLM"}},
      {"model_type", "llama"},
      {"vocab_size", config.vocab_size},
      {"hidden_size", config.hidden_size},
      {"intermediate_size", config.intermediate_size},
      {"num_hidden_layers", config.num_hidden_layers},
      {"num_attention_heads", config.num_attention_heads},
      {"num_key_value_heads", config.num_key_value_heads},
      {"head_dim", config.head_dim},
      {"hidden_act", "silu"},
      {"rms_norm_eps", config.rms_norm_eps},
      {"rope_theta", config.rope_theta},
      {"max_position_embeddings", config.max_position_embeddings},
      {"tie_word_embeddings", config.tie_word_embeddings},
      {"attention_bias", false},
      {"mlp_bias", false},
      {"torch_dtype", config.torch_dtype},
  };
  if (!config.bos_token_ids.empty()) json["bos_token_id"] = token_ids_to_json(config.bos_token_ids);
  if (!config.eos_token_ids.empty()) json["eos_token_id"] = token_ids_to_json(config.eos_token_ids);
  const RopeScaling& scaling = config.rope_scaling;
  if (scaling.type == RopeScaling::Type::kNone) {
    json["rope_scaling"] = nullptr;
  } else {
    core::Json rope = {{"rope_type", rope_scaling_name(scaling.type)}, {"factor", scaling.factor}};
    if (scaling.type == RopeScaling::Type::kLlama3) {
      rope["low_freq_factor"] = scaling.low_freq_factor;
      rope["high_freq_factor"] = scaling.high_freq_factor;
      rope["original_max_position_embeddings"] = scaling.original_max_position_embeddings;
    }
    json["rope_scaling"] = rope;
  }
  return json;
}

}  // namespace evomem::model
