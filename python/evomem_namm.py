"""PyTorch scorer for NAMMs exported by evomem (``namm.safetensors``).

Reads the file itself (no ``safetensors`` package: an 8-byte little-endian header length, a
JSON header whose ``__metadata__`` holds the configuration and normalisation statistics as
JSON strings, raw little-endian F32 tensors) and reproduces evomem's NAMM at an update point
of one layer: the features (recency encoding | normalised EMA spectrogram), the scorer's
scores (BAM or MLP) and the keep mask of the configured selection. Per-layer state (the EMA
of every token and the last ``n_fft - hop`` attention rows) is carried to the next update by
original token position, as in evomem, so it survives evictions. Normalisation statistics
are the file's (frozen when the file says so, which evolved files do).

Mirrors memory/namm_features.cpp, memory/spectrogram.cpp, memory/bam_scorer.cpp,
memory/mlp_scorer.cpp, memory/namm_policy.cpp and memory/selection.cpp; see docs/memory.md.
Dependencies: torch and numpy (tested with Debian's python3-torch 1.13).

    scorer = NammScorer("namm.safetensors")
    out = scorer.update(attention, positions, valid, query_positions, layer=0)
    out.features, out.scores, out.keep   # [b, h, n, F] float32, [b, h, n] float32, [b, h, n] bool
"""

import copy
import json
import math
import struct
from collections import namedtuple

import numpy as np
import torch

__all__ = [
    "DEFAULT_CONFIG",
    "NammScorer",
    "NammUpdate",
    "genome_layout",
    "read_safetensors",
    "write_namm",
    "read_namm",
    "keep_top",
    "select_tokens",
    "budget_counts",
    "carry_by_position",
]

FORMAT = "evomem-namm"

# memory/namm_config.{h,cpp}: the published defaults.
DEFAULT_CONFIG = {
    "update_interval": 512,
    "attention_precision": "float32",
    "spectrogram": {"n_fft": 32, "hop": 16, "window": "hann_periodic", "ema_coeff": 0.99, "normalize": True},
    "recency": {"dims": 8, "max_period": 50000.0},
    "scorer": {"type": "bam", "attention_dim": 32, "mlp_hidden": 32, "mlp_layers": 1},
    "selection": {"mode": "threshold", "threshold": 0.0, "budget": "0.5", "uniform_count": True,
                  "keep_newest": True},
}

NammUpdate = namedtuple("NammUpdate", ["features", "scores", "keep"])

_DTYPES = {"F64": (np.float64, 8), "F32": (np.float32, 4), "F16": (np.float16, 2), "I64": (np.int64, 8),
           "I32": (np.int32, 4), "I16": (np.int16, 2), "I8": (np.int8, 1), "U8": (np.uint8, 1),
           "BOOL": (np.bool_, 1)}


# ---------------------------------------------------------------- files

def read_safetensors(path):
    """Returns ({name: numpy array}, {metadata key: string}) of a safetensors file."""
    with open(path, "rb") as handle:
        data = handle.read()
    if len(data) < 8:
        raise ValueError("%s: too short for a safetensors file" % path)
    (header_size,) = struct.unpack("<Q", data[:8])
    if 8 + header_size > len(data):
        raise ValueError("%s: header length %d exceeds the file" % (path, header_size))
    header = json.loads(data[8:8 + header_size].decode("utf-8"))
    metadata = header.pop("__metadata__", {}) or {}
    body = memoryview(data)[8 + header_size:]
    tensors = {}
    for name, info in header.items():
        dtype = info["dtype"]
        if dtype not in _DTYPES:
            raise ValueError("%s: tensor '%s' has unsupported dtype %s" % (path, name, dtype))
        np_type, size = _DTYPES[dtype]
        begin, end = info["data_offsets"]
        shape = tuple(int(s) for s in info["shape"])
        count = int(np.prod(shape)) if shape else 1
        if end - begin != count * size or end > len(body):
            raise ValueError("%s: tensor '%s' has inconsistent data offsets" % (path, name))
        array = np.frombuffer(body[begin:end], dtype=np.dtype(np_type).newbyteorder("<")).reshape(shape)
        tensors[name] = array.astype(np_type, copy=True)
    return tensors, metadata


def _merged_config(config):
    merged = copy.deepcopy(DEFAULT_CONFIG)
    for key, value in (config or {}).items():
        if key not in merged:
            raise ValueError("unknown NAMM config field '%s'" % key)
        if isinstance(merged[key], dict):
            if not isinstance(value, dict):
                raise ValueError("NAMM config field '%s' must be an object" % key)
            for sub, sub_value in value.items():
                if sub not in merged[key]:
                    raise ValueError("unknown NAMM config field '%s.%s'" % (key, sub))
                merged[key][sub] = sub_value
        else:
            merged[key] = value
    spec = merged["spectrogram"]
    if spec["n_fft"] < 2 or spec["n_fft"] % 2 or spec["hop"] <= 0 or spec["n_fft"] % spec["hop"]:
        raise ValueError("NAMM config: spectrogram.hop must be positive and divide an even n_fft")
    if merged["update_interval"] <= 0 or merged["update_interval"] % spec["hop"]:
        raise ValueError("NAMM config: update_interval must be a positive multiple of spectrogram.hop")
    if merged["recency"]["dims"] < 0 or merged["recency"]["dims"] % 2:
        raise ValueError("NAMM config: recency.dims must be even and not negative")
    if merged["attention_precision"] not in ("float32", "bfloat16"):
        raise ValueError("NAMM config: attention_precision must be 'float32' or 'bfloat16'")
    if merged["scorer"]["type"] not in ("bam", "mlp"):
        raise ValueError("NAMM config: scorer.type must be 'bam' or 'mlp'")
    if merged["selection"]["mode"] not in ("threshold", "topk"):
        raise ValueError("NAMM config: selection.mode must be 'threshold' or 'topk'")
    return merged


def parse_budget(text):
    """memory/policy.cpp Budget::parse: (is_ratio, value) of "512" or "0.25"."""
    text = str(text)
    value = float(text)
    if not math.isfinite(value) or value < 0:
        raise ValueError("'%s' is not a budget" % text)
    is_ratio = any(c in text for c in ".eE") or value < 1.0
    if is_ratio and value > 1.0:
        raise ValueError("ratio '%s' must be at most 1" % text)
    if not is_ratio and value != math.floor(value):
        raise ValueError("'%s' must be a whole token count" % text)
    return is_ratio, value


def feature_dim(config):
    return config["recency"]["dims"] + config["spectrogram"]["n_fft"] // 2 + 1


def genome_layout(config):
    """[(name, shape)] of the scorer's genome, in evomem's order (docs/memory.md)."""
    config = _merged_config(config)
    features = feature_dim(config)
    scorer = config["scorer"]
    layout = []
    if scorer["type"] == "bam":
        d = scorer["attention_dim"]
        for projection in ("q", "k", "v"):
            layout.append(("bam.%s.weight" % projection, (d, features)))
            layout.append(("bam.%s.bias" % projection, (d,)))
        layout.append(("bam.out.weight", (2 * features, d)))
        layout.append(("bam.out.bias", (2 * features,)))
    else:
        width = features
        for layer in range(scorer["mlp_layers"]):
            layout.append(("mlp.%d.weight" % layer, (scorer["mlp_hidden"], width)))
            layout.append(("mlp.%d.bias" % layer, (scorer["mlp_hidden"],)))
            width = scorer["mlp_hidden"]
    layout.append(("score.weight", (1, width if scorer["type"] == "mlp" else features)))
    layout.append(("score.bias", (1,)))
    return layout


def read_namm(path):
    """(config dict with defaults filled in, {name: float32 torch tensor}, normalization dict)."""
    tensors, metadata = read_safetensors(path)
    if metadata.get("format") != FORMAT:
        raise ValueError("%s: __metadata__ format is %r, expected %r" % (path, metadata.get("format"), FORMAT))
    for key in ("config", "normalization"):
        if key not in metadata:
            raise ValueError("%s: __metadata__ has no '%s' (not a NAMM weights file)" % (path, key))
    config = _merged_config(json.loads(metadata["config"]))
    normalization = json.loads(metadata["normalization"])
    bins = config["spectrogram"]["n_fft"] // 2 + 1
    if normalization.get("count", 0) > 0 and (len(normalization["mean"]) != bins or
                                              len(normalization["variance"]) != bins):
        raise ValueError("%s: normalization statistics do not have %d bins" % (path, bins))
    genome = {}
    for name, shape in genome_layout(config):
        if name not in tensors:
            raise ValueError("%s: tensor '%s' is missing" % (path, name))
        array = tensors[name]
        if array.dtype != np.float32 or tuple(array.shape) != tuple(shape):
            raise ValueError("%s: tensor '%s' is %s %s, expected F32 %s" % (path, name, array.dtype,
                                                                           list(array.shape), list(shape)))
        genome[name] = torch.from_numpy(array.copy())
    return config, genome, normalization


def write_namm(path, config, genome, normalization):
    """Writes a namm.safetensors as memory/namm_file.cpp does.

    config: dict (missing fields take the defaults, all fields are written); genome: flat
    float32 vector in evomem's layout or {name: tensor}; normalization: {"mean", "variance",
    "count", "frozen"}.
    """
    config = _merged_config(config)
    layout = genome_layout(config)
    if not isinstance(genome, dict):
        flat = np.asarray(genome, dtype=np.float32).reshape(-1)
        total = sum(int(np.prod(shape)) for _, shape in layout)
        if flat.size != total:
            raise ValueError("genome has %d values, the configuration needs %d" % (flat.size, total))
        values, offset = {}, 0
        for name, shape in layout:
            size = int(np.prod(shape))
            values[name] = flat[offset:offset + size].reshape(shape)
            offset += size
        genome = values
    header, chunks, offset = {}, [], 0
    for name, shape in sorted(layout):  # all F32: evomem's writer orders them by name
        array = np.ascontiguousarray(np.asarray(genome[name], dtype="<f4").reshape(shape))
        raw = array.tobytes()
        header[name] = {"dtype": "F32", "shape": list(shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    header["__metadata__"] = {
        "format": FORMAT,
        "version": "1",
        "config": json.dumps(config, separators=(",", ":")),
        "normalization": json.dumps({"mean": [float(v) for v in normalization.get("mean", [])],
                                     "variance": [float(v) for v in normalization.get("variance", [])],
                                     "count": float(normalization.get("count", 0.0)),
                                     "frozen": bool(normalization.get("frozen", False))},
                                    separators=(",", ":")),
        "genome_size": str(sum(int(np.prod(shape)) for _, shape in layout)),
    }
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - (8 + len(text)) % 8) % 8)  # data area 8-byte aligned
    with open(path, "wb") as handle:
        handle.write(struct.pack("<Q", len(text)))
        handle.write(text)
        for chunk in chunks:
            handle.write(chunk)


# ---------------------------------------------------------------- selection (memory/selection.cpp)

def count_valid(valid):
    return valid.sum(-1, dtype=torch.long)


def keep_top(scores, valid, counts):
    """The counts[b, h] best-scored valid slots of each head; ties go to the lower slot."""
    n = scores.shape[2]
    if n == 0:
        return valid.clone()
    masked = scores.masked_fill(~valid, -math.inf)
    order = torch.sort(masked, dim=2, descending=True, stable=True)[1]
    ranks = torch.empty_like(order).scatter_(2, order, torch.arange(n, device=order.device).expand_as(order)
                                             .contiguous())
    return ranks.lt(counts.unsqueeze(-1)) & valid


def seen_tokens(positions, valid):
    if positions.shape[1] == 0 or positions.shape[2] == 0:
        return torch.zeros(positions.shape[0], dtype=positions.dtype, device=positions.device)
    return positions.masked_fill(~valid, -1).flatten(1).amax(1) + 1


def budget_counts(budget, positions, valid):
    """Tokens each head keeps under a budget ("512" or "0.25"), [b, h]."""
    is_ratio, value = parse_budget(budget) if isinstance(budget, str) else budget
    seen = seen_tokens(positions, valid).to(torch.float64)
    wanted = torch.ceil(seen * value - 1e-9) if is_ratio else torch.full_like(seen, value)
    wanted = torch.minimum(wanted, seen).clamp_min(0).to(torch.long)
    return torch.minimum(wanted.unsqueeze(1), count_valid(valid))


def select_tokens(scores, positions, valid, selection):
    """memory/namm_policy.cpp NammPolicy::select_tokens: keep mask [b, h, n]."""
    ranked = scores
    if selection["keep_newest"]:
        newest = keep_top(positions.to(torch.float64), valid, count_valid(valid).clamp_max(1))
        ranked = scores.masked_fill(newest, math.inf)
    if selection["mode"] == "threshold":
        keep = ranked.ge(selection["threshold"]) & valid
    else:
        keep = keep_top(ranked, valid, budget_counts(selection["budget"], positions, valid))
    if selection["uniform_count"]:
        # Every head keeps as many slots as the head that drops fewest (invalid slots count as
        # dropped), its best-ranked ones; per sequence.
        slots = valid.shape[2]
        dropped = slots - count_valid(keep)
        fewest = dropped.min(1, keepdim=True)[0]
        keep = keep_top(ranked, valid, slots - fewest)
    return keep


def carry_by_position(old_values, old_positions, old_kept, new_positions, new_valid):
    """Moves per-slot values [b, h, n_old, ...] onto new slots by original position (zeros for
    tokens not held before); returns (values, matched)."""
    new_shape = list(old_values.shape)
    new_shape[2] = new_positions.shape[2]
    n_old = old_positions.shape[2]
    if n_old == 0 or new_positions.shape[2] == 0:
        return old_values.new_zeros(new_shape), torch.zeros_like(new_valid)
    absent = torch.iinfo(torch.int64).max
    old_keys = old_positions.masked_fill(~old_kept, absent)
    sorted_keys, order = torch.sort(old_keys, dim=2, stable=True)
    sorted_keys = sorted_keys.contiguous()
    queries = new_positions.masked_fill(~new_valid, -1).contiguous()
    where = torch.searchsorted(sorted_keys, queries).clamp_max(n_old - 1)
    matched = sorted_keys.gather(2, where).eq(queries) & new_valid & queries.ge(0)
    source = order.gather(2, where)
    index_shape = list(source.shape)
    for d in range(3, old_values.dim()):
        source = source.unsqueeze(-1)
        index_shape.append(old_values.shape[d])
    values = old_values.gather(2, source.expand(index_shape))
    keep = matched
    for _ in range(3, old_values.dim()):
        keep = keep.unsqueeze(-1)
    return values.masked_fill(~keep, 0), matched


# ---------------------------------------------------------------- the scorer

class NammScorer:
    """evomem's NAMM (features, scorer, selection) on one layer's observation at a time.

    Observation layout (model/observation.h): attention [b, kv_heads, queries, slots] (the
    probabilities of the queries since the layer's last update, averaged over each GQA group's
    query heads; rows computed before later slots existed hold zeros there), positions
    [b, kv_heads, slots] int64 original token positions, valid [b, kv_heads, slots] bool,
    query_positions [b, queries] int64 (-1 for padding queries).
    """

    def __init__(self, path=None, config=None, genome=None, normalization=None, device="cpu"):
        if path is not None:
            config, genome, normalization = read_namm(path)
        else:
            config = _merged_config(config)
            if genome is None:
                genome = np.zeros(sum(int(np.prod(s)) for _, s in genome_layout(config)), np.float32)
            if not isinstance(genome, dict):
                flat = torch.as_tensor(np.asarray(genome, dtype=np.float32).reshape(-1))
                values, offset = {}, 0
                for name, shape in genome_layout(config):
                    size = int(np.prod(shape))
                    values[name] = flat[offset:offset + size].reshape(shape).clone()
                    offset += size
                genome = values
            normalization = normalization or {"mean": [], "variance": [], "count": 0.0, "frozen": False}
        self.config = config
        self.device = torch.device(device)
        self.parameters = {name: torch.as_tensor(value, dtype=torch.float32).to(self.device)
                           for name, value in genome.items()}
        self.normalization = {"mean": list(normalization.get("mean", [])),
                              "variance": list(normalization.get("variance", [])),
                              "count": float(normalization.get("count", 0.0)),
                              "frozen": bool(normalization.get("frozen", False))}
        spec = config["spectrogram"]
        self.n_fft, self.hop = spec["n_fft"], spec["hop"]
        self.bins = self.n_fft // 2 + 1
        # Windowed one-sided DFT basis [2 bins, n_fft] (cos rows, then -sin rows), built in
        # float64 with the angle reduced modulo n_fft and rounded once to float32.
        t = torch.arange(self.n_fft, dtype=torch.float64)
        k = torch.arange(self.bins, dtype=torch.float64)
        phase = torch.remainder(k.unsqueeze(1) * t.unsqueeze(0), float(self.n_fft)) * (2.0 * math.pi / self.n_fft)
        window = (0.5 - 0.5 * torch.cos(t * (2.0 * math.pi / self.n_fft))).unsqueeze(0)
        self._basis = torch.cat([torch.cos(phase) * window, -torch.sin(phase) * window], 0).to(torch.float32)
        self._basis = self._basis.to(self.device)
        self._layers = {}

    # -------------------------------------------------------- state

    def reset(self):
        """Forgets the per-sequence state (EMA, row tails) of every layer; statistics stay."""
        self._layers = {}

    def ema(self, layer=0):
        """Raw EMA spectrogram [b, h, n, bins] of `layer` after its last update (or None)."""
        state = self._layers.get(layer)
        return None if state is None else state["ema"]

    # -------------------------------------------------------- features

    def recency_encoding(self, ages):
        dims = self.config["recency"]["dims"]
        half = dims // 2
        exponents = torch.arange(half, dtype=torch.float64, device=ages.device) * (-2.0 / dims)
        frequencies = torch.pow(float(self.config["recency"]["max_period"]), exponents)
        angles = ages.to(torch.float64).unsqueeze(-1) * frequencies
        return torch.cat([torch.sin(angles), torch.cos(angles)], -1).to(torch.float32)

    def _magnitudes(self, rows):
        """rows [b, h, R, n] -> STFT magnitudes [b, h, F, bins, n] (float32)."""
        frames = rows.unfold(2, self.n_fft, self.hop)  # [b, h, F, n, n_fft]
        spectrum = torch.matmul(frames, self._basis.t())  # [b, h, F, n, 2 bins]
        power = spectrum[..., :self.bins].square() + spectrum[..., self.bins:].square()
        return power.sqrt().transpose(-1, -2)

    def features(self, attention, positions, valid=None, query_positions=None, layer=0):
        """Features [b, h, n, dim] float32 of one layer's observation; advances its state."""
        attention, positions, valid, query_positions = self._check(attention, positions, valid, query_positions)
        if self.config["attention_precision"] == "bfloat16":
            attention = attention.to(torch.bfloat16).to(attention.dtype)
        batch, heads, queries, n = attention.shape
        n_fft, hop, bins = self.n_fft, self.hop, self.bins
        tail_rows = n_fft - hop
        if queries % hop != 0:
            raise ValueError("%d attention rows at an update are not a multiple of the hop %d" % (queries, hop))
        state = self._layers.get(layer)
        if state is not None:
            old_ema = carry_by_position(state["ema"], state["positions"], state["valid"], positions, valid)[0]
            old_tail = carry_by_position(state["tail"], state["positions"], state["valid"], positions, valid)[0]
        else:
            old_ema = torch.zeros(batch, heads, n, bins, dtype=torch.float32, device=attention.device)
            old_tail = torch.zeros(batch, heads, n, tail_rows, dtype=torch.float32, device=attention.device)

        rows = torch.cat([old_tail.permute(0, 1, 3, 2), attention.to(torch.float32)], 2)  # [b, h, tail + q, n]
        frames = (tail_rows + queries - n_fft) // hop + 1
        # A token receives frame f only if it existed at the frame's last query row.
        newest_query = query_positions.max(1)[0]
        token_rows = positions - (newest_query - (queries - 1)).view(batch, 1, 1)
        frame_last_rows = torch.arange(frames, device=positions.device) * hop + (hop - 1)
        exists = token_rows.unsqueeze(2).le(frame_last_rows.view(1, 1, frames, 1))  # [b, h, F, n]
        coeff = float(self.config["spectrogram"]["ema_coeff"])
        frame_coeff = coeff ** hop
        exponents = torch.arange(frames - 1, -1, -1, dtype=torch.float64)
        frame_weights = (torch.pow(frame_coeff, exponents) * (1.0 - frame_coeff)).to(torch.float32)
        weights = exists.to(torch.float32) * frame_weights.to(attention.device).view(1, 1, frames, 1)
        magnitudes = self._magnitudes(rows)  # [b, h, F, bins, n]
        update = (magnitudes * weights.unsqueeze(3)).sum(2)  # [b, h, bins, n]
        ema = update.permute(0, 1, 3, 2) + old_ema * float(coeff ** queries)

        self._layers[layer] = {
            "ema": ema.contiguous(),
            "tail": attention[:, :, queries - tail_rows:, :].to(torch.float32).permute(0, 1, 3, 2).contiguous(),
            "positions": positions.clone(),
            "valid": valid.clone(),
        }

        spectral = ema
        stats = self.normalization
        if self.config["spectrogram"]["normalize"]:
            if not stats["frozen"]:
                mask = valid.unsqueeze(-1).to(torch.float64)
                count = float(mask.sum())
                if count > 0:
                    values = spectral.to(torch.float64)
                    mean = (values * mask).sum((0, 1, 2)) / count
                    variance = ((values - mean).pow(2) * mask).sum((0, 1, 2)) / count
                    self._merge(mean.cpu().tolist(), variance.cpu().tolist(), count)
            if stats["count"] > 0:
                mean = torch.tensor(stats["mean"], dtype=torch.float64, device=spectral.device)
                scale = torch.tensor(stats["variance"], dtype=torch.float64, device=spectral.device).sqrt()
                spectral = ((spectral.to(torch.float64) - mean) / scale.clamp_min(1e-7)).to(torch.float32)
        if self.config["recency"]["dims"] == 0:
            return spectral.contiguous()
        newest_position = positions.masked_fill(~valid, torch.iinfo(torch.int64).min).amax((1, 2), keepdim=True)
        ages = (newest_position - positions).clamp_min(0)
        return torch.cat([self.recency_encoding(ages), spectral], -1).contiguous()

    def _merge(self, batch_mean, batch_variance, batch_count):
        """Chan et al.'s parallel merge (NormalizationStats::merge)."""
        stats = self.normalization
        if stats["count"] <= 0:
            stats.update(mean=list(batch_mean), variance=list(batch_variance), count=batch_count)
            return
        total = stats["count"] + batch_count
        for i in range(len(stats["mean"])):
            delta = batch_mean[i] - stats["mean"][i]
            m2 = (stats["variance"][i] * stats["count"] + batch_variance[i] * batch_count +
                  delta * delta * stats["count"] * batch_count / total)
            stats["mean"][i] += delta * batch_count / total
            stats["variance"][i] = m2 / total
        stats["count"] = total

    # -------------------------------------------------------- scorer

    def score(self, features, positions, valid):
        """Scores [b, h, n] float32 of features [b, h, n, F]."""
        p = self.parameters
        if self.config["scorer"]["type"] == "mlp":
            hidden = features
            for layer in range(self.config["scorer"]["mlp_layers"]):
                hidden = torch.relu(torch.nn.functional.linear(hidden, p["mlp.%d.weight" % layer],
                                                               p["mlp.%d.bias" % layer]))
            return torch.nn.functional.linear(hidden, p["score.weight"], p["score.bias"]).squeeze(-1)
        return self._bam(features, positions, valid)

    def _bam(self, x, positions, valid):
        p = self.parameters
        linear = torch.nn.functional.linear
        d = self.config["scorer"]["attention_dim"]
        n = x.shape[2]
        if n == 0:
            return x.new_zeros(x.shape[:3])
        q = linear(x, p["bam.q.weight"], p["bam.q.bias"]) * (1.0 / math.sqrt(d))
        k = linear(x, p["bam.k.weight"], p["bam.k.bias"])
        v = linear(x, p["bam.v.weight"], p["bam.v.bias"])
        # Backward mask: token i attends to j iff j is valid and position j >= position i.
        allowed = positions.unsqueeze(-1).le(positions.unsqueeze(-2)) & valid.unsqueeze(-2)
        logits = torch.matmul(q, k.transpose(-1, -2)).masked_fill(~allowed, -1e30)  # finite: no NaN rows
        attended = torch.matmul(torch.softmax(logits, -1), v)
        modulation = linear(attended, p["bam.out.weight"], p["bam.out.bias"])
        features = x.shape[-1]
        modulated = x * (modulation[..., features:] + 1.0) + modulation[..., :features]
        scores = linear(modulated, p["score.weight"], p["score.bias"]).squeeze(-1)
        # evomem scores invalid slots 0, except for heads with repeated valid positions, which
        # it scores in the direct masked form (as above, invalid slots included).
        keys = positions.masked_fill(~valid, torch.iinfo(torch.int64).max).flatten(0, 1)
        ordered = torch.sort(keys, dim=1)[0]
        repeated = (ordered[:, 1:].eq(ordered[:, :-1]) & ordered[:, 1:].ne(torch.iinfo(torch.int64).max)).any()
        return scores if bool(repeated) else scores.masked_fill(~valid, 0.0)

    # -------------------------------------------------------- selection and update

    def select(self, scores, positions, valid):
        """The configured selection's keep mask [b, h, n] bool."""
        return select_tokens(scores, positions, valid, self.config["selection"])

    def update(self, attention, positions, valid=None, query_positions=None, layer=0):
        """One update point of `layer`: features, scores and keep mask (NammUpdate)."""
        attention, positions, valid, query_positions = self._check(attention, positions, valid, query_positions)
        features = self.features(attention, positions, valid, query_positions, layer)
        scores = self.score(features, positions, valid)
        return NammUpdate(features, scores, self.select(scores, positions, valid))

    __call__ = update

    def _check(self, attention, positions, valid, query_positions):
        attention = torch.as_tensor(attention)
        if attention.dim() != 4:
            raise ValueError("attention must be [batch, kv_heads, queries, slots]")
        if not attention.is_floating_point():
            raise ValueError("attention must hold probabilities (a floating-point tensor)")
        positions = torch.as_tensor(positions, dtype=torch.long, device=attention.device)
        batch, heads, queries, n = attention.shape
        if tuple(positions.shape) != (batch, heads, n):
            raise ValueError("positions must be [batch, kv_heads, slots] = %s" % [batch, heads, n])
        if valid is None:
            valid = torch.ones(batch, heads, n, dtype=torch.bool, device=attention.device)
        valid = torch.as_tensor(valid, device=attention.device).to(torch.bool)
        if tuple(valid.shape) != (batch, heads, n):
            raise ValueError("valid must be [batch, kv_heads, slots]")
        if query_positions is None:
            # The newest `queries` positions held in each row.
            newest = seen_tokens(positions, valid)
            query_positions = newest.unsqueeze(1) - queries + torch.arange(queries, device=attention.device)
        query_positions = torch.as_tensor(query_positions, dtype=torch.long, device=attention.device)
        if tuple(query_positions.shape) != (batch, queries):
            raise ValueError("query_positions must be [batch, queries]")
        return attention, positions, valid, query_positions
