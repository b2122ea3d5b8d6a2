#include "metrics/infinitebench_scorers.h"

#include <algorithm>
#include <cstdlib>

#include "core/error.h"
#include "core/utf8.h"
#include "metrics/utf8_text.h"

namespace evomem::metrics {
namespace {

using Answers = std::vector<Answer>;

std::u32string replace_with_space(std::u32string text, std::u32string_view characters) {
  for (char32_t& c : text) {
    if (characters.find(c) != std::u32string_view::npos) c = U' ';
  }
  return text;
}

// Python's str.replace: non-overlapping occurrences, left to right.
std::u32string replace_all(const std::u32string& text, std::u32string_view from, std::u32string_view to) {
  std::u32string out;
  out.reserve(text.size());
  std::size_t start = 0;
  for (std::size_t at = text.find(from); at != std::u32string::npos; at = text.find(from, start)) {
    out.append(text, start, at - start);
    out.append(to);
    start = at + from.size();
  }
  out.append(text, start, std::u32string::npos);
  return out;
}

// `while "  " in pred: pred = pred.replace("  ", " ")`
std::u32string collapse_double_spaces(std::u32string text) {
  while (text.find(U"  ") != std::u32string::npos) text = replace_all(text, U"  ", U" ");
  return text;
}

bool starts_with(std::u32string_view text, std::u32string_view prefix) {
  return text.size() >= prefix.size() && text.substr(0, prefix.size()) == prefix;
}

// Canonical decimal spelling of a Python int literal as int() reads it (sign, Unicode digits,
// single underscores between digits, surrounding white space), or "" if int() would fail.
std::string python_int(std::u32string_view word) {
  std::u32string_view text = python_strip(word);
  bool negative = false;
  if (!text.empty() && (text[0] == U'+' || text[0] == U'-')) {
    negative = text[0] == U'-';
    text.remove_prefix(1);
  }
  if (text.empty()) return "";
  std::string digits;
  bool previous_digit = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == U'_') {
      if (!previous_digit || i + 1 == text.size()) return "";
      previous_digit = false;
      continue;
    }
    if (!is_unicode_decimal(text[i])) return "";
    digits.push_back(static_cast<char>('0' + decimal_value(text[i])));
    previous_digit = true;
  }
  const std::size_t first = digits.find_first_not_of('0');
  digits = first == std::string::npos ? "0" : digits.substr(first);
  return (negative && digits != "0" ? "-" : "") + digits;
}

const Answer& first_answer(const Answers& answers) {
  if (answers.empty()) throw InputError("an InfiniteBench sample has no answer");
  return answers.front();
}

bool contains(const Answers& answers, std::u32string_view text) {
  const std::string utf8 = core::code_points_to_utf8(text);
  return std::any_of(answers.begin(), answers.end(),
                     [&](const Answer& answer) { return answer.kind == Answer::Kind::kString && answer.text == utf8; });
}

}  // namespace

std::string first_integer(std::string_view text) {
  const std::size_t start = text.find_first_of("0123456789");
  if (start == std::string_view::npos) return "";
  const std::size_t end = text.find_first_not_of("0123456789", start);
  return std::string(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
}

double passkey_score(std::string_view prediction, const Answers& answers) {
  const auto& label = first_answer(answers);
  if (label.kind != Answer::Kind::kString) return 0.0;  // a str never equals an int
  return label.text == first_integer(prediction) ? 1.0 : 0.0;
}

double kv_retrieval_score(std::string_view prediction, const Answers& answers) {
  const auto& label = first_answer(answers);
  const auto words = python_split(replace_with_space(core::utf8_to_code_points(prediction), U"\n:\"'.,?!{}"));
  const std::u32string target = core::utf8_to_code_points(label.text);
  return std::find(words.begin(), words.end(), target) != words.end() ? 1.0 : 0.0;
}

double choice_score(std::string_view prediction, const Answers& answers) {
  std::u32string text(python_strip(core::utf8_to_code_points(prediction)));
  if (text.empty()) return 0.0;
  if (std::u32string_view(U"ABCD").find(text[0]) != std::u32string_view::npos) {
    return contains(answers, std::u32string(1, text[0])) ? 1.0 : 0.0;
  }
  if (contains(answers, text)) return 1.0;
  text = collapse_double_spaces(replace_with_space(std::move(text), U"\n\"'.,?!{}"));
  for (const std::u32string_view prefix : {U"answer is:", U"answer:", U"answer is", U"option is"}) {
    const std::size_t at = text.find(prefix);
    if (at == std::u32string::npos) continue;
    if (text.size() < at + prefix.size() + 1) return 0.0;
    const std::u32string_view after = std::u32string_view(text).substr(at + prefix.size() + 1);
    for (const auto& answer : answers) {
      if (answer.kind == Answer::Kind::kString && starts_with(after, core::utf8_to_code_points(answer.text))) {
        return 1.0;
      }
    }
    return 0.0;
  }
  for (const auto& word : python_split(text)) {
    // `word in "ABCD"` is a substring test: "A", "BC", "ABCD" all pass.
    if (std::u32string_view(U"ABCD").find(word) != std::u32string_view::npos)
      return contains(answers, word) ? 1.0 : 0.0;
  }
  return 0.0;
}

double dialogue_score(std::string_view prediction, const Answers& answers) {
  const auto& label = first_answer(answers);
  const std::u32string text(python_strip(core::utf8_to_code_points(prediction)));
  const auto words = python_split(replace_with_space(text, U"\n:\"'.,?!{}"));
  const std::u32string target = core::utf8_to_code_points(label.text);
  for (const auto& word : words) {
    if (python_upper(word) == target) return 1.0;
  }
  return 0.0;
}

double math_find_score(std::string_view prediction, const Answers& answers) {
  const auto& label = first_answer(answers);
  if (label.kind == Answer::Kind::kString) {
    throw InputError("math_find answer '" + label.text + "' must be a number (int or float), as published");
  }
  // First match of \d+\.\d+|\d+ (Unicode digits).
  const std::u32string text = core::utf8_to_code_points(prediction);
  std::size_t i = 0;
  while (i < text.size() && !is_unicode_decimal(text[i])) ++i;
  if (i == text.size()) return 0.0;
  std::size_t end = i;
  while (end < text.size() && is_unicode_decimal(text[end])) ++end;
  bool has_fraction = false;
  if (end + 1 < text.size() && text[end] == U'.' && is_unicode_decimal(text[end + 1])) {
    has_fraction = true;
    end += 1;
    while (end < text.size() && is_unicode_decimal(text[end])) ++end;
  }
  std::string ascii;
  for (std::size_t k = i; k < end; ++k) {
    ascii.push_back(text[k] == U'.' ? '.' : static_cast<char>('0' + decimal_value(text[k])));
  }
  if (label.kind == Answer::Kind::kInteger) {
    // int("3.5") raises in the published scorer; such a prediction cannot be right.
    if (has_fraction) return 0.0;
    return python_int(core::utf8_to_code_points(ascii)) == python_int(core::utf8_to_code_points(label.text)) ? 1.0
                                                                                                             : 0.0;
  }
  return std::strtod(ascii.c_str(), nullptr) == std::strtod(label.text.c_str(), nullptr) ? 1.0 : 0.0;
}

double code_run_score(std::string_view prediction, const Answers& answers) {
  const auto& label = first_answer(answers);
  const std::u32string text(python_strip(core::utf8_to_code_points(prediction)));
  const auto words = python_split(replace_with_space(text, U"\n.`'\":"));
  if (words.empty()) return 0.0;
  const std::string value = python_int(words.back());
  if (value.empty() || label.kind != Answer::Kind::kInteger) return 0.0;
  return value == python_int(core::utf8_to_code_points(label.text)) ? 1.0 : 0.0;
}

double code_debug_score(std::string_view prediction, const Answers& answers) {
  if (answers.size() < 2) {
    throw InputError("code_debug answers must be [function name, option letter], got " +
                     std::to_string(answers.size()) + " item(s)");
  }
  const std::u32string function_name = core::utf8_to_code_points(answers[0].text);
  const std::u32string letter = core::utf8_to_code_points(answers[1].text);
  std::u32string text(python_strip(core::utf8_to_code_points(prediction)));
  const std::u32string_view head = std::u32string_view(text).substr(0, std::min<std::size_t>(2, text.size()));
  if (head == letter + U"." || head == letter + U":") return 1.0;
  text = replace_with_space(std::move(text), U"\n`'\"-*");
  text = replace_all(text, U"Option", U" ");
  text = replace_all(text, U"option", U" ");
  text = collapse_double_spaces(std::move(text));
  for (const std::u32string_view prefix : {U"answer is:", U"is:", U"answer:", U"correct option is:"}) {
    const std::size_t at = text.find(prefix);
    if (at == std::u32string::npos) continue;
    if (text.size() < at + prefix.size() + 1) return 0.0;
    const std::u32string_view after = std::u32string_view(text).substr(at + prefix.size() + 1);
    return starts_with(after, letter) || starts_with(after, function_name) ? 1.0 : 0.0;
  }
  return 0.0;
}

}  // namespace evomem::metrics
