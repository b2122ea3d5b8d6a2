#pragma once
// A reference answer as the scorers see it. InfiniteBench compares some answers as strings and
// some as numbers (math_find, code_run), so the JSON type is kept; LongBench answers are all
// strings.

#include <string>

namespace evomem::metrics {

struct Answer {
  enum class Kind { kString, kInteger, kNumber };
  Kind kind = Kind::kString;
  std::string text;  // the string, or the number as the JSON text wrote it
};

}  // namespace evomem::metrics
