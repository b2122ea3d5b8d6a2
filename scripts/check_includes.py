#!/usr/bin/env python3
"""Checks evomem's include directions against the module table in docs/layout.md.

    /usr/bin/python3 scripts/check_includes.py [--root DIR] [--table FILE]

The table is the Markdown table whose header row is `| folder | target | what it holds | may use |`.
A row whose first cell is a top-level folder in backticks (`core/`) declares a module; the
backticked names in its "may use" cell that are modules of the table are what it may include
(the word `everything` allows all modules; other names, such as LibTorch, are ignored).

Rules, for every C++ file (*.cpp, *.h, ... and *.cpp.in / *.h.in templates):
  - A file of module M (anything under M/, subfolders included) may include "M/..." and "X/..."
    for every X that M may use. "tests/..." and "bench/..." are not for modules.
  - A file under tests/M/ or bench/M/ may include any module (a test assembles its module with
    real parts: a trained tokenizer, an objective, a tokenizer from model/), plus "tests/..."
    (test support) or "bench/..." (benchmark support) respectively. A file under fuzz/ (the
    libFuzzer targets) may include any module and "fuzz/..." (their support header).
  - <mpi.h> (and any <mpi...> header) only in cluster/, tests/cluster/ and bench/cluster/.
  - LibTorch headers (<torch/...>, <ATen/...>, <c10/...>) never in the modules of NO_TORCH
    (their own files; tests, benchmarks and fuzz targets are not checked for LibTorch).

Prints one line per violation and a summary; exit status 0 when there is none, 1 when there are
violations, 2 when the table or the tree cannot be read. Standard library only.
"""

import argparse
import os
import re
import subprocess
import sys

HEADER = ["folder", "target", "what it holds", "may use"]
NO_TORCH = {"core", "evo", "search", "metrics", "tasks", "report", "cluster"}
MPI_FOLDERS = {"cluster/", "tests/cluster/", "bench/cluster/"}
SUPPORT_FOLDERS = {"tests": "tests", "bench": "bench", "fuzz": "fuzz"}  # test/benchmark/fuzz folder -> its support prefix
SOURCE_SUFFIXES = (".cpp", ".h", ".cc", ".hpp", ".cu", ".cuh", ".cpp.in", ".h.in")
SKIPPED_DIRS = {"node_modules", "_deps", "__pycache__"}

INCLUDE_RE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')
MODULE_CELL_RE = re.compile(r"^`([A-Za-z0-9_][A-Za-z0-9_.-]*)/`$")
BACKTICKED_RE = re.compile(r"`([^`]+)`")
TORCH_RE = re.compile(r"^(torch|ATen|c10)/")
MPI_RE = re.compile(r"^mpi[^/]*$")


class TableError(Exception):
    pass


def split_row(line):
    """Cells of a Markdown table row, or None when the line is not one."""
    text = line.strip()
    if not text.startswith("|"):
        return None
    text = text[1:]
    if text.endswith("|"):
        text = text[:-1]
    return [cell.strip() for cell in text.split("|")]


def read_table(path):
    """Returns {module: set of modules it may use} from the layout table in `path`."""
    try:
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except OSError as error:
        raise TableError(f"{path}: cannot read the layout table ({error.strerror})")

    start = None
    for index, line in enumerate(lines):
        cells = split_row(line)
        if cells is not None and [cell.lower() for cell in cells] == HEADER:
            if start is not None:
                raise TableError(f"{path}:{index + 1}: a second table with the header | {' | '.join(HEADER)} |")
            start = index
    if start is None:
        raise TableError(f"{path}: no table with the header row | {' | '.join(HEADER)} |")

    rows = []  # (line number, module, may-use cell)
    for index in range(start + 1, len(lines)):
        cells = split_row(lines[index])
        if cells is None:
            break
        if all(re.fullmatch(r":?-+:?", cell) for cell in cells if cell):
            continue  # the |---|---| separator
        if len(cells) != len(HEADER):
            raise TableError(f"{path}:{index + 1}: a row of the layout table needs {len(HEADER)} cells, not {len(cells)}")
        match = MODULE_CELL_RE.match(cells[0])
        if match and "/" not in match.group(1):
            rows.append((index + 1, match.group(1), cells[3]))
    if not rows:
        raise TableError(f"{path}:{start + 1}: the layout table names no module folder (a first cell like `core/`)")

    modules = {module for _, module, _ in rows}
    table = {}
    for line_number, module, cell in rows:
        if module in table:
            raise TableError(f"{path}:{line_number}: module {module} has two rows")
        if re.search(r"\beverything\b", cell, re.IGNORECASE):
            table[module] = set(modules)
        else:
            named = {name.strip().rstrip("/") for name in BACKTICKED_RE.findall(cell)}
            table[module] = {name for name in named if name in modules}
    return table


def source_files(root):
    """Paths (relative to root, with /) of the C++ files: git's view when root is in a work tree."""
    try:
        listing = subprocess.run(
            ["git", "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            capture_output=True, check=True)
        paths = [path for path in listing.stdout.decode("utf-8", "surrogateescape").split("\0") if path]
    except (OSError, subprocess.CalledProcessError):
        paths = []
        for directory, subdirectories, names in os.walk(root):
            subdirectories[:] = sorted(
                name for name in subdirectories
                if not name.startswith(".") and not name.startswith("build") and name not in SKIPPED_DIRS)
            for name in names:
                paths.append(os.path.relpath(os.path.join(directory, name), root).replace(os.sep, "/"))
    return sorted({path for path in paths
                   if path.endswith(SOURCE_SUFFIXES) and os.path.isfile(os.path.join(root, path))})


def includes(text):
    """(line number, delimiter, name) for each #include outside /* */ comments."""
    found = []
    in_comment = False
    for number, line in enumerate(text.splitlines(), start=1):
        if in_comment:
            end = line.find("*/")
            if end < 0:
                continue
            line = line[end + 2:]
            in_comment = False
        match = INCLUDE_RE.match(line)
        if match:
            found.append((number, match.group(1), match.group(2).strip()))
            continue
        # Track block comments opened (and not closed) on this line.
        code = line.split("//", 1)[0]
        while True:
            begin = code.find("/*")
            if begin < 0:
                break
            end = code.find("*/", begin + 2)
            if end < 0:
                in_comment = True
                break
            code = code[end + 2:]
    return found


def context_of(path, table):
    """(label, module, support prefix, is_module_file) of a file, or (None, None, None, False)."""
    parts = path.split("/")
    if len(parts) >= 2 and parts[0] in table:
        return parts[0], parts[0], None, True
    if len(parts) >= 3 and parts[0] in SUPPORT_FOLDERS and parts[1] in table:
        return f"{parts[0]}/{parts[1]}", parts[1], SUPPORT_FOLDERS[parts[0]], False
    return None, None, None, False


def check(root, table, table_label):
    violations = []
    file_count = 0
    include_count = 0
    for path in source_files(root):
        label, module, support, is_module_file = context_of(path, table)
        top = path.split("/", 1)[0]
        if label is None and top not in SUPPORT_FOLDERS:
            continue  # not project code (e.g. a script folder); nothing to check
        try:
            with open(os.path.join(root, path), encoding="utf-8", errors="replace") as handle:
                text = handle.read()
        except OSError as error:
            raise TableError(f"{path}: cannot read ({error.strerror})")
        file_count += 1
        allowed = ({module} | table[module]) if is_module_file else set(table)
        for line, delimiter, name in includes(text):
            include_count += 1
            where = f"{path}:{line}"
            if delimiter == "<" and MPI_RE.match(name):
                if not any(path.startswith(folder) for folder in MPI_FOLDERS):
                    violations.append(f"{where}: <{name}>: only cluster/ (and tests/cluster/, bench/cluster/) may use MPI")
                continue
            if TORCH_RE.match(name):
                if is_module_file and module in NO_TORCH:
                    shown = f"<{name}>" if delimiter == "<" else f'"{name}"'
                    violations.append(f"{where}: {shown}: {module} may not use LibTorch (NO_TORCH in scripts/check_includes.py)")
                continue
            if delimiter != '"' or module is None:
                continue
            first = name.split("/", 1)[0]
            if "/" not in name:
                continue  # not rooted at the repository root: not a module include
            if first in table:
                if first not in allowed:
                    violations.append(f'{where}: "{name}": {label} may not use {first} ({table_label})')
            elif first in SUPPORT_FOLDERS and first != support:
                violations.append(f'{where}: "{name}": {label} may not use {first} ({table_label})')
    return file_count, include_count, violations


def main(argv):
    parser = argparse.ArgumentParser(description="Check evomem's #include directions against docs/layout.md.")
    parser.add_argument("--root", help="repository root (default: the folder above this script's)")
    parser.add_argument("--table", help="the Markdown file with the module table (default: ROOT/docs/layout.md)")
    options = parser.parse_args(argv)

    root = os.path.abspath(options.root or os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    if not os.path.isdir(root):
        print(f"check_includes: {root}: not a folder", file=sys.stderr)
        return 2
    table_path = os.path.abspath(options.table or os.path.join(root, "docs", "layout.md"))
    relative = os.path.relpath(table_path, root)
    table_label = table_path if relative.startswith("..") else relative.replace(os.sep, "/")

    try:
        table = read_table(table_path)
        file_count, include_count, violations = check(root, table, table_label)
    except TableError as error:
        print(f"check_includes: {error}", file=sys.stderr)
        return 2

    for violation in violations:
        print(violation)
    if violations:
        files = len({violation.split(":", 1)[0] for violation in violations})
        print(f"include directions: {len(violations)} violation{'s' if len(violations) != 1 else ''} in "
              f"{files} file{'s' if files != 1 else ''} ({file_count} files, {include_count} includes checked "
              f"against {table_label})")
        return 1
    print(f"include directions: {file_count} files, {include_count} includes checked, no violations")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
