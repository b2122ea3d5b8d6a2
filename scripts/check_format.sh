#!/usr/bin/env bash
# Checks that every tracked C++ file (*.cpp, *.h) is formatted as .clang-format says, with
# clang-format 14 (Debian package clang-format-14).
#   bash scripts/check_format.sh         list the files clang-format would change; exit 1 if any
#   bash scripts/check_format.sh --fix   reformat them in place
# CLANG_FORMAT=/path/to/clang-format picks the binary (it must be version 14).
set -euo pipefail

usage() {
  echo "usage: bash scripts/check_format.sh [--fix]" >&2
  exit 2
}

fix=0
case "$#:${1:-}" in
  0:) ;;
  1:--fix) fix=1 ;;
  1:-h | 1:--help)
    sed -n '2,6p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  *) usage ;;
esac

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

# clang-format's output differs between major versions, so only 14 counts.
major_version() {
  "$1" --version 2>/dev/null | sed -n 's/.*clang-format version \([0-9][0-9]*\)\..*/\1/p' | head -n 1
}

find_clang_format() {
  local candidate
  for candidate in "${CLANG_FORMAT:-}" clang-format-14 clang-format; do
    [[ -n "$candidate" ]] || continue
    candidate="$(command -v "$candidate" 2>/dev/null)" || continue
    if [[ "$(major_version "$candidate")" == "14" ]]; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

if ! clang_format="$(find_clang_format)"; then
  echo "check_format: clang-format 14 not found (looked for \$CLANG_FORMAT, clang-format-14, clang-format)." >&2
  echo "check_format: install it with: apt-get install -y clang-format-14" >&2
  exit 2
fi

if [[ ! -f .clang-format ]]; then
  echo "check_format: ${repo_root}/.clang-format is missing" >&2
  exit 2
fi

# Tracked files that exist in the work tree (a file deleted but not yet staged is skipped).
files=()
while IFS= read -r -d '' file; do
  [[ -f "$file" ]] && files+=("$file")
done < <(git ls-files -z -- '*.cpp' '*.h')

if [[ ${#files[@]} -eq 0 ]]; then
  echo "check_format: no tracked *.cpp or *.h files under ${repo_root}" >&2
  exit 2
fi

if [[ $fix -eq 1 ]]; then
  printf '%s\0' "${files[@]}" | xargs -0 -n 50 "$clang_format" -i --style=file
  echo "format: ${#files[@]} files formatted in place with ${clang_format}"
  exit 0
fi

unformatted=0
for file in "${files[@]}"; do
  if ! "$clang_format" --style=file "$file" | cmp -s - "$file"; then
    echo "${file}: not formatted as .clang-format says"
    unformatted=$((unformatted + 1))
  fi
done

if [[ $unformatted -gt 0 ]]; then
  echo "format: ${unformatted} of ${#files[@]} files need formatting; fix them with: bash scripts/check_format.sh --fix"
  exit 1
fi
echo "format: ${#files[@]} files checked, all formatted"
