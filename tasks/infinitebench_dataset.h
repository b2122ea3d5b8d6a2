#pragma once
// InfiniteBench samples, read from the published JSONL files (passkey.jsonl,
// kv_retrieval.jsonl, longbook_qa_eng.jsonl, ...) with the published field names and types.

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace evomem::tasks {

// One answer of an InfiniteBench sample. The scorers compare some answers as strings and some
// as numbers (math_find, code_run), so the JSON type is kept.
struct InfiniteBenchAnswer {
  enum class Kind { kString, kInteger, kNumber };
  Kind kind = Kind::kString;
  std::string text;  // the string, or the number as the JSON text wrote it
};

// One line of an InfiniteBench file.
struct InfiniteBenchSample {
  std::string id;       // "id" (an integer in the published files; strings are accepted too)
  std::string context;  // the long document
  std::string input;    // question / instruction (may be empty)
  // "answer": a string or number becomes one answer, a list keeps its order; never empty.
  std::vector<InfiniteBenchAnswer> answers;
  std::vector<std::string> options;  // "options": choices for longbook_choice_eng / code_debug
};

// Calls `visit` for each sample in file order, at most `limit` (0 = all); FormatError naming
// the file, line and field on bad input (missing field, wrong type, invalid UTF-8, no answer).
void for_each_infinitebench_sample(const std::filesystem::path& path,
                                   const std::function<void(InfiniteBenchSample&&)>& visit, std::size_t limit = 0);
std::vector<InfiniteBenchSample> read_infinitebench_file(const std::filesystem::path& path, std::size_t limit = 0);

// The answers as plain strings (numbers in their JSON spelling).
std::vector<std::string> answer_texts(const std::vector<InfiniteBenchAnswer>& answers);

}  // namespace evomem::tasks
