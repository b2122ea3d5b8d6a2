#!/usr/bin/python3
"""Import a NAMM checkpoint written by the published code (SakanaAI/evo-memory) as evomem's
namm.safetensors.

Usage (Debian's python3 with python3-torch and numpy):
    /usr/bin/python3 scripts/namm_import.py CHECKPOINT.pt --out namm.safetensors [--which mean|best]

What it reads. The published trainer (memory_trainer.py, MemoryTrainer._save_ckpt) saves, with
torch.save, a dict
    {'evolution_state': CMA_ES.state_dict(), 'iter_num': int, 'best_val_loss': float}
(ckpt.pt, latest.pt, iter_N.pt, eval_ckpt.pt; the random states go to rng_*.pt, not needed).
The CMA-ES state (memory_evolution/cma_es.py, memory_evolution/base.py) holds the search state
(mu_eff, weights, weights_truncated, g, best_member, best_fitness, evo_path_c, evo_path_sigma,
mean, sigma, C, sample_C, sample_B, sample_D, x, y) and the policy's normalisation buffers,
stored by the trainer, under 'stored_buffers_to_save.' and 'best_stored_buffers_to_save.':
    token_embedding_0_{online_new_output,output}_{mean,var,num}, each [1, 1, 1, 17]
(DeepMP component 'token_embedding', its wrapped spectrogram '0'; mean/var float32, num int64).

What it takes.
  - The genome: evolution_state['mean'] (--which mean, the default: the published BAM runs set
    prefer_mean_to_best, so the reference evaluates the mean) or evolution_state['best_member']
    (--which best), 4,172 floats for the published BAM configuration.
  - The statistics: stored_buffers_to_save.token_embedding_0_output_{mean,var,num}, for either
    genome: the reference evaluates with the non-best stored buffers (get_stored_buffers() with
    best=False) and, when it loads a checkpoint, copies those over the best ones. They are the
    merged statistics (the online_new_* buffers are zeroed by the merge before every store). The
    variance is the population (biased) variance, and the reference normalises with
    (x - mean) / max(sqrt(var), 1e-7): exactly evomem's formula, so they are copied unchanged and
    frozen.
  - The configuration: evomem's default NammConfig (the published one: interval 512, spectrogram
    n_fft 32 / hop 16 / periodic Hann / EMA 0.99 / normalised, recency 8 dims / max period
    50000, BAM width 32, threshold 0 with the uniform count and the newest token kept, float32
    attention; `namm:weights=F,bf16_attention=true` gives the published half_attn rounding).

The genome mapping (reference flat genome -> evomem's [out, in] entries, docs/memory.md):
    ref[   0:2400] W_qkv [25, 96] -> bam.q.weight = W_qkv[:, 0:32].T, bam.k.weight = W_qkv[:, 32:64].T,
                                     bam.v.weight = W_qkv[:, 64:96].T
    ref[2400:2496] b_qkv [96]     -> bam.q.bias, bam.k.bias, bam.v.bias (32 each)
    ref[2496:4096] W_o   [32, 50] -> bam.out.weight = W_o.T [50, 32]
    ref[4096:4146] b_o   [50]     -> bam.out.bias
    ref[4146:4171] W_s   [25, 1]  -> score.weight = W_s.T [1, 25]
    ref[4171]      b_s            -> score.bias
Values are copied bit for bit. The checkpoint is unpickled (torch.load): import only files you
trust. On bad input it prints one line and exits 1 without writing the output.
"""

import argparse
import json
import os
import struct
import sys
import tempfile
import warnings
from collections.abc import Mapping

import numpy as np

FEATURES = 25  # recency 8 + spectrogram bins 17
HIDDEN = 32  # BAM attention width
BINS = 17
GENOME_SIZE = 4172
STATS_PREFIX = "stored_buffers_to_save.token_embedding_0_output_"
COMPILED_PREFIX = "_orig_mod."  # torch.compile; the reference's loader strips it too

# evomem's default NammConfig::to_json (memory/namm_config.cpp), keys sorted as evomem writes.
DEFAULT_CONFIG = {
    "attention_precision": "float32",
    "recency": {"dims": 8, "max_period": 50000.0},
    "scorer": {"attention_dim": HIDDEN, "mlp_hidden": 32, "mlp_layers": 1, "type": "bam"},
    "selection": {"budget": "0.5", "keep_newest": True, "mode": "threshold", "threshold": 0.0,
                  "uniform_count": True},
    "spectrogram": {"ema_coeff": 0.99, "hop": 16, "n_fft": 32, "normalize": True, "window": "hann_periodic"},
    "update_interval": 512,
}


class CheckpointError(Exception):
    pass


def fail(message):
    raise CheckpointError(message)


def to_evomem_entries(ref):
    """Reference flat genome (float32 [4172]) -> evomem's genome entries, in evomem's order."""
    w_qkv = ref[0:2400].reshape(FEATURES, 3 * HIDDEN)
    b_qkv = ref[2400:2496]
    w_o = ref[2496:4096].reshape(HIDDEN, 2 * FEATURES)
    entries = []
    for i, name in enumerate(("q", "k", "v")):
        entries.append((f"bam.{name}.weight", np.ascontiguousarray(w_qkv[:, i * HIDDEN:(i + 1) * HIDDEN].T)))
        entries.append((f"bam.{name}.bias", b_qkv[i * HIDDEN:(i + 1) * HIDDEN].copy()))
    entries.append(("bam.out.weight", np.ascontiguousarray(w_o.T)))
    entries.append(("bam.out.bias", ref[4096:4146].copy()))
    entries.append(("score.weight", np.ascontiguousarray(ref[4146:4171].reshape(FEATURES, 1).T)))
    entries.append(("score.bias", ref[4171:4172].copy()))
    return entries


def load_checkpoint(path):
    import torch  # imported here so that --help works without torch

    if not os.path.isfile(path):
        fail(f"{path}: no such file")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # As the reference loads it; newer torch would default to weights_only=True, which
            # rejects e.g. a numpy scalar in best_val_loss.
            checkpoint = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as error:  # pickle, zip and torch errors alike
        text = str(error).splitlines()[0] if str(error) else type(error).__name__
        fail(f"{path}: not a PyTorch checkpoint (torch.load: {text})")
    if not isinstance(checkpoint, Mapping) or "evolution_state" not in checkpoint:
        keys = sorted(map(str, checkpoint.keys())) if isinstance(checkpoint, Mapping) else type(checkpoint).__name__
        fail(f"{path}: not an evo-memory checkpoint (expected a dict with 'evolution_state', "
             f"'iter_num', 'best_val_loss'; found {keys})")
    state = checkpoint["evolution_state"]
    if not isinstance(state, Mapping):
        fail(f"{path}: 'evolution_state' is a {type(state).__name__}, expected a CMA-ES state dict")
    state = {(k[len(COMPILED_PREFIX):] if k.startswith(COMPILED_PREFIX) else k): v for k, v in state.items()}
    return torch, checkpoint, state


def tensor_values(torch, path, state, key, what):
    value = state.get(key)
    if value is None:
        return None
    if not isinstance(value, torch.Tensor):
        fail(f"{path}: evolution_state['{key}'] ({what}) is a {type(value).__name__}, expected a tensor")
    return value.detach().cpu()


def read_genome(torch, path, state, which):
    key = "mean" if which == "mean" else "best_member"
    if "mean" not in state or "best_member" not in state:
        fail(f"{path}: evolution_state has no 'mean'/'best_member' (not a CMA-ES state of evo-memory)")
    genome = tensor_values(torch, path, state, key, "genome")
    if not genome.is_floating_point():
        fail(f"{path}: evolution_state['{key}'] is {genome.dtype}, expected floating point")
    if genome.dim() != 1 or genome.numel() != GENOME_SIZE:
        fail(f"{path}: evolution_state['{key}'] has shape {list(genome.shape)}, expected [{GENOME_SIZE}] "
             "(the published BAM NAMM: 25 features, width 32, shared across layers and heads)")
    values = genome.to(torch.float32).numpy().astype(np.float32)
    if not np.all(np.isfinite(values)):
        fail(f"{path}: evolution_state['{key}'] has non-finite values")
    return values


def read_statistics(torch, path, state):
    # Normalised components: '<component>_[online_new_]output_mean'; the published BAM NAMM has one,
    # the spectrogram ('token_embedding' wrapper, sub-component '0').
    components = sorted({k[len("stored_buffers_to_save."):-len("_output_mean")].removesuffix("_online_new")
                         for k in state if k.startswith("stored_buffers_to_save.") and k.endswith("_output_mean")})
    others = [c for c in components if c != "token_embedding_0"]
    if others:
        fail(f"{path}: unexpected normalised component '{others[0]}' (not the published BAM NAMM configuration)")
    found = {}
    for name in ("mean", "var", "num"):
        key = STATS_PREFIX + name
        value = tensor_values(torch, path, state, key, "normalisation statistics")
        if value is None:
            fail(f"{path}: no normalisation statistics (evolution_state has no '{key}')")
        if value.numel() != BINS:
            fail(f"{path}: evolution_state['{key}'] has shape {list(value.shape)}, expected [1, 1, 1, {BINS}]")
        found[name] = value.reshape(-1).to(torch.float64).numpy()
    mean, variance, num = found["mean"], found["var"], found["num"]
    if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(variance)) and np.all(variance >= 0)):
        fail(f"{path}: normalisation statistics are not finite (or a variance is negative)")
    if not np.all(num == num[0]):
        fail(f"{path}: normalisation counts differ between bins ({num.min():.0f} to {num.max():.0f})")
    if num[0] <= 0:
        fail(f"{path}: normalisation statistics are empty ('{STATS_PREFIX}num' is 0)")
    # float32 values, exactly representable as doubles: copied unchanged.
    return {"count": float(num[0]), "frozen": True, "mean": [float(x) for x in mean],
            "variance": [float(x) for x in variance]}


def safetensors_bytes(entries, metadata):
    """evomem's SafetensorsWriter layout: F32 tensors by name, header padded to 8 bytes."""
    header = {"__metadata__": metadata}
    offset = 0
    blobs = []
    for name, array in sorted(entries, key=lambda item: item[0]):
        data = np.ascontiguousarray(array, dtype="<f4").tobytes()
        header[name] = {"data_offsets": [offset, offset + len(data)], "dtype": "F32", "shape": list(array.shape)}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(blobs)


def write_atomically(path, content):
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        fail(f"{path}: folder {directory} does not exist")
    handle, temporary = tempfile.mkstemp(prefix=".namm_import.", dir=directory)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


class OneLineParser(argparse.ArgumentParser):
    """Usage errors as one line and exit status 1, like every evomem command."""

    def error(self, message):
        print(f"namm_import: {message} (see --help)", file=sys.stderr)
        sys.exit(1)


def main():
    parser = OneLineParser(
        description="Import a published NAMM checkpoint (SakanaAI/evo-memory) as evomem's namm.safetensors.")
    parser.add_argument("checkpoint", help="ckpt.pt written by the published trainer")
    parser.add_argument("--out", required=True, help="output file (namm.safetensors)")
    parser.add_argument("--which", choices=("mean", "best"), default="mean",
                        help="CMA-ES mean (default; what the published BAM runs evaluate) or best member")
    args = parser.parse_args()
    try:
        torch, checkpoint, state = load_checkpoint(args.checkpoint)
        genome = read_genome(torch, args.checkpoint, state, args.which)
        normalization = read_statistics(torch, args.checkpoint, state)
        entries = to_evomem_entries(genome)
        metadata = {
            "config": json.dumps(DEFAULT_CONFIG, sort_keys=True, separators=(",", ":")),
            "format": "evomem-namm",
            "genome_size": str(GENOME_SIZE),
            "normalization": json.dumps(normalization, sort_keys=True, separators=(",", ":")),
            "version": "1",
        }
        write_atomically(args.out, safetensors_bytes(entries, metadata))
    except CheckpointError as error:
        print(f"namm_import: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"namm_import: {error}", file=sys.stderr)
        return 1
    iteration = checkpoint.get("iter_num")
    print(f"{args.out}: genome '{'mean' if args.which == 'mean' else 'best_member'}' ({GENOME_SIZE} values)"
          f"{f' of iteration {iteration}' if iteration is not None else ''}, frozen normalisation statistics "
          f"over {normalization['count']:.0f} values per bin, evomem's default NAMM configuration")
    return 0


if __name__ == "__main__":
    sys.exit(main())
