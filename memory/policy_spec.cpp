#include "memory/policy_spec.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>

#include "core/error.h"
#include "core/text.h"
#include "memory/attention_policies.h"
#include "memory/namm_file.h"
#include "memory/namm_policy.h"
#include "memory/static_policies.h"

namespace evomem::memory {
namespace {

std::string trim(const std::string& text) {
  const auto begin = text.find_first_not_of(" \t");
  if (begin == std::string::npos) return "";
  const auto end = text.find_last_not_of(" \t");
  return text.substr(begin, end - begin + 1);
}

}  // namespace

PolicySpec parse_policy_spec(const std::string& text) {
  PolicySpec spec;
  spec.text = text;
  const auto colon = text.find(':');
  spec.name = trim(text.substr(0, colon));
  if (spec.name.empty())
    throw ConfigError("policy spec '" + text + "': missing policy name (e.g. 'full', 'h2o:heavy=128,recent=128')");
  if (colon == std::string::npos) return spec;
  const std::string rest = text.substr(colon + 1);
  std::size_t start = 0;
  while (start <= rest.size()) {
    auto comma = rest.find(',', start);
    if (comma == std::string::npos) comma = rest.size();
    const std::string item = trim(rest.substr(start, comma - start));
    start = comma + 1;
    if (item.empty()) {
      if (comma == rest.size()) break;
      continue;
    }
    const auto equals = item.find('=');
    if (equals == std::string::npos) {
      throw ConfigError("policy spec '" + text + "': option '" + item + "' must be key=value");
    }
    std::string key = trim(item.substr(0, equals));
    std::string value = trim(item.substr(equals + 1));
    if (key.empty()) throw ConfigError("policy spec '" + text + "': option '" + item + "' has no key");
    for (const auto& existing : spec.options) {
      if (existing.first == key) throw ConfigError("policy spec '" + text + "': key '" + key + "' given twice");
    }
    spec.options.emplace_back(std::move(key), std::move(value));
  }
  return spec;
}

SpecReader::SpecReader(PolicySpec spec, std::vector<std::string> accepted_keys)
    : spec_(std::move(spec)), accepted_(std::move(accepted_keys)) {}

std::string SpecReader::where() const { return "policy spec '" + spec_.text + "'"; }

const std::string* SpecReader::find(const std::string& key) const {
  for (const auto& option : spec_.options) {
    if (option.first == key) return &option.second;
  }
  return nullptr;
}

bool SpecReader::has(const std::string& key) const { return find(key) != nullptr; }

void SpecReader::fail_value(const std::string& key, const std::string& expected) const {
  throw ConfigError(where() + ": '" + key + "=" + *find(key) + "' must be " + expected);
}

std::string SpecReader::get_string(const std::string& key, const std::string& fallback) const {
  const auto* value = find(key);
  return value ? *value : fallback;
}

std::int64_t SpecReader::get_int(const std::string& key, std::int64_t fallback) const {
  const auto* value = find(key);
  if (!value) return fallback;
  std::size_t used = 0;
  long long parsed = 0;
  try {
    parsed = std::stoll(*value, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != value->size()) fail_value(key, "an integer");
  return parsed;
}

double SpecReader::get_double(const std::string& key, double fallback) const {
  const auto* value = find(key);
  if (!value) return fallback;
  std::size_t used = 0;
  double parsed = 0;
  try {
    parsed = std::stod(*value, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != value->size() || !std::isfinite(parsed)) fail_value(key, "a number");
  return parsed;
}

bool SpecReader::get_bool(const std::string& key, bool fallback) const {
  const auto* value = find(key);
  if (!value) return fallback;
  if (*value == "true" || *value == "1" || *value == "yes") return true;
  if (*value == "false" || *value == "0" || *value == "no") return false;
  fail_value(key, "true or false");
}

Budget SpecReader::get_budget(const std::string& key, const Budget& fallback) const {
  const auto* value = find(key);
  if (!value) return fallback;
  return Budget::parse(*value, where() + " key '" + key + "'");
}

std::vector<std::int64_t> SpecReader::get_int_list(const std::string& key) const {
  std::vector<std::int64_t> out;
  const auto* value = find(key);
  if (!value || value->empty()) return out;
  std::size_t start = 0;
  while (start <= value->size()) {
    auto semicolon = value->find(';', start);
    if (semicolon == std::string::npos) semicolon = value->size();
    const std::string item = trim(value->substr(start, semicolon - start));
    start = semicolon + 1;
    std::size_t used = 0;
    long long parsed = 0;
    try {
      parsed = std::stoll(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != item.size()) fail_value(key, "a ';'-separated list of integers");
    out.push_back(parsed);
  }
  return out;
}

void SpecReader::finish() const {
  for (const auto& option : spec_.options) {
    if (std::find(accepted_.begin(), accepted_.end(), option.first) == accepted_.end()) {
      throw ConfigError(where() + ": unknown key '" + option.first + "' for policy '" + spec_.name +
                        "'; accepted keys: " + (accepted_.empty() ? std::string("none") : core::join(accepted_)));
    }
  }
}

namespace {

using Factory = std::function<std::unique_ptr<Policy>(const PolicySpec&)>;

std::unique_ptr<Policy> make_full(const PolicySpec& spec) {
  SpecReader reader(spec, {"interval"});
  reader.finish();
  return std::make_unique<FullCachePolicy>(reader.get_int("interval", kDefaultUpdateInterval));
}

std::int64_t interval_of(const SpecReader& reader) { return reader.get_int("interval", kDefaultUpdateInterval); }

Budget required_budget(const SpecReader& reader, const std::string& key) {
  if (!reader.has(key)) throw ConfigError(reader.where() + ": missing key '" + key + "' (a token count or a ratio)");
  return reader.get_budget(key, Budget{});
}

std::unique_ptr<Policy> make_recency(const PolicySpec& spec) {
  SpecReader reader(spec, {"window", "interval"});
  reader.finish();
  return std::make_unique<RecencyPolicy>(required_budget(reader, "window"), interval_of(reader));
}

std::unique_ptr<Policy> make_streaming(const PolicySpec& spec) {
  SpecReader reader(spec, {"sinks", "window", "interval"});
  reader.finish();
  return std::make_unique<StreamingPolicy>(reader.get_int("sinks", 4), reader.get_budget("window", Budget{false, 256}),
                                           interval_of(reader));
}

std::unique_ptr<Policy> make_h2o(const PolicySpec& spec) {
  SpecReader reader(spec, {"heavy", "recent", "interval"});
  reader.finish();
  return std::make_unique<H2OPolicy>(reader.get_budget("heavy", Budget{false, 128}),
                                     reader.get_budget("recent", Budget{false, 128}), interval_of(reader));
}

std::unique_ptr<Policy> make_l2(const PolicySpec& spec) {
  SpecReader reader(spec, {"keep", "skip_layers", "interval"});
  reader.finish();
  return std::make_unique<L2NormPolicy>(required_budget(reader, "keep"), reader.get_int_list("skip_layers"),
                                        interval_of(reader));
}

// The SnapKV scoring keys shared by snapkv, pyramidkv and adakv (defaults: window 32,
// kernel 7, average pooling).
SnapKVScoring scoring_of(const SpecReader& reader) {
  const std::string pooling = reader.get_string("pooling", "avg");
  if (pooling != "avg" && pooling != "max") {
    throw ConfigError(reader.where() + ": pooling must be 'avg' or 'max', got '" + pooling + "'");
  }
  return SnapKVScoring{reader.get_int("window", 32), reader.get_int("kernel", 7),
                       pooling == "avg" ? SnapKVScoring::Pooling::kAverage : SnapKVScoring::Pooling::kMax};
}

std::unique_ptr<Policy> make_snapkv(const PolicySpec& spec) {
  SpecReader reader(spec, {"window", "kernel", "budget", "pooling", "interval"});
  reader.finish();
  const SnapKVScoring scoring = scoring_of(reader);
  return std::make_unique<SnapKVPolicy>(scoring.window, scoring.kernel, reader.get_budget("budget", Budget{false, 512}),
                                        scoring.pooling, interval_of(reader));
}

std::unique_ptr<Policy> make_pyramidkv(const PolicySpec& spec) {
  SpecReader reader(spec, {"window", "kernel", "budget", "pooling", "layers", "beta", "interval"});
  reader.finish();
  // The observation names its layer but not how many there are, and the pyramid's slope
  // depends on that count, so it must be given.
  if (!reader.has("layers")) throw ConfigError(reader.where() + ": missing key 'layers' (the model's layer count)");
  return std::make_unique<PyramidKVPolicy>(scoring_of(reader), reader.get_budget("budget", Budget{false, 512}),
                                           reader.get_int("layers", 0), reader.get_int("beta", 20),
                                           interval_of(reader));
}

std::unique_ptr<Policy> make_adakv(const PolicySpec& spec) {
  SpecReader reader(spec, {"window", "kernel", "budget", "pooling", "alpha", "interval"});
  reader.finish();
  return std::make_unique<AdaKVPolicy>(scoring_of(reader), reader.get_budget("budget", Budget{false, 512}),
                                       reader.get_double("alpha", 0.2), interval_of(reader));
}

std::unique_ptr<Policy> make_tova(const PolicySpec& spec) {
  SpecReader reader(spec, {"budget", "interval"});
  reader.finish();
  return std::make_unique<TOVAPolicy>(reader.get_budget("budget", Budget{false, 512}), interval_of(reader));
}

std::unique_ptr<Policy> make_random(const PolicySpec& spec) {
  SpecReader reader(spec, {"keep", "seed", "interval"});
  reader.finish();
  const auto seed = reader.get_int("seed", 0);
  if (seed < 0) throw ConfigError(reader.where() + ": seed must not be negative");
  return std::make_unique<RandomPolicy>(required_budget(reader, "keep"), static_cast<std::uint64_t>(seed),
                                        interval_of(reader));
}

std::unique_ptr<Policy> make_namm(const PolicySpec& spec) {
  SpecReader reader(spec, {"weights", "selection", "threshold", "budget", "uniform_count", "keep_newest", "interval",
                           "bf16_attention"});
  reader.finish();
  NammWeights weights;
  const std::string path = reader.get_string("weights", "");
  if (path.empty()) {
    // No file: the default configuration with an all-zero genome (keeps every token).
    weights.genome = Genome::zeros(NammPolicy(weights.config).layout());
  } else {
    weights = load_namm(path);
  }
  NammConfig& config = weights.config;
  const std::string selection = reader.get_string("selection", selection_mode_name(config.selection.mode));
  if (selection == "threshold") {
    config.selection.mode = SelectionMode::kThreshold;
  } else if (selection == "topk") {
    config.selection.mode = SelectionMode::kTopK;
  } else {
    throw ConfigError(reader.where() + ": selection must be 'threshold' or 'topk', got '" + selection + "'");
  }
  config.selection.threshold = reader.get_double("threshold", config.selection.threshold);
  config.selection.budget = reader.get_budget("budget", config.selection.budget);
  config.selection.uniform_count = reader.get_bool("uniform_count", config.selection.uniform_count);
  config.selection.keep_newest = reader.get_bool("keep_newest", config.selection.keep_newest);
  config.update_interval = reader.get_int("interval", config.update_interval);
  config.bf16_attention = reader.get_bool("bf16_attention", config.bf16_attention);
  config.validate();
  auto policy = make_namm_policy(weights);
  if (!path.empty()) policy->set_source(path);
  return policy;
}

const std::vector<std::pair<std::string, Factory>>& factories() {
  static const std::vector<std::pair<std::string, Factory>> table = {
      {"full", make_full}, {"recency", make_recency}, {"streaming", make_streaming}, {"h2o", make_h2o},
      {"l2", make_l2},     {"snapkv", make_snapkv},   {"pyramidkv", make_pyramidkv}, {"adakv", make_adakv},
      {"tova", make_tova}, {"random", make_random},   {"namm", make_namm},
  };
  return table;
}

}  // namespace

std::vector<std::string> policy_names() {
  std::vector<std::string> names;
  for (const auto& entry : factories()) names.push_back(entry.first);
  return names;
}

std::unique_ptr<Policy> make_policy(const std::string& text) {
  const PolicySpec spec = parse_policy_spec(text);
  for (const auto& entry : factories()) {
    if (entry.first == spec.name) return entry.second(spec);
  }
  throw ConfigError("policy spec '" + text + "': unknown policy '" + spec.name +
                    "'; known policies: " + core::join(policy_names()));
}

}  // namespace evomem::memory
