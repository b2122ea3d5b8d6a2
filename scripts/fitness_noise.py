#!/usr/bin/env python3
"""How noisy is a NAMM's fitness for a given number of samples per task and generation?

Reads the per-sample results of `evomem eval --out FILE` (one genome, many samples per task,
optionally the full cache on the same samples) and draws generations from them: each draw takes
S samples per task without replacement, as the objective does from its pool, and computes the
objective's fitness (mean over tasks of the task's mean score, divided by the full cache's mean
on the same samples when full-cache results are given, minus penalty x mean retained fraction).
Prints, for each S, the standard deviation of that fitness over the draws: the spread of one
genome's fitness over resampled generations (docs/namm_tiny.md). With --against, a second
genome's results on the same samples, it also prints the spread of the difference of the two
fitnesses on the same draw: what ranking the members of one generation has to see through.

usage: fitness_noise.py EVAL.jsonl [--full FULL.jsonl] [--against OTHER.jsonl] [--penalty 0.1] [--sizes 2,4,8,16]
"""
import argparse
import json
import random
import statistics
from collections import defaultdict


def read_results(path):
    """task -> {sample id -> (score, retained fraction)}"""
    results = defaultdict(dict)
    with open(path) as f:
        for line in f:
            row = json.loads(line)
            results[row["task"]][row["id"]] = (row["score"], row["retained_fraction"])
    return results


def fitness(draw, policy, full, penalty):
    task_scores, retained = [], []
    for task, ids in draw.items():
        score = statistics.fmean(policy[task][i][0] for i in ids)
        if full is not None:
            reference = statistics.fmean(full[task][i][0] for i in ids)
            score = score / reference if reference > 0 else score
        task_scores.append(score)
        retained.extend(policy[task][i][1] for i in ids)
    return statistics.fmean(task_scores) - penalty * statistics.fmean(retained)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results")
    parser.add_argument("--full", help="full-cache results on the same samples (normalised fitness)")
    parser.add_argument("--against", help="a second genome's results on the same samples (paired spread)")
    parser.add_argument("--penalty", type=float, default=0.1)
    parser.add_argument("--sizes", default="2,4,8,16")
    parser.add_argument("--draws", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    policy = read_results(args.results)
    full = read_results(args.full) if args.full else None
    other = read_results(args.against) if args.against else None
    rng = random.Random(args.seed)
    ids = {task: sorted(samples) for task, samples in policy.items()}
    everything = fitness(ids, policy, full, args.penalty)
    print(f"{len(ids)} tasks, {min(len(v) for v in ids.values())} samples each; fitness on all: {everything:.4f}")
    if other is not None:
        print(f"other genome's fitness on all: {fitness(ids, other, full, args.penalty):.4f}")
    print("samples_per_task  fitness_sd" + ("  difference_sd" if other is not None else ""))
    for size in (int(s) for s in args.sizes.split(",")):
        values, differences = [], []
        for _ in range(args.draws):
            draw = {t: rng.sample(v, size) for t, v in ids.items()}
            values.append(fitness(draw, policy, full, args.penalty))
            if other is not None:
                differences.append(values[-1] - fitness(draw, other, full, args.penalty))
        line = f"{size:16d}  {statistics.stdev(values):10.4f}"
        if other is not None:
            line += f"  {statistics.stdev(differences):13.4f}"
        print(line)


if __name__ == "__main__":
    main()
