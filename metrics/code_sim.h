#pragma once
// code_sim of LongBench (lcc, repobench-p): the first prediction line that has no '`', '#'
// or "//" is compared with the reference by fuzzywuzzy's fuzz.ratio / 100.
//
// fuzz.ratio(a, b) is 100 if a == b, 0 if either is empty, else round(100 * ratio) (Python's
// round: half to even), where `ratio` comes from difflib.SequenceMatcher when fuzzywuzzy is
// installed alone (`pip install fuzzywuzzy`, the LongBench setup) or from python-Levenshtein
// (2 * LCS / total length) when that package is present (Debian's python3-fuzzywuzzy pulls it
// in). Both are offered; difflib is the default.

#include <string>
#include <string_view>

namespace evomem::metrics {

enum class SequenceRatio { kDifflib, kLevenshtein };

// difflib.SequenceMatcher(None, a, b).ratio() on code points (autojunk on, as the default).
double difflib_ratio(std::u32string_view a, std::u32string_view b);
// Levenshtein.ratio(a, b): (|a| + |b| - indel distance) / (|a| + |b|), 1 for two empty strings.
double levenshtein_ratio(std::u32string_view a, std::u32string_view b);

// fuzz.ratio(a, b) in 0..100.
int fuzz_ratio(std::string_view a, std::string_view b, SequenceRatio backend = SequenceRatio::kDifflib);

// The line code_sim scores: leading newlines dropped, then the first line without '`', '#' or
// "//" (empty when there is none).
std::string code_sim_line(std::string_view prediction);
// LongBench code_sim_score in 0..1.
double code_sim(std::string_view prediction, std::string_view reference,
                SequenceRatio backend = SequenceRatio::kDifflib);

}  // namespace evomem::metrics
