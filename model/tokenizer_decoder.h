#pragma once
// Decoders of tokenizer.json: they turn token strings back into text. Supported: ByteLevel,
// Metaspace, Replace, ByteFallback, Fuse, Strip and Sequence of those.

#include <memory>
#include <string>
#include <vector>

#include "core/json_file.h"

namespace evomem::model {

// A token on its way back to text; added tokens are passed through ByteLevel unchanged.
struct DecodePiece {
  std::string text;
  bool added = false;
};

class Decoder {
 public:
  virtual ~Decoder() = default;
  // One step of the decoder chain: pieces in, pieces out (joined at the very end).
  virtual void decode_chain(std::vector<DecodePiece>& pieces) const = 0;

  // InputError naming file, field and the supported types for anything else.
  static std::unique_ptr<Decoder> from_json(const core::Json& config, const std::string& where,
                                            const std::string& field);
};

}  // namespace evomem::model
