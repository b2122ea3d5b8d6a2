#include "tasks/synthetic_tokenizer.h"

namespace evomem::tasks {

SyntheticTokenizer synthetic_tokenizer(const model::Tokenizer& tokenizer) {
  SyntheticTokenizer functions;
  functions.encode = [&tokenizer](std::string_view text) { return tokenizer.encode(text, false); };
  functions.token_text = [&tokenizer](std::int64_t id) { return tokenizer.decode({id}); };
  return functions;
}

}  // namespace evomem::tasks
