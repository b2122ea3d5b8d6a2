// The JSONL dataset readers (tasks/jsonl_reader.h): the same file read as LongBench and as
// InfiniteBench samples.

#include "fuzz/fuzz_support.h"
#include "tasks/infinitebench_dataset.h"
#include "tasks/longbench_dataset.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto path = evomem::fuzz::write_input(data, size, ".jsonl");
  evomem::fuzz::expect_input_errors([&] { evomem::tasks::read_longbench_file(path); });
  evomem::fuzz::expect_input_errors([&] {
    for (const auto& sample : evomem::tasks::read_infinitebench_file(path)) evomem::tasks::answer_texts(sample.answers);
  });
  return 0;
}
