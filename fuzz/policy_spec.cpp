// Policy specs (memory/policy_spec.h): "name:key=value,..." parsed and the policy built. A
// spec naming a NAMM weights file is skipped (namm_file fuzzes those files).

#include "memory/policy_spec.h"
#include "fuzz/fuzz_support.h"
#include "memory/policy.h"
#include "model/threads.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  evomem::model::apply_threads(1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text = evomem::fuzz::input_text(data, size);
  if (text.find("weights") != std::string::npos) return -1;
  evomem::fuzz::expect_input_errors([&] {
    const auto policy = evomem::memory::make_policy(text);
    // The canonical spec must build the same policy again.
    const std::string canonical = policy->spec();
    if (evomem::memory::make_policy(canonical)->spec() != canonical) {
      throw evomem::InternalError("spec '" + canonical + "' does not rebuild itself");
    }
  });
  return 0;
}
