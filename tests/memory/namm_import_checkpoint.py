#!/usr/bin/python3
"""Helper of namm_import_test.sh (Debian's python3 with python3-torch and numpy).

    make FIXTURES_DIR OUT.pt [VARIANT]   a checkpoint as the published trainer writes it
    check FIXTURES_DIR IMPORTED.safetensors mean|best
                                         the imported genome and statistics against the fixture
    reproduce FIXTURES_DIR IMPORTED.safetensors PYTHON_DIR
                                         python/evomem_namm.py (evomem's computation in PyTorch)
                                         reading the imported file on the fixture's two updates:
                                         the reference's features, scores and keep sets

`make` reproduces MemoryTrainer._save_ckpt of SakanaAI/evo-memory (memory_trainer.py):
torch.save of {'evolution_state': CMA_ES.state_dict(), 'iter_num', 'best_val_loss'}. The state
dict comes from a module with CMA_ES's parameters registered in its order (mu_eff, weights,
weights_truncated from init_cma_es_params, then g, best_member, best_fitness, evo_path_c,
evo_path_sigma, mean, sigma, C, sample_C, sample_B, sample_D, x, y; all float32, none
trainable) and the two ParameterDicts of MemoryEvolution, 'stored_buffers_to_save' and
'best_stored_buffers_to_save', holding the policy's buffers
token_embedding_0_{online_new_output,output}_{mean,var,num} ([1, 1, 1, 17]; float32, float32,
int64) as the trainer stores them after merging (online_new_* zero). The same keys, shapes and
dtypes as a checkpoint the reference's own code writes for the published BAM NAMM (4,172
parameters, population 32).

The mean is the fixture's `reference_genome`; the best member is twice it (exact in float32,
so its evomem layout is twice the fixture's `genome`). The stored statistics are the
fixture's norm_mean / norm_variance / norm_count; the best stored buffers hold different
values, which the import must ignore (the reference evaluates with the stored ones).

Variants (error cases): full (default), no-stats (a policy without stored buffers),
wrong-size (a 100-parameter CMA-ES), empty-stats (counts 0), no-evolution-state.
"""

import json
import struct
import sys

import numpy as np
import torch
from torch import nn

POP_SIZE = 32
BINS = 17


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + size])
    base = 8 + size
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        dtype = {"F32": "<f4", "I64": "<i8"}[entry["dtype"]]
        start, end = entry["data_offsets"]
        tensors[name] = np.frombuffer(data[base + start:base + end], dtype=dtype).reshape(entry["shape"])
    return header.get("__metadata__", {}), tensors


def read_fixture(fixtures_dir):
    metadata, tensors = read_safetensors(f"{fixtures_dir}/fixtures.safetensors")
    with open(f"{fixtures_dir}/fixtures.json") as f:
        count = float(json.load(f)["metadata"]["norm_count"])
    assert count == float(metadata["norm_count"])
    return tensors, count


class CmaEsState(nn.Module):
    def __init__(self, param_size, mean, best_member, stored, best_stored):
        super().__init__()
        frozen = lambda t: nn.Parameter(t, requires_grad=False)  # noqa: E731
        # MemoryEvolution.__init__ registers the buffer dicts first.
        self.stored_buffers_to_save = nn.ParameterDict()
        self.best_stored_buffers_to_save = nn.ParameterDict()
        # CMA_ES.init_cma_es_params, then CMA_ES.__init__.
        ranks = torch.tensor([np.log((POP_SIZE + 1) / 2) - np.log(i + 1) for i in range(POP_SIZE)],
                             dtype=torch.float32)
        self.mu_eff = frozen(torch.tensor(16.0))
        self.weights = frozen(ranks / ranks.clamp_min(0).sum())
        self.weights_truncated = frozen(torch.where(ranks > 0, ranks / ranks.clamp_min(0).sum(),
                                                    torch.zeros_like(ranks)))
        self.g = frozen(torch.tensor(7.0))
        self.best_member = frozen(best_member)
        self.best_fitness = frozen(torch.tensor(21.5))
        self.evo_path_c = frozen(torch.zeros(param_size))
        self.evo_path_sigma = frozen(torch.zeros(param_size))
        self.mean = frozen(mean)
        self.sigma = frozen(torch.tensor(0.065))
        self.C = frozen(torch.eye(param_size))
        self.sample_C = frozen(torch.eye(param_size))
        self.sample_B = frozen(torch.eye(param_size))
        self.sample_D = frozen(torch.ones(param_size))
        self.x = frozen(mean.expand(POP_SIZE, -1).clone())
        self.y = frozen(torch.zeros(POP_SIZE, param_size))
        # store_buffers: a plain dict is added in sorted key order.
        self.stored_buffers_to_save.update({k: frozen(v) for k, v in stored.items()})
        self.best_stored_buffers_to_save.update({k: frozen(v) for k, v in best_stored.items()})


def policy_buffers(mean, variance, count):
    shape = (1, 1, 1, BINS)
    return {
        "token_embedding_0_online_new_output_mean": torch.zeros(shape),
        "token_embedding_0_online_new_output_var": torch.zeros(shape),
        "token_embedding_0_online_new_output_num": torch.zeros(shape, dtype=torch.long),
        "token_embedding_0_output_mean": torch.from_numpy(mean.copy()).view(shape),
        "token_embedding_0_output_var": torch.from_numpy(variance.copy()).view(shape),
        "token_embedding_0_output_num": torch.full(shape, int(count), dtype=torch.long),
    }


def make(fixtures_dir, out, variant="full"):
    tensors, count = read_fixture(fixtures_dir)
    genome = torch.from_numpy(tensors["reference_genome"].copy())
    if variant == "wrong-size":
        genome = genome[:100].clone()
    stored = policy_buffers(tensors["norm_mean"], tensors["norm_variance"], count)
    best_stored = policy_buffers(tensors["norm_mean"] + 1.0, tensors["norm_variance"] * 4.0, 2 * count)
    if variant == "no-stats":
        stored, best_stored = {}, {}
    if variant == "empty-stats":
        stored = policy_buffers(np.zeros(BINS, np.float32), np.zeros(BINS, np.float32), 0)
    state = CmaEsState(genome.numel(), genome, genome * 2, stored, best_stored).state_dict()
    if variant == "no-evolution-state":
        checkpoint = {"model": state, "iter_num": 7}
    else:
        # MemoryTrainer._save_ckpt
        checkpoint = {"evolution_state": state, "iter_num": 7, "best_val_loss": 21.5}
    torch.save(checkpoint, out)


def check(fixtures_dir, imported, which):
    tensors, count = read_fixture(fixtures_dir)
    metadata, entries = read_safetensors(imported)
    order = ["bam.q.weight", "bam.q.bias", "bam.k.weight", "bam.k.bias", "bam.v.weight", "bam.v.bias",
             "bam.out.weight", "bam.out.bias", "score.weight", "score.bias"]
    assert sorted(entries) == sorted(order), sorted(entries)
    flat = np.concatenate([entries[name].reshape(-1) for name in order])
    expected = tensors["genome"] * (np.float32(2) if which == "best" else np.float32(1))
    assert flat.dtype == np.float32 and flat.shape == expected.shape, (flat.dtype, flat.shape)
    # Bit for bit: the same float32 values in evomem's layout.
    assert flat.tobytes() == expected.astype("<f4").tobytes(), "imported genome differs from the fixture's"
    assert metadata["format"] == "evomem-namm" and metadata["version"] == "1", metadata
    assert metadata["genome_size"] == "4172", metadata
    stats = json.loads(metadata["normalization"])
    assert stats["frozen"] is True and stats["count"] == count, stats
    assert stats["mean"] == [float(x) for x in tensors["norm_mean"]], "mean differs from the fixture's"
    assert stats["variance"] == [float(x) for x in tensors["norm_variance"]], "variance differs from the fixture's"
    config = json.loads(metadata["config"])
    assert config == {
        "attention_precision": "float32",
        "recency": {"dims": 8, "max_period": 50000.0},
        "scorer": {"attention_dim": 32, "mlp_hidden": 32, "mlp_layers": 1, "type": "bam"},
        "selection": {"budget": "0.5", "keep_newest": True, "mode": "threshold", "threshold": 0.0,
                      "uniform_count": True},
        "spectrogram": {"ema_coeff": 0.99, "hop": 16, "n_fft": 32, "normalize": True, "window": "hann_periodic"},
        "update_interval": 512,
    }, config


def reproduce(fixtures_dir, imported, python_dir):
    sys.path.insert(0, python_dir)
    import evomem_namm

    torch.set_num_threads(1)
    tensors, _ = read_fixture(fixtures_dir)
    fixture = {name: torch.from_numpy(value.copy()) for name, value in tensors.items()}
    scorer = evomem_namm.NammScorer(imported)  # the update interval only says when updates happen
    interval = fixture["attention_1"].shape[1]
    for u in (1, 2):
        out = scorer.update(fixture[f"attention_{u}"].unsqueeze(0), fixture[f"positions_{u}"].unsqueeze(0), None,
                            torch.arange(interval * (u - 1), interval * u).view(1, interval), layer=0)
        feature_error = (out.features[0].double() - fixture[f"features_{u}"].double()).abs().max().item()
        reference = fixture[f"scores_{u}"].double()
        relative = ((out.scores[0].double() - reference).abs() / reference.abs().clamp_min(1.0)).max().item()
        kept = [set(row.nonzero().flatten().tolist()) for row in out.keep[0]]
        expected = [set(row.tolist()) for row in fixture[f"kept_{u}"]]
        print(f"update {u}: max |features - reference| {feature_error:.3g}, scores {relative:.3g} relative, "
              f"keep sets {'equal' if kept == expected else 'DIFFER'}")
        assert feature_error <= 1e-5, f"update {u}: features differ by {feature_error:.3g}"
        assert relative <= 1e-4, f"update {u}: scores differ by {relative:.3g} relative"
        assert kept == expected, f"update {u}: keep sets {kept}, expected {expected}"


def main():
    if len(sys.argv) >= 4 and sys.argv[1] == "make":
        make(*sys.argv[2:])
    elif len(sys.argv) == 5 and sys.argv[1] == "check":
        check(*sys.argv[2:])
    elif len(sys.argv) == 5 and sys.argv[1] == "reproduce":
        reproduce(*sys.argv[2:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
