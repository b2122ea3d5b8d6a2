// tokenizer.json loading (model/tokenizer.h): the input is the document; a tokenizer that
// loads then encodes and decodes a fixed text with added tokens, digits, accents and CJK.

#include "core/json_file.h"
#include "fuzz/fuzz_support.h"
#include "model/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string kText = "<s> Hello, world!\n\t  1234567 caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac [SEP] </s>";
  evomem::fuzz::expect_input_errors([&] {
    const auto json = evomem::core::parse_json(evomem::fuzz::input_text(data, size), "fuzz tokenizer.json");
    const auto tokenizer = evomem::model::Tokenizer::from_json(json, nullptr, "fuzz tokenizer.json");
    for (const bool special : {true, false}) {
      const auto ids = tokenizer.encode(kText, special);
      tokenizer.decode(ids);
      tokenizer.decode(ids, {true, true});
    }
    tokenizer.summary();
  });
  return 0;
}
