#pragma once
// The per-sample scorers of InfiniteBench's compute_scores.py, with the published semantics
// (each returns 0 or 1 except the F1 / ROUGE ones).

#include <string>
#include <string_view>
#include <vector>

#include "metrics/answer.h"

namespace evomem::metrics {

// The first run of ASCII digits in the text ("" if none).
std::string first_integer(std::string_view text);

// passkey / number_string: the first digit run equals the (first) answer.
double passkey_score(std::string_view prediction, const std::vector<Answer>& answers);
// kv_retrieval: the (first) answer is one of the words once \n : " ' . , ? ! { } are spaces.
double kv_retrieval_score(std::string_view prediction, const std::vector<Answer>& answers);
// longbook_choice_eng: the option letter (first character, an "answer is" style prefix, or
// the first word that is one of A B C D) is among the answers.
double choice_score(std::string_view prediction, const std::vector<Answer>& answers);
// longdialogue_qa_eng: the (first) answer is one of the upper-cased words.
double dialogue_score(std::string_view prediction, const std::vector<Answer>& answers);
// math_find: the first number (\d+\.\d+ or \d+) equals the numeric answer. A non-numeric
// answer is an InputError (the published scorer raises TypeError).
double math_find_score(std::string_view prediction, const std::vector<Answer>& answers);
// code_run: the last word, read as a Python int, equals the integer answer.
double code_run_score(std::string_view prediction, const std::vector<Answer>& answers);
// code_debug: answers are [function name, option letter]; the prediction starts with
// "<letter>." / "<letter>:" or names the letter or function after an answer prefix.
double code_debug_score(std::string_view prediction, const std::vector<Answer>& answers);

}  // namespace evomem::metrics
