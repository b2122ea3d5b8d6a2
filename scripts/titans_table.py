#!/usr/bin/env python3
"""Joins the outputs of several `evomem titans eval` runs into the ablation table of
docs/titans.md: one row per task and length, one column per (run, gate setting) asked for.

    titans_table.py linear=runs/eval_linear.txt dynamic=runs/eval_dynamic.txt ... \
        --columns linear:searched,linear:no_forgetting,dynamic:searched,...

Every cell is "accuracy [95% interval]" as `titans eval` printed it; rows must agree between
runs (same tasks, lengths and query counts), or the script stops.
"""
import argparse
import re
import sys


def read_eval(path):
    """{(task, length): (queries, {column: cell})} and the column names, from one eval output."""
    rows, names = {}, None
    cell = re.compile(r"\s*(\d+\.\d) \[\s*(\d+\.\d),\s*(\d+\.\d)\]")
    with open(path) as f:
        for line in f:
            if line.startswith("task "):
                names = line.split()[3:]
                continue
            if names is None or line.startswith("mean") or not line.strip():
                continue
            parts = line.split(None, 3)
            if len(parts) < 4 or not parts[1].isdigit():
                continue
            cells = cell.findall(parts[3])
            if len(cells) != len(names):
                continue
            rows[(parts[0], int(parts[1]))] = (int(parts[2]), dict(zip(names, cells)))
    if not rows:
        sys.exit(f"{path}: no `titans eval` table found")
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", help="NAME=EVAL_OUTPUT")
    parser.add_argument("--columns", required=True, help="NAME:COLUMN[=HEADER],... in table order")
    args = parser.parse_args()
    runs = {}
    for item in args.runs:
        name, _, path = item.partition("=")
        runs[name] = read_eval(path)
    columns = []
    for item in args.columns.split(","):
        spec, _, header = item.partition("=")
        run, _, column = spec.partition(":")
        if run not in runs:
            sys.exit(f"--columns: no run named {run}")
        columns.append((run, column, header or f"{run} {column}"))
    keys = list(next(iter(runs.values())).keys())
    print("| task | length | queries | " + " | ".join(header for _, _, header in columns) + " |")
    print("|---|---|---|" + "---|" * len(columns))
    for length in sorted({k[1] for k in keys}):
        sums = [0.0] * len(columns)
        tasks = [k for k in keys if k[1] == length]
        for key in tasks:
            queries = None
            cells = []
            for i, (run, column, _) in enumerate(columns):
                if key not in runs[run]:
                    sys.exit(f"{run}: no row for {key}")
                count, row = runs[run][key]
                if queries is not None and count != queries:
                    sys.exit(f"{run}: {key} has {count} queries, another run {queries}")
                queries = count
                if column not in row:
                    sys.exit(f"{run}: no column {column}")
                value, low, high = row[column]
                cells.append(f"{value} [{low}, {high}]")
                sums[i] += float(value)
            print(f"| {key[0]} | {length} | {queries} | " + " | ".join(cells) + " |")
        mean_cells = [f"**{total / len(tasks):.1f}**" for total in sums]
        print(f"| **mean** | {length} | | " + " | ".join(mean_cells) + " |")

if __name__ == "__main__":
    main()
