#include "memory/namm_config.h"

#include "core/error.h"

namespace evomem::memory {

const char* scorer_type_name(ScorerType type) { return type == ScorerType::kBam ? "bam" : "mlp"; }
const char* selection_mode_name(SelectionMode mode) { return mode == SelectionMode::kThreshold ? "threshold" : "topk"; }

void NammConfig::validate() const {
  auto fail = [](const std::string& field, const std::string& why) {
    throw ConfigError("NAMM config: " + field + " " + why);
  };
  if (update_interval <= 0) fail("update_interval", "must be positive");
  if (spectrogram.n_fft < 2 || spectrogram.n_fft % 2 != 0) fail("spectrogram.n_fft", "must be even and at least 2");
  if (spectrogram.hop <= 0 || spectrogram.n_fft % spectrogram.hop != 0)
    fail("spectrogram.hop", "must be positive and divide n_fft");
  if (update_interval % spectrogram.hop != 0) fail("update_interval", "must be a multiple of spectrogram.hop");
  if (!(spectrogram.ema_coeff >= 0.0 && spectrogram.ema_coeff < 1.0))
    fail("spectrogram.ema_coeff", "must be in [0, 1)");
  if (recency.dims < 0 || recency.dims % 2 != 0) fail("recency.dims", "must be even and not negative");
  if (!(recency.max_period > 1.0)) fail("recency.max_period", "must be greater than 1");
  if (scorer.attention_dim <= 0) fail("scorer.attention_dim", "must be positive");
  if (scorer.mlp_hidden <= 0) fail("scorer.mlp_hidden", "must be positive");
  if (scorer.mlp_layers < 0) fail("scorer.mlp_layers", "must not be negative");
}

core::Json NammConfig::to_json() const {
  return {{"update_interval", update_interval},
          {"attention_precision", bf16_attention ? "bfloat16" : "float32"},
          {"spectrogram",
           {{"n_fft", spectrogram.n_fft},
            {"hop", spectrogram.hop},
            {"window", "hann_periodic"},
            {"ema_coeff", spectrogram.ema_coeff},
            {"normalize", spectrogram.normalize}}},
          {"recency", {{"dims", recency.dims}, {"max_period", recency.max_period}}},
          {"scorer",
           {{"type", scorer_type_name(scorer.type)},
            {"attention_dim", scorer.attention_dim},
            {"mlp_hidden", scorer.mlp_hidden},
            {"mlp_layers", scorer.mlp_layers}}},
          {"selection",
           {{"mode", selection_mode_name(selection.mode)},
            {"threshold", selection.threshold},
            {"budget", selection.budget.to_string()},
            {"uniform_count", selection.uniform_count},
            {"keep_newest", selection.keep_newest}}}};
}

namespace {

class Reader {
 public:
  Reader(const core::Json& json, std::string where) : json_(json), where_(std::move(where)) {
    if (!json_.is_object()) throw ConfigError(where_ + ": NAMM config must be a JSON object");
  }
  template <typename F>
  void section(const std::string& name, F&& read, std::initializer_list<const char*> keys) {
    if (!json_.contains(name)) return;
    const core::Json& object = json_.at(name);
    if (!object.is_object()) throw ConfigError(where_ + ": NAMM config field '" + name + "' must be an object");
    for (auto it = object.begin(); it != object.end(); ++it) {
      bool known = false;
      for (const char* key : keys) known = known || it.key() == key;
      if (!known) throw ConfigError(where_ + ": unknown NAMM config field '" + name + "." + it.key() + "'");
    }
    read(object, name);
  }
  void integer(const core::Json& object, const std::string& path, const char* key, std::int64_t& out) const {
    if (!object.contains(key)) return;
    if (!object.at(key).is_number_integer())
      throw ConfigError(where_ + ": NAMM config field '" + path + "." + key + "' must be an integer");
    out = object.at(key).get<std::int64_t>();
  }
  void number(const core::Json& object, const std::string& path, const char* key, double& out) const {
    if (!object.contains(key)) return;
    if (!object.at(key).is_number())
      throw ConfigError(where_ + ": NAMM config field '" + path + "." + key + "' must be a number");
    out = object.at(key).get<double>();
  }
  void boolean(const core::Json& object, const std::string& path, const char* key, bool& out) const {
    if (!object.contains(key)) return;
    if (!object.at(key).is_boolean())
      throw ConfigError(where_ + ": NAMM config field '" + path + "." + key + "' must be true or false");
    out = object.at(key).get<bool>();
  }
  std::string string(const core::Json& object, const std::string& path, const char* key,
                     const std::string& fallback) const {
    if (!object.contains(key)) return fallback;
    if (!object.at(key).is_string())
      throw ConfigError(where_ + ": NAMM config field '" + path + "." + key + "' must be a string");
    return object.at(key).get<std::string>();
  }
  const std::string& where() const { return where_; }
  const core::Json& json() const { return json_; }

 private:
  const core::Json& json_;
  std::string where_;
};

}  // namespace

NammConfig NammConfig::from_json(const core::Json& json, const std::string& where) {
  NammConfig config;
  Reader reader(json, where);
  for (auto it = json.begin(); it != json.end(); ++it) {
    const std::string& key = it.key();
    if (key != "update_interval" && key != "attention_precision" && key != "spectrogram" && key != "recency" &&
        key != "scorer" && key != "selection") {
      throw ConfigError(where + ": unknown NAMM config field '" + key + "'");
    }
  }
  reader.integer(json, "", "update_interval", config.update_interval);
  const std::string precision = reader.string(json, "", "attention_precision", "float32");
  if (precision != "float32" && precision != "bfloat16") {
    throw ConfigError(where + ": NAMM config field 'attention_precision' must be 'float32' or 'bfloat16'");
  }
  config.bf16_attention = precision == "bfloat16";
  reader.section("spectrogram",
                 [&](const core::Json& object, const std::string& path) {
                   reader.integer(object, path, "n_fft", config.spectrogram.n_fft);
                   reader.integer(object, path, "hop", config.spectrogram.hop);
                   reader.number(object, path, "ema_coeff", config.spectrogram.ema_coeff);
                   reader.boolean(object, path, "normalize", config.spectrogram.normalize);
                   if (reader.string(object, path, "window", "hann_periodic") != "hann_periodic") {
                     throw ConfigError(where + ": NAMM config field 'spectrogram.window' must be 'hann_periodic'");
                   }
                 },
                 {"n_fft", "hop", "window", "ema_coeff", "normalize"});
  reader.section("recency",
                 [&](const core::Json& object, const std::string& path) {
                   reader.integer(object, path, "dims", config.recency.dims);
                   reader.number(object, path, "max_period", config.recency.max_period);
                 },
                 {"dims", "max_period"});
  reader.section(
      "scorer",
      [&](const core::Json& object, const std::string& path) {
        const std::string type = reader.string(object, path, "type", "bam");
        if (type == "bam") {
          config.scorer.type = ScorerType::kBam;
        } else if (type == "mlp") {
          config.scorer.type = ScorerType::kMlp;
        } else {
          throw ConfigError(where + ": NAMM config field 'scorer.type' must be 'bam' or 'mlp', got '" + type + "'");
        }
        reader.integer(object, path, "attention_dim", config.scorer.attention_dim);
        reader.integer(object, path, "mlp_hidden", config.scorer.mlp_hidden);
        reader.integer(object, path, "mlp_layers", config.scorer.mlp_layers);
      },
      {"type", "attention_dim", "mlp_hidden", "mlp_layers"});
  reader.section("selection",
                 [&](const core::Json& object, const std::string& path) {
                   const std::string mode = reader.string(object, path, "mode", "threshold");
                   if (mode == "threshold") {
                     config.selection.mode = SelectionMode::kThreshold;
                   } else if (mode == "topk") {
                     config.selection.mode = SelectionMode::kTopK;
                   } else {
                     throw ConfigError(where +
                                       ": NAMM config field 'selection.mode' must be 'threshold' or 'topk', got '" +
                                       mode + "'");
                   }
                   reader.number(object, path, "threshold", config.selection.threshold);
                   if (object.contains("budget")) {
                     config.selection.budget = Budget::parse(reader.string(object, path, "budget", ""),
                                                             where + ": selection.budget");
                   }
                   reader.boolean(object, path, "uniform_count", config.selection.uniform_count);
                   reader.boolean(object, path, "keep_newest", config.selection.keep_newest);
                 },
                 {"mode", "threshold", "budget", "uniform_count", "keep_newest"});
  config.validate();
  return config;
}

std::string genome_config_mismatch(const NammConfig& file, const NammConfig& expected) {
  const core::Json a = file.to_json();
  const core::Json b = expected.to_json();
  for (const char* section : {"spectrogram", "recency", "scorer"}) {
    for (auto it = b.at(section).begin(); it != b.at(section).end(); ++it) {
      const core::Json& in_file = a.at(section).at(it.key());
      if (in_file != it.value()) {
        return std::string(section) + "." + it.key() + ": " + in_file.dump() + " in the file, " + it.value().dump() +
               " expected";
      }
    }
  }
  return "";
}

}  // namespace evomem::memory
