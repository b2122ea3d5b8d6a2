# Sourced by the command-line tests:
#   fail MESSAGE               report MESSAGE on stderr, naming the test, and exit 1
#   expect_error PATTERN CMD   CMD must fail as evomem fails on bad input: exit code 1, exactly
#                              one line on stderr containing PATTERN, nothing on stdout

fail() {
  echo "${0##*/}: $*" >&2
  exit 1
}

expect_error() {
  local pattern="$1"
  shift
  local stdout_file
  stdout_file="$(mktemp)"
  local message code
  set +e
  message="$("$@" 2>&1 >"$stdout_file")"
  code=$?
  set -e
  local stdout_text
  stdout_text="$(cat "$stdout_file")"
  rm -f "$stdout_file"
  [[ $code -eq 1 ]] || fail "exit $code (expected 1) for: $* ($message)"
  [[ "$(wc -l <<<"$message")" -eq 1 && -n "$message" ]] || fail "expected one error line for: $*, got: $message"
  grep -q -- "$pattern" <<<"$message" || fail "'$pattern' not in the error of: $* ($message)"
  [[ -z "$stdout_text" ]] || fail "wrote to stdout on error: $* ($stdout_text)"
}
