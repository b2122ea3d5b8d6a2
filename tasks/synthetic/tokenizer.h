#pragma once
// A tokenizer as the functions the synthetic generators take. A template over anything with
// `encode(text, add_special_tokens)` and `decode(ids)` (model::Tokenizer), so that tasks/ needs
// no LibTorch: the caller includes its tokenizer's header.

#include <cstdint>
#include <string_view>

#include "tasks/synthetic/generators.h"

namespace evomem::tasks {

// `tokenizer` must outlive the result.
template <typename TokenizerLike>
SyntheticTokenizer synthetic_tokenizer(const TokenizerLike& tokenizer) {
  SyntheticTokenizer functions;
  functions.encode = [&tokenizer](std::string_view text) { return tokenizer.encode(text, false); };
  functions.token_text = [&tokenizer](std::int64_t id) { return tokenizer.decode({id}); };
  return functions;
}

}  // namespace evomem::tasks
