#include "model/tokenizer_regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <new>

#include "core/error.h"
#include "core/utf8.h"

namespace evomem::model {

namespace {

// Copies the escape starting at pattern[i] ('\\') to `out`; returns the index after it.
std::size_t copy_escape(const std::string& pattern, std::size_t i, std::string& out) {
  std::size_t end = std::min(i + 2, pattern.size());
  if (end < pattern.size() && pattern[end] == '{' && std::strchr("pPx", pattern[i + 1]) != nullptr) {
    const std::size_t close = pattern.find('}', end);
    end = close == std::string::npos ? pattern.size() : close + 1;
  }
  out.append(pattern, i, end - i);
  return end;
}

// Copies the character class starting at pattern[i] ('[') to `out`; returns the index after it.
std::size_t copy_class(const std::string& pattern, std::size_t i, std::string& out) {
  const std::size_t start = i;
  int depth = 0;
  while (i < pattern.size()) {
    const char c = pattern[i];
    if (c == '\\') {
      i = std::min(i + 2, pattern.size());
      continue;
    }
    if (c == '[') {
      // "[:alpha:]" is a POSIX class, not a nested set; a leading "]" or "^]" is literal.
      if (pattern.compare(i, 2, "[:") == 0) {
        const std::size_t close = pattern.find(":]", i + 2);
        if (close != std::string::npos) {
          i = close + 2;
          continue;
        }
      }
      ++depth;
      ++i;
      if (i < pattern.size() && pattern[i] == '^') ++i;
      if (i < pattern.size() && pattern[i] == ']') ++i;
      continue;
    }
    if (c == ']') {
      --depth;
      ++i;
      if (depth == 0) break;
      continue;
    }
    ++i;
  }
  out.append(pattern, start, i - start);
  return i;
}

}  // namespace

std::string translate_case_insensitive_groups(const std::string& pattern) {
  std::string out;
  out.reserve(pattern.size() * 2);
  std::vector<bool> fold_stack;  // per open group: did it fold before it was opened
  bool fold = false;
  std::size_t i = 0;
  while (i < pattern.size()) {
    const char c = pattern[i];
    if (c == '\\') {
      i = copy_escape(pattern, i, out);
    } else if (c == '[') {
      if (fold) {
        // Classes keep PCRE2's own caseless matching (rare in tokenizer patterns).
        out += "(?i:";
        i = copy_class(pattern, i, out);
        out += ")";
      } else {
        i = copy_class(pattern, i, out);
      }
    } else if (c == '(') {
      fold_stack.push_back(fold);
      if (pattern.compare(i, 4, "(?i:") == 0) {
        out += "(?:";
        fold = true;
        i += 4;
      } else {
        out.push_back(c);
        ++i;
      }
    } else if (c == ')') {
      if (!fold_stack.empty()) {
        fold = fold_stack.back();
        fold_stack.pop_back();
      }
      out.push_back(c);
      ++i;
    } else if (fold && std::isalpha(static_cast<unsigned char>(c))) {
      out.push_back('[');
      out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
      out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
      out.push_back(']');
      ++i;
    } else {
      out.push_back(c);
      ++i;
    }
  }
  return out;
}

struct TokenizerRegex::Compiled {
  pcre2_code* code = nullptr;
  bool jit = false;
  ~Compiled() {
    if (code != nullptr) pcre2_code_free(code);
  }
};

namespace {

// Per-thread match state: match data for the whole-match offsets and a JIT stack large
// enough for long runs of white space (the default 32 KiB is not).
class ThreadMatchState {
 public:
  ThreadMatchState() {
    match_data_ = pcre2_match_data_create(1, nullptr);
    context_ = pcre2_match_context_create(nullptr);
    jit_stack_ = pcre2_jit_stack_create(32 * 1024, 8 * 1024 * 1024, nullptr);
    if (match_data_ == nullptr || context_ == nullptr) throw std::bad_alloc();
    if (jit_stack_ != nullptr) pcre2_jit_stack_assign(context_, nullptr, jit_stack_);
  }
  ~ThreadMatchState() {
    if (jit_stack_ != nullptr) pcre2_jit_stack_free(jit_stack_);
    if (context_ != nullptr) pcre2_match_context_free(context_);
    if (match_data_ != nullptr) pcre2_match_data_free(match_data_);
  }
  ThreadMatchState(const ThreadMatchState&) = delete;
  ThreadMatchState& operator=(const ThreadMatchState&) = delete;

  pcre2_match_data* match_data() const { return match_data_; }
  pcre2_match_context* context() const { return context_; }

 private:
  pcre2_match_data* match_data_ = nullptr;
  pcre2_match_context* context_ = nullptr;
  pcre2_jit_stack* jit_stack_ = nullptr;
};

ThreadMatchState& thread_match_state() {
  thread_local ThreadMatchState state;
  return state;
}

std::string pcre2_message(int code) {
  PCRE2_UCHAR buffer[256];
  pcre2_get_error_message(code, buffer, sizeof buffer);
  return reinterpret_cast<const char*>(buffer);
}

}  // namespace

TokenizerRegex::TokenizerRegex(const std::string& pattern, const std::string& where)
    : translated_(translate_case_insensitive_groups(pattern)), compiled_(std::make_unique<Compiled>()) {
  int error_code = 0;
  PCRE2_SIZE error_offset = 0;
  compiled_->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(translated_.data()), translated_.size(),
                                  PCRE2_UTF | PCRE2_UCP, &error_code, &error_offset, nullptr);
  if (compiled_->code == nullptr) {
    throw InputError(where + ": the regular expression cannot be compiled (" + pcre2_message(error_code) +
                     " at offset " + std::to_string(error_offset) + " of " + translated_ + ")");
  }
  compiled_->jit = pcre2_jit_compile(compiled_->code, PCRE2_JIT_COMPLETE) == 0;
}

TokenizerRegex::~TokenizerRegex() = default;

void TokenizerRegex::find_all(std::string_view text, std::vector<Match>& matches) const {
  ThreadMatchState& state = thread_match_state();
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  std::size_t offset = 0;
  while (offset <= text.size()) {
    const int rc = pcre2_match(compiled_->code, subject, text.size(), offset, PCRE2_NO_UTF_CHECK, state.match_data(),
                               state.context());
    if (rc == PCRE2_ERROR_NOMATCH) break;
    if (rc < 0) {
      throw InputError("tokenizer regex " + translated_ + " failed on the input: " + pcre2_message(rc));
    }
    const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(state.match_data());
    const std::size_t start = ovector[0];
    const std::size_t end = ovector[1];
    if (end > start) {
      matches.push_back({start, end});
      offset = end;
    } else {
      // Empty match: step over one code point, as JavaScript's matchAll does in unicode mode.
      if (start >= text.size()) break;
      offset = start + core::sequence_length_from_lead(static_cast<unsigned char>(text[start]));
    }
  }
}

}  // namespace evomem::model
