#pragma once
// Answer normalisation of the LongBench / InfiniteBench scripts (SQuAD style), on code points.

#include <string>
#include <string_view>
#include <vector>

namespace evomem::metrics {

// English: lower-case (full Unicode), drop ASCII punctuation, replace the whole words
// a/an/the by a space, collapse white space; returns the words.
std::vector<std::u32string> normalized_words(std::u32string_view text);
// The normalised English text: the words joined by single spaces.
std::string normalize_answer(std::string_view text);

// Chinese: lower-case, drop ASCII and the published CJK punctuation, drop all white space.
std::u32string normalize_zh_answer(std::u32string_view text);

// The first-line rule of LongBench (trec, triviaqa, samsum, lsht): leading newlines are
// dropped, then everything from the first newline on.
std::string first_line(std::string_view prediction);

// ASCII punctuation (Python's string.punctuation).
bool is_ascii_punctuation(char32_t c);

}  // namespace evomem::metrics
