// Encoding (model/tokenizer.h): the input is the text, encoded by two fixed tokenizers (the
// byte-level BPE of models/evomem-tiny and the metaspace BPE of the tests) and decoded again.

#include "fuzz/fuzz_support.h"
#include "model/tokenizer.h"

namespace {

const std::vector<evomem::model::Tokenizer>& tokenizers() {
  static const std::vector<evomem::model::Tokenizer> loaded = [] {
    std::vector<evomem::model::Tokenizer> list;
    list.push_back(evomem::model::Tokenizer::load(EVOMEM_SOURCE_DIR "/models/evomem-tiny"));
    list.push_back(evomem::model::Tokenizer::load(EVOMEM_SOURCE_DIR "/tests/model/data/tokenizer_tiny_metaspace.json"));
    return list;
  }();
  return loaded;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text = evomem::fuzz::input_text(data, size);
  for (const auto& tokenizer : tokenizers()) {
    const auto ids = tokenizer.encode(text, true);
    tokenizer.decode(ids);
    tokenizer.decode(ids, {true, true});
  }
  return 0;
}
