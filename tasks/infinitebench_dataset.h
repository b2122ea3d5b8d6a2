#pragma once
// InfiniteBench samples, read from the published JSONL files (passkey.jsonl,
// kv_retrieval.jsonl, longbook_qa_eng.jsonl, ...) with the published field names and types.

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "metrics/answer.h"

namespace evomem::tasks {

// One line of an InfiniteBench file.
struct InfiniteBenchSample {
  std::string id;       // "id" (an integer in the published files; strings are accepted too)
  std::string context;  // the long document
  std::string input;    // question / instruction (may be empty)
  // "answer": a string or number becomes one answer, a list keeps its order; never empty.
  std::vector<metrics::Answer> answers;
  std::vector<std::string> options;  // "options": choices for longbook_choice_eng / code_debug
};

// Calls `visit` for each sample in file order, at most `limit` (0 = all); FormatError naming
// the file, line and field on bad input (missing field, wrong type, invalid UTF-8, no answer).
void for_each_infinitebench_sample(const std::filesystem::path& path,
                                   const std::function<void(InfiniteBenchSample&&)>& visit, std::size_t limit = 0);
std::vector<InfiniteBenchSample> read_infinitebench_file(const std::filesystem::path& path, std::size_t limit = 0);

// The answers as plain strings (numbers in their JSON spelling).
std::vector<std::string> answer_texts(const std::vector<metrics::Answer>& answers);

}  // namespace evomem::tasks
