#pragma once
// model::Tokenizer as the functions the synthetic generators take.

#include "model/tokenizer.h"
#include "tasks/synthetic_generators.h"

namespace evomem::tasks {

// `tokenizer` must outlive the result.
SyntheticTokenizer synthetic_tokenizer(const model::Tokenizer& tokenizer);

}  // namespace evomem::tasks
