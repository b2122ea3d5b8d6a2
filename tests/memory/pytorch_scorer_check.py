"""Checks python/evomem_namm.py (the PyTorch scorer for exported NAMMs) against evomem.

usage: pytorch_scorer_check.py SOURCE_DIR WORK_DIR [EVOMEM_BINARY]

1. Writes a namm.safetensors for the parity fixture (tests/memory/data/namm_parity: default
   configuration, interval 32, its genome, normalisation frozen from norm_mean/norm_variance)
   with write_namm; `evomem inspect` must accept it when a binary is given.
2. Runs NammScorer from that file over the fixture's two updates: features within 1e-5,
   scores within 1e-4 relative (|d| / max(|ref|, 1)), keep sets identical to the fixture's
   (which memory_namm_parity_test shows evomem reproduces).
3. The same two updates as a batch of 2 whose second sequence is shifted by 100 positions and
   has invalid slots interleaved (the same number per head, so the published uniform rule
   keeps the same sets): valid slots must give the fixture's values, state carried by position.
4. Selection semantics on hand-built scores, mirroring tests/memory/namm_test.cpp
   (ThresholdTopKAndUniformCountSemantics) plus a per-sequence uniform rule and ratio budgets.
"""

import os
import subprocess
import sys

import numpy as np
import torch

SOURCE_DIR = sys.argv[1]
WORK = sys.argv[2]
EVOMEM = sys.argv[3] if len(sys.argv) > 3 else None
sys.path.insert(0, os.path.join(SOURCE_DIR, "python"))
import evomem_namm  # noqa: E402

torch.set_num_threads(1)
FIXTURES = os.path.join(SOURCE_DIR, "tests/memory/data/namm_parity/fixtures.safetensors")
INTERVAL = 32
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print("FAIL: " + message)


def errors(features, scores, expected_features, expected_scores):
    feature_error = (features.double() - expected_features.double()).abs().max().item()
    delta = (scores.double() - expected_scores.double()).abs()
    score_error = delta.max().item()
    score_relative = (delta / expected_scores.double().abs().clamp_min(1.0)).max().item()
    return feature_error, score_error, score_relative


def kept_sets(keep):
    """[h, n] bool -> list of sets of slot indices."""
    return [set(np.nonzero(row)[0].tolist()) for row in keep.cpu().numpy()]


tensors, metadata = evomem_namm.read_safetensors(FIXTURES)
check(metadata.get("format") == "evomem-namm-parity", "fixture format")
check(int(metadata["update_interval"]) == INTERVAL, "fixture interval")
fixture = {name: torch.from_numpy(value) for name, value in tensors.items()}

# ---------------------------------------------------------------- 1. the file
namm_path = os.path.join(WORK, "namm.safetensors")
normalization = {"mean": fixture["norm_mean"].double().tolist(), "variance": fixture["norm_variance"].double().tolist(),
                 "count": float(metadata["norm_count"]), "frozen": True}
evomem_namm.write_namm(namm_path, {"update_interval": INTERVAL}, fixture["genome"].numpy(), normalization)
if EVOMEM:
    result = subprocess.run([EVOMEM, "inspect", namm_path], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            universal_newlines=True)
    check(result.returncode == 0, "evomem inspect rejects the written file: " + result.stdout)
    check("bam.q.weight" in result.stdout, "evomem inspect does not list bam.q.weight:\n" + result.stdout)
config, genome, stats = evomem_namm.read_namm(namm_path)
check(config["update_interval"] == INTERVAL and config["selection"]["uniform_count"], "config read back")
flat = torch.cat([genome[name].reshape(-1) for name, _ in evomem_namm.genome_layout(config)])
check(torch.equal(flat, fixture["genome"]), "genome read back bit-identical")
check(stats["frozen"] and stats["count"] == 64.0, "normalisation read back")

# ---------------------------------------------------------------- 2. the fixture, batch 1
scorer = evomem_namm.NammScorer(namm_path)
worst = {"features": 0.0, "scores": 0.0, "relative": 0.0}
for u in (1, 2):
    attention = fixture["attention_%d" % u].unsqueeze(0)
    positions = fixture["positions_%d" % u].unsqueeze(0)
    query_positions = torch.arange(INTERVAL * (u - 1), INTERVAL * u).view(1, INTERVAL)
    out = scorer.update(attention, positions, None, query_positions, layer=0)
    feature_error, score_error, score_relative = errors(out.features[0], out.scores[0], fixture["features_%d" % u],
                                                        fixture["scores_%d" % u])
    print("fixture update %d: max |features - ref| = %.3g, max |scores - ref| = %.3g (relative %.3g)"
          % (u, feature_error, score_error, score_relative))
    worst["features"] = max(worst["features"], feature_error)
    worst["scores"] = max(worst["scores"], score_error)
    worst["relative"] = max(worst["relative"], score_relative)
    check(feature_error <= 1e-5, "update %d features differ by %.3g" % (u, feature_error))
    check(score_relative <= 1e-4, "update %d scores differ by %.3g relative" % (u, score_relative))
    expected = [set(row.tolist()) for row in fixture["kept_%d" % u]]
    check(kept_sets(out.keep[0]) == expected, "update %d keep sets %s, expected %s"
          % (u, kept_sets(out.keep[0]), expected))
    # The scorer alone on the reference's features.
    alone = scorer.score(fixture["features_%d" % u].unsqueeze(0), positions, torch.ones_like(positions, dtype=torch.bool))
    relative = ((alone[0].double() - fixture["scores_%d" % u].double()).abs()
                / fixture["scores_%d" % u].double().abs().clamp_min(1.0)).max().item()
    check(relative <= 1e-4, "update %d BAM on the reference features differs by %.3g relative" % (u, relative))

# ---------------------------------------------------------------- 3. batch 2, shifted, invalid slots
SHIFT = 100
scorer = evomem_namm.NammScorer(namm_path)
generator = torch.Generator().manual_seed(5)
for u in (1, 2):
    attention = fixture["attention_%d" % u]  # [h, q, n]
    positions = fixture["positions_%d" % u]
    heads, queries, n = attention.shape
    pad = 3 + u  # invalid slots per head, at different places in each head
    total = n + pad
    att = torch.zeros(2, heads, queries, total)
    pos = torch.zeros(2, heads, total, dtype=torch.long)
    val = torch.zeros(2, heads, total, dtype=torch.bool)
    att[0, :, :, :n] = attention
    pos[0, :, :n] = positions
    val[0, :, :n] = True
    # Row 0: the fixture, invalid slots at the end (stale positions that repeat valid ones).
    pos[0, :, n:] = positions[:, :pad]
    where = []
    for h in range(heads):
        slots = torch.sort(torch.randperm(total, generator=generator)[:n])[0]  # valid slots of row 1
        where.append(slots)
        att[1, h][:, slots] = attention[h]
        pos[1, h, slots] = positions[h] + SHIFT
        val[1, h, slots] = True
        free = torch.ones(total, dtype=torch.bool)
        free[slots] = False
        pos[1, h, free] = torch.randint(0, 10 * SHIFT, (pad,), generator=generator)
        att[1, h][:, free] = torch.rand(queries, pad, generator=generator)  # garbage in invalid slots
    query_positions = torch.stack([torch.arange(INTERVAL * (u - 1), INTERVAL * u),
                                   torch.arange(INTERVAL * (u - 1), INTERVAL * u) + SHIFT])
    out = scorer.update(att, pos, val, query_positions, layer=3)
    for b in range(2):
        for h in range(heads):
            slots = torch.arange(n) if b == 0 else where[h]
            feature_error, _, score_relative = errors(out.features[b, h, slots], out.scores[b, h, slots],
                                                      fixture["features_%d" % u][h], fixture["scores_%d" % u][h])
            check(feature_error <= 1e-5, "batch update %d row %d head %d features differ by %.3g"
                  % (u, b, h, feature_error))
            check(score_relative <= 1e-4, "batch update %d row %d head %d scores differ by %.3g relative"
                  % (u, b, h, score_relative))
            kept = set(slots[out.keep[b, h, slots]].tolist())
            expected = set(slots[fixture["kept_%d" % u][h]].tolist())
            check(kept == expected, "batch update %d row %d head %d keeps %s, expected %s" % (u, b, h, kept, expected))
            check(not bool((out.keep[b, h] & ~val[b, h]).any()), "an invalid slot is kept")
            check(bool((out.scores[b, h][~val[b, h]] == 0).all()), "invalid slots do not score 0")
print("batch of 2 (shifted positions, invalid slots): as the fixture")

# ---------------------------------------------------------------- 4. selection semantics
select = evomem_namm.select_tokens
base = {"mode": "threshold", "threshold": 0.0, "budget": "0.5", "uniform_count": True, "keep_newest": True}
scores = torch.tensor([0.5, -1.0, 2.0, -0.5, -0.2, 0.1, 1.0, 1.0, -3.0, 0.0, 0.4, 0.3]).view(1, 2, 6)
positions = torch.arange(6).view(1, 1, 6).expand(1, 2, 6).contiguous()
valid = torch.ones(1, 2, 6, dtype=torch.bool)


def expect(keep, sets, what):
    got = kept_sets(keep[0])
    check(got == [set(s) for s in sets], "%s: kept %s, expected %s" % (what, got, sets))


expect(select(scores, positions, valid, base), [{0, 2, 3, 4, 5}, {0, 1, 3, 4, 5}], "uniform")
negative_newest = scores.clone()
negative_newest[0, 0, 5] = -9.0
expect(select(negative_newest, positions, valid, base), [{0, 2, 3, 4, 5}, {0, 1, 3, 4, 5}], "negative newest")
padded = valid.clone()
padded[0, 1, 3] = False
expect(select(scores, positions, padded, base), [{0, 2, 4, 5}, {0, 1, 4, 5}], "uniform with an invalid slot")
per_head = dict(base, uniform_count=False)
expect(select(scores, positions, valid, per_head), [{0, 2, 5}, {0, 1, 3, 4, 5}], "per-head threshold")
expect(select(negative_newest, positions, valid, per_head), [{0, 2, 5}, {0, 1, 3, 4, 5}], "per-head, negative newest")
top = dict(per_head, mode="topk", budget="2")
expect(select(scores, positions, valid, top), [{2, 5}, {0, 5}], "top-2")
expect(select(scores, positions, valid, dict(top, keep_newest=False)), [{2, 0}, {0, 1}], "top-2 without newest")
# Ratio budget: ceil(0.5 * 6) = 3 per head, the newest among them.
expect(select(scores, positions, valid, dict(top, budget="0.5")), [{0, 2, 5}, {0, 1, 5}], "top 0.5")
# Uniform per sequence: sequence 1 drops more in every head, sequence 0 keeps its own count.
two = torch.stack([scores[0], -scores[0].abs() - 1.0])
keep = select(two, positions.expand(2, 2, 6), valid.expand(2, 2, 6), base)
check(kept_sets(keep[0]) == [{0, 2, 3, 4, 5}, {0, 1, 3, 4, 5}], "uniform rule leaks across the batch")
check(kept_sets(keep[1]) == [{5}, {5}], "all-negative sequence keeps only its newest token: %s" % kept_sets(keep[1]))
# The newest token is found by position, not by slot (compacted caches need not be ordered).
shuffled = torch.tensor([[[5, 0, 1, 2, 3, 4]]]).expand(1, 2, 6).contiguous()
expect(select(torch.full((1, 2, 6), -1.0), shuffled, valid, per_head), [{0}, {0}], "newest by position")

if failures:
    print("%d check(s) failed" % len(failures))
    sys.exit(1)
print("max over the fixture: features %.3g, scores %.3g absolute, %.3g relative"
      % (worst["features"], worst["scores"], worst["relative"]))
print("pytorch scorer: all checks passed")
