#pragma once
// Policy spec strings: "name" or "name:key=value,key=value". Values are plain text (a list
// uses ';', e.g. "skip_layers=0;1"). SpecReader hands out typed values and rejects unknown or
// malformed keys with a message naming the spec and the keys the policy accepts.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "memory/policy.h"

namespace evomem::memory {

struct PolicySpec {
  std::string text;                                          // the spec as written
  std::string name;                                          // before ':'
  std::vector<std::pair<std::string, std::string>> options;  // in order of appearance
};

// Splits a spec; throws ConfigError for an empty name, a key without '=', or a repeated key.
PolicySpec parse_policy_spec(const std::string& text);

// Typed access to a spec's options. Construct with every key the policy accepts; each getter
// returns the default when the key is absent. `finish()` fails on keys that were not accepted.
class SpecReader {
 public:
  SpecReader(PolicySpec spec, std::vector<std::string> accepted_keys);

  bool has(const std::string& key) const;
  std::string get_string(const std::string& key, const std::string& fallback) const;
  std::int64_t get_int(const std::string& key, std::int64_t fallback) const;
  double get_double(const std::string& key, double fallback) const;
  bool get_bool(const std::string& key, bool fallback) const;
  Budget get_budget(const std::string& key, const Budget& fallback) const;
  std::vector<std::int64_t> get_int_list(const std::string& key) const;
  // Throws ConfigError if an option's key is not accepted.
  void finish() const;
  // "policy spec 'TEXT'" — the prefix of every error message about this spec.
  std::string where() const;
  const PolicySpec& spec() const { return spec_; }

 private:
  const std::string* find(const std::string& key) const;
  [[noreturn]] void fail_value(const std::string& key, const std::string& expected) const;

  PolicySpec spec_;
  std::vector<std::string> accepted_;
};

// Names make_policy understands, in documentation order.
std::vector<std::string> policy_names();

}  // namespace evomem::memory
