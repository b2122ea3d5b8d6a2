#pragma once
// LongBench (v1) samples, read from the published JSONL files (data/<task>.jsonl or
// data/<task>_e.jsonl) with the published field names and types.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace evomem::tasks {

// One line of a LongBench file.
// A marked stretch of a sample's context, in bytes of `context`: where the synthetic
// generators put a needle, its answer, a key or a distractor (evomem's "needles" field; absent
// from published LongBench files).
struct ContextSpan {
  std::string kind;  // "needle", "answer", "key", "distractor"
  std::size_t begin = 0;
  std::size_t end = 0;
};

struct LongBenchSample {
  std::string input;                       // question / instruction (may be empty, e.g. lcc)
  std::string context;                     // the long document(s)
  std::vector<std::string> answers;        // every accepted answer; never empty
  std::int64_t length = 0;                 // words (English) or characters (Chinese), as published
  std::string dataset;                     // e.g. "qasper"
  std::string language;                    // "en" / "zh"
  std::vector<std::string> all_classes;    // class names for trec/lsht; empty where null
  std::string id;                          // "_id"
  std::vector<ContextSpan> context_spans;  // from the optional "needles" field
};

// Calls `visit` for each sample in file order, at most `limit` samples (0 = all). FormatError
// naming the file, line and field for a missing field, a wrong type, invalid UTF-8 or an
// empty `answers` list.
void for_each_longbench_sample(const std::filesystem::path& path, const std::function<void(LongBenchSample&&)>& visit,
                               std::size_t limit = 0);
std::vector<LongBenchSample> read_longbench_file(const std::filesystem::path& path, std::size_t limit = 0);

}  // namespace evomem::tasks
