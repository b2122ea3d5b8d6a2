#pragma once
// The error types every evomem module throws. The command boundary (apps/) catches them
// once and prints a single line; the exit code depends on who is to blame:
//   InputError    -> the user's file, flag or data is wrong (exit 1); the message names
//                    what (file, field, tensor), where, and how to fix it.
//   InternalError -> evomem broke an invariant of its own (exit 2).

#include <stdexcept>
#include <string>

namespace evomem {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A problem with something the user supplied: a file, a config value, a flag.
class InputError : public Error {
 public:
  using Error::Error;
};

// A file exists but its content does not follow its format (safetensors, HDF5, JSON, ...).
class FormatError : public InputError {
 public:
  using InputError::InputError;
};

// A configuration key is unknown, missing or of the wrong type.
class ConfigError : public InputError {
 public:
  using InputError::InputError;
};

// evomem itself is wrong: a violated invariant, never the user's fault.
class InternalError : public Error {
 public:
  using Error::Error;
};

namespace detail {
[[noreturn]] void fail_check(const char* condition, const char* file, int line, const std::string& message);
}  // namespace detail

}  // namespace evomem

// Always-on invariant check (also in Release builds): a failure is an evomem bug and throws
// InternalError naming the condition and the source location.
#define EVOMEM_CHECK(...) EVOMEM_CHECK_IMPL(__VA_ARGS__, "", "")
#define EVOMEM_CHECK_IMPL(condition, message, ...)                                        \
  do {                                                                                    \
    if (!(condition)) {                                                                   \
      ::evomem::detail::fail_check(#condition, __FILE__, __LINE__, std::string{message}); \
    }                                                                                     \
  } while (false)
