#pragma once
// Normalizers of tokenizer.json, applied to each piece of text between added tokens before
// pre-tokenization. Supported: Prepend, Replace (String or Regex pattern) and Sequence —
// what Llama 2 style sentencepiece conversions use.

#include <memory>
#include <string>

#include "core/json_file.h"

namespace evomem::model {

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  virtual std::string normalize(std::string text) const = 0;

  // InputError naming file, field and the supported types for anything else.
  static std::unique_ptr<Normalizer> from_json(const core::Json& config, const std::string& where,
                                               const std::string& field);
};

}  // namespace evomem::model
