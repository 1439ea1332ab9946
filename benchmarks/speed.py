"""Speed and memory of LSTMAutoencoderTransformer against raw Keras and PyTorch.

Every comparison runs side by side in one process, the variants interleaved
(A B A B ...), with one TensorFlow thread and one PyTorch thread, and is
reported as a ratio of medians: absolute times drift on a shared machine.
The data are ECG-like curves shaped like ECG5000 (T=140 steps, 1 feature);
our estimator runs the seed tutorial's architecture (100 units, the last
hidden state as the code), ``scale=False``, every epoch (``patience=None``,
no validation split), shuffled batches of 32.

1. ``fit`` against the seed tutorial's raw Keras code (Sequential LSTM(100) ->
   RepeatVector -> LSTM(100) -> TimeDistributed(Dense(1)), adam/mse): end to
   end and per steady epoch, tanh and relu.
2. Steady training throughput against the same model in PyTorch.
3. ``transform`` throughput against ``encoder_.predict`` (the seed's way).
4. ``transform`` latency on one sequence.
5. Fixed cost of a fit (end of the first epoch minus a steady epoch): a new
   architecture, and a second fit of a cached one, against raw Keras.
6. Ragged data (lognormal lengths, 10-400 steps) as a list against the same
   data zero-padded to the longest sequence, as a user without
   variable-length support would feed it.
7. Peak memory of ``transform`` as the number of sequences grows.

Part ``levers`` measures what could change speed: batch size, padding a
single sequence to 8 rows, and (full run) the chunk budget and the pooled
encodings. Part ``profile`` splits a training step into Python, graph and
TensorFlow ops, and times one fused LSTM layer against PyTorch's.

Usage::

    python benchmarks/speed.py --quick       # ~3 minutes on 2 cores (5 if busy)
    python benchmarks/speed.py               # the full run, 12-16 minutes
    python benchmarks/speed.py --parts fit,profile

PyTorch is a benchmark-only dependency (``pip install torch==2.13.0``); its
comparisons are skipped without it. The memory part reads Linux's /proc.
"""

import argparse
import collections
import contextlib
import cProfile
import gc
import glob
import json
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings
from dataclasses import dataclass, replace

import numpy as np

from skseqae import LSTMAutoencoderTransformer, _compiled, _inference, _training
from skseqae._backend import keras, tf

# Keras' retracing and data-adapter warnings for the raw-Keras reference.
warnings.filterwarnings("ignore")

UNITS = 100
PARTS = ("fit", "transform", "latency", "ragged", "memory", "levers", "profile")


@dataclass(frozen=True)
class Config:
    """Sizes of one run; every part uses sequences of ``timesteps`` steps."""

    reps: int  # interleaved repetitions of each compared variant
    n_fit: int  # sequences per fit (parts 1, 2, 5, levers, profile)
    epochs: int
    relu_epochs: int
    n_transform: int
    n_ragged: int  # sequences per ragged fit
    ragged_epochs: int
    n_ragged_transform: int
    memory_sizes: tuple
    batch_sizes: tuple
    step_reps: int  # interleaved single train steps per variant (levers)
    extras: bool  # levers beyond batch size: encodings, chunk budgets
    timesteps: int = 140


FULL = Config(
    reps=3,
    n_fit=512,
    epochs=8,
    relu_epochs=3,
    n_transform=20_000,
    n_ragged=512,
    ragged_epochs=4,
    n_ragged_transform=4000,
    memory_sizes=(10_000, 40_000),
    batch_sizes=(32, 64, 128, 256),
    step_reps=15,
    extras=True,
)
QUICK = replace(
    FULL, reps=2, n_fit=256, epochs=3, relu_epochs=3, n_transform=3000,
    n_ragged=256, ragged_epochs=3, n_ragged_transform=2000,
    memory_sizes=(3000, 9000), batch_sizes=(32, 128), step_reps=6, extras=False,
)  # fmt: skip


# ------------------------------------------------------------------ set-up


def single_threaded():
    """One intra-op and one inter-op thread for TensorFlow and for PyTorch."""
    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    try:
        import torch
    except ImportError:
        return
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)


def ecg_like(n, length, rng):
    """(n, length, 1) float32 heartbeat-like curves: three bumps plus noise."""
    t = np.linspace(0, 1, length)[None, :]
    x = np.zeros((n, length))
    for centre, width, height in ((0.3, 0.02, -0.5), (0.4, 0.01, 3.0), (0.7, 0.05, 1)):
        c = centre + 0.03 * rng.standard_normal((n, 1))
        x += height * np.exp(-0.5 * ((t - c) / width) ** 2)
    x += 0.1 * rng.standard_normal(x.shape)
    return x[:, :, None].astype(np.float32)


def ragged_lengths(n, rng, low=10, high=400):
    """Skewed lengths: lognormal around 40 steps, a few up to ``high``."""
    lengths = np.clip(rng.lognormal(np.log(40), 0.8, n), low, high).astype(int)
    lengths[0] = high
    return lengths


def ragged_data(n, rng):
    lengths = ragged_lengths(n, rng)
    return [ecg_like(1, int(m), rng)[0] for m in lengths]


def zero_padded(seqs):
    out = np.zeros((len(seqs), max(len(s) for s in seqs), 1), np.float32)
    for i, s in enumerate(seqs):
        out[i, : len(s)] = s
    return out


def interleaved(variants, reps):
    """Run ``variants`` (name -> callable) A B C A B C ...; lists of results."""
    results = {name: [] for name in variants}
    for _ in range(reps):
        for name, run in variants.items():
            gc.collect()
            results[name].append(run())
    return results


def timings(fn, repeat):
    """Seconds of each of ``repeat`` calls of ``fn``."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


@contextlib.contextmanager
def patched(owner, name, value):
    """Set ``owner.name`` to ``value`` for the block (to measure proposals)."""
    saved = getattr(owner, name)
    setattr(owner, name, value)
    try:
        yield
    finally:
        setattr(owner, name, saved)


def note(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------- the table


class Table:
    """Rows of: part, measurement, ours, reference, ratio, target, met."""

    def __init__(self):
        self.rows = []

    def add(
        self, part, what, ours, ref, unit="", target=None, *, ratio=None, absolute=False
    ):
        """Add a row. ``target`` ("op value ...") applies to the ratio
        (``ours / ref`` unless given), or to ``ours`` when ``absolute``."""
        ratio = ours / ref if ratio is None else ratio
        met = ""
        if target:
            op, value = target.split()[:2]
            met = _COMPARE[op](ours if absolute else ratio, float(value))
            met = "yes" if met else "**no**"
        row = (part, what, _fmt(ours, unit), _fmt(ref, unit), f"{ratio:.2f}")
        self.rows.append(row + (target or "-", met))
        print("| " + " | ".join(self.rows[-1]) + " |", file=sys.stderr, flush=True)

    def print(self):
        print("| # | measurement | ours | reference | ratio | target | met |")
        print("|---|---|---|---|---|---|---|")
        for row in self.rows:
            print("| " + " | ".join(row) + " |")


_COMPARE = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">=": lambda a, b: a >= b,
}


def _fmt(value, unit):
    if isinstance(value, str):
        return value
    digits = 0 if abs(value) >= 100 else 1 if abs(value) >= 10 else 2
    return f"{value:.{digits}f} {unit}".strip()


# ------------------------------------------------------- the three trainers


class EpochClock(keras.callbacks.Callback):
    """Wall-clock time at the end of every epoch."""

    def __init__(self):
        super().__init__()
        self.ends = []

    def on_epoch_end(self, epoch, logs=None):
        self.ends.append(time.perf_counter())


@dataclass
class FitTiming:
    total: float  # the whole call, building included
    first: float  # from the call to the end of the first epoch
    steady: float  # median epoch after the first
    n: int

    @classmethod
    def of(cls, start, end, ends, n):
        steady = float(np.median(np.diff(ends))) if len(ends) > 1 else np.nan
        return cls(end - start, ends[0] - start, steady, n)

    @property
    def overhead(self):
        return self.first - self.steady


def ours(**params):
    """Our estimator with the seed tutorial's architecture, all epochs run."""
    settings = dict(units=UNITS, patience=None, validation_fraction=None)
    settings.update(scale=False, shuffle=True, **SEED_ENCODING)
    return LSTMAutoencoderTransformer(**{**settings, **params})


def _encodings():
    """'last' (the seed's code) and the pooled codes to compare it with."""
    params = LSTMAutoencoderTransformer().get_params()
    if "encoding" not in params:
        return ()
    allowed = LSTMAutoencoderTransformer._parameter_constraints["encoding"][0]
    wanted = ("last", "mean", "mean_max", params["encoding"])
    return tuple(dict.fromkeys(e for e in wanted if e in allowed.options))


#: The seed's code is the encoder's last hidden state. Where the estimator
#: can pool the steps instead, the comparisons pin the seed's choice.
ENCODINGS = _encodings()
SEED_ENCODING = {"encoding": "last"} if ENCODINGS else {}


def fit_ours(X, epochs, *, cold=False, seed=0, **params):
    """Fit our estimator; ``cold`` empties the cache of traced code first."""
    if cold:
        _compiled._cache.clear()
    clock = EpochClock()
    est = ours(epochs=epochs, callbacks=[clock], random_state=seed, **params)
    start = time.perf_counter()
    est.fit(X)
    return FitTiming.of(start, time.perf_counter(), clock.ends, len(X)), est


def seed_model(timesteps, activation):
    """The seed tutorial's autoencoder, written in raw Keras."""
    layers = keras.layers
    model = keras.Sequential(
        [
            keras.Input((timesteps, 1)),
            layers.LSTM(UNITS, activation=activation),
            layers.RepeatVector(timesteps),
            layers.LSTM(UNITS, activation=activation, return_sequences=True),
            layers.TimeDistributed(layers.Dense(1)),
        ]
    )
    model.compile(optimizer="adam", loss="mse")
    return model


def fit_raw(X, epochs, *, activation="tanh", batch_size=32):
    clock = EpochClock()
    start = time.perf_counter()
    model = seed_model(X.shape[1], activation)
    model.fit(
        X,
        X,
        epochs=epochs,
        batch_size=batch_size,
        shuffle=True,
        verbose=0,
        callbacks=[clock],
    )
    return FitTiming.of(start, time.perf_counter(), clock.ends, len(X)), model


def torch_autoencoder(n_features):
    from torch import nn

    class Autoencoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = nn.LSTM(n_features, UNITS, batch_first=True)
            self.decoder = nn.LSTM(UNITS, UNITS, batch_first=True)
            self.output = nn.Linear(UNITS, n_features)

        def forward(self, x):
            _, (h, _) = self.encoder(x)
            code = h[-1][:, None].expand(-1, x.shape[1], -1)
            return self.output(self.decoder(code)[0])

    return Autoencoder()


def fit_torch(X, epochs, *, batch_size=32, seed=0):
    import torch

    torch.manual_seed(seed)
    start = time.perf_counter()
    X = torch.from_numpy(X)
    model = torch_autoencoder(X.shape[2])
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn, ends = torch.nn.MSELoss(), []
    for _ in range(epochs):
        order = torch.randperm(len(X))
        for i in range(0, len(X), batch_size):
            batch = X[order[i : i + batch_size]]
            optimizer.zero_grad()
            loss = loss_fn(model(batch), batch)
            loss.backward()
            optimizer.step()
            loss.item()  # a host sync per step, as in our loop and Keras'
        ends.append(time.perf_counter())
    return FitTiming.of(start, time.perf_counter(), ends, len(X)), model


def has_torch():
    try:
        import torch  # noqa: F401
    except ImportError:
        note("torch is not installed: PyTorch comparisons are skipped")
        return False
    return True


# ------------------------------------------------------- 1, 2, 5: fitting


def part_fit(cfg, table, rng):
    """Parts 1, 2 and 5, from one interleaved run; then relu (part 1)."""
    X = ecg_like(cfg.n_fit, cfg.timesteps, rng)
    fit_ours(X[:64], 1)  # TensorFlow's own first-use costs, outside the timings
    fit_raw(X[:64], 1)
    variants = {
        "new": lambda: fit_ours(X, cfg.epochs, cold=True)[0],
        "cached": lambda: fit_ours(X, cfg.epochs, seed=1)[0],
        "raw": lambda: fit_raw(X, cfg.epochs)[0],
    }
    if has_torch():
        variants["torch"] = lambda: fit_torch(X, cfg.epochs)[0]
    note(f"fit: {len(variants)} variants x {cfg.reps} reps x {cfg.epochs} epochs")
    med = medians(interleaved(variants, cfg.reps))
    size = f"n={cfg.n_fit}, T={cfg.timesteps}, batch 32, {cfg.epochs} epochs"
    fit_rows(table, med, f"tanh, {size}")
    steady = np.median([med["new"]["steady"], med["cached"]["steady"]])
    if "torch" in med:
        rate, ref = cfg.n_fit / steady, cfg.n_fit / med["torch"]["steady"]
        what = "steady training throughput vs PyTorch"
        table.add("2", what, rate, ref, "seq/s", ">= 0.8")
    for name in ("new", "cached"):
        what = f"fixed cost of a fit, {name} architecture (raw Keras: new model)"
        o, r = med[name]["overhead"], med["raw"]["overhead"]
        table.add("5", what, o, r, "s", "< 2 s", absolute=True)
    relu(cfg, table, X, size)


def medians(runs):
    fields = ("total", "first", "steady", "overhead")
    return {
        name: {f: float(np.median([getattr(t, f) for t in timings])) for f in fields}
        for name, timings in runs.items()
    }


def fit_rows(table, med, size):
    """End-to-end fit (a new and a cached architecture) and the steady epoch."""
    raw = med["raw"]
    for name in ("new", "cached"):
        what = f"fit end to end, {name} architecture ({size})"
        table.add("1", what, med[name]["total"], raw["total"], "s", "<= 1.05")
    steady = np.median([med["new"]["steady"], med["cached"]["steady"]])
    what = f"steady epoch ({size.split(',')[0]})"
    table.add("1", what, steady, raw["steady"], "s", "<= 1.05")


def relu(cfg, table, X, size):
    e, reps = cfg.relu_epochs, max(1, cfg.reps - 1)
    variants = {
        "new": lambda: fit_ours(X, e, cold=True, activation="relu")[0],
        "raw": lambda: fit_raw(X, e, activation="relu")[0],
    }
    note(f"fit relu: 2 variants x {reps} reps x {e} epochs")
    med = medians(interleaved(variants, reps))
    size = size.replace(f"{cfg.epochs} epochs", f"{e} epochs")
    what = f"fit end to end, new architecture (relu, {size})"
    table.add("1", what, med["new"]["total"], med["raw"]["total"], "s", "<= 1.05")
    what = "steady epoch (relu)"
    table.add("1", what, med["new"]["steady"], med["raw"]["steady"], "s", "<= 1.05")


# ---------------------------------------------------- 3, 4: transforming


def fitted(cfg, rng):
    """A fitted estimator (one epoch: inference speed does not need more)."""
    return fit_ours(ecg_like(128, cfg.timesteps, rng), 1)[1]


def seed_encoder(timesteps):
    """The seed tutorial's way: ``Model(model.inputs, model.layers[0].output)``."""
    model = seed_model(timesteps, "tanh")
    return keras.Model(model.inputs, model.layers[0].output)


def part_transform(cfg, table, rng):
    est = fitted(cfg, rng)
    X = ecg_like(cfg.n_transform, cfg.timesteps, rng)
    seed = seed_encoder(cfg.timesteps)
    calls = {
        "transform": est.transform,
        "encoder_.predict": lambda x: est.encoder_.predict(x, verbose=0),
        "seed": lambda x: seed.predict(x, verbose=0),
    }
    for fn in calls.values():
        fn(X[:64])
    reps = cfg.reps
    note(f"transform: 3 variants x {reps} reps, {len(X)} sequences")
    variants = {k: lambda f=f: timings(lambda: f(X), 1)[0] for k, f in calls.items()}
    rate = {k: len(X) / np.median(v) for k, v in interleaved(variants, reps).items()}
    what = f"transform throughput, n={len(X)}, T={cfg.timesteps}"
    table.add(
        "3",
        f"{what}, vs est.encoder_.predict",
        rate["transform"],
        rate["encoder_.predict"],
        "seq/s",
        ">= 2.5",
    )
    table.add(
        "3",
        f"{what}, vs the raw Keras seed encoder's .predict",
        rate["transform"],
        rate["seed"],
        "seq/s",
    )
    return est


def part_latency(cfg, table, rng, est=None):
    est = est or fitted(cfg, rng)
    x = ecg_like(1, cfg.timesteps, rng)
    graph = bare_encoder_graph(est, x)
    calls = {  # name: (function, calls per block)
        "transform": (lambda: est.transform(x), 20),
        "predict": (lambda: est.encoder_.predict(x, verbose=0), 1),
        "call": (lambda: est.encoder_(x, training=False), 20),
        "graph": (graph, 20),
    }
    ms = latencies(calls)
    what = "one-sequence transform latency (median of 200), vs encoder_.predict"
    table.add("4", what, ms["transform"], ms["predict"], "ms", "< 5 ms", absolute=True)
    what = "one-sequence transform latency, vs calling encoder_(x) eagerly"
    table.add("4", what, ms["transform"], ms["call"], "ms")
    what = "one-sequence transform latency, vs its traced graph alone (8 rows)"
    table.add("4", what, ms["transform"], ms["graph"], "ms")


def bare_encoder_graph(est, x):
    """transform's traced encoder, called directly on the padded tensor."""
    arch = _compiled.architecture(est._spec)
    concrete = arch._encode.get_concrete_function()
    weights = _compiled._values(est.encoder_)
    rows = tf.constant(_inference._pad_rows(x))
    return lambda: concrete(rows, *weights)


def latencies(calls, blocks=10):
    """Median ms per call; ``blocks`` interleaved blocks of each function."""
    for fn, _ in calls.values():
        fn()
    times = {k: [] for k in calls}
    for _ in range(blocks):
        for name, (fn, repeat) in calls.items():
            times[name] += timings(fn, repeat)
    return {k: 1e3 * float(np.median(v)) for k, v in times.items()}


# ------------------------------------------------------------ 6: ragged


def part_ragged(cfg, table, rng):
    seqs = ragged_data(cfg.n_ragged, rng)
    padded = zero_padded(seqs)
    lengths = np.array([len(s) for s in seqs])
    shape = (
        f"n={len(seqs)}, lengths 10-400 lognormal: median {np.median(lengths):.0f}, "
        f"mean {lengths.mean():.0f}"
    )
    fit_ours(seqs[:64], 1)  # the architecture of the other parts: warm
    e, reps = cfg.ragged_epochs, cfg.reps - 1
    variants = {
        "list": lambda: fit_ours(seqs, e)[0],
        "padded": lambda: fit_ours(padded, e)[0],
    }
    note(f"ragged fit: 2 variants x {reps} reps x {e} epochs")
    med = medians(interleaved(variants, reps))
    a, b = med["list"]["steady"], med["padded"]["steady"]
    what = f"steady epoch, list vs zero-padded to 400 ({shape})"
    table.add("6", what, a, b, "s", ">= 1.5 (padded/list)", ratio=b / a)
    est = fit_ours(seqs[:64], 1)[1]
    X = ragged_data(cfg.n_ragged_transform, rng)
    X_padded = zero_padded(X)
    variants = {
        "list": lambda: timings(lambda: est.transform(X), 1)[0],
        "padded": lambda: timings(lambda: est.transform(X_padded), 1)[0],
    }
    med = {k: float(np.median(v)) for k, v in interleaved(variants, 3).items()}
    what = f"transform time, list vs zero-padded (n={len(X)})"
    table.add(
        "6",
        what,
        med["list"],
        med["padded"],
        "s",
        ">= 1.5 (padded/list)",
        ratio=med["padded"] / med["list"],
    )


# ------------------------------------------------------------ 7: memory


def part_memory(cfg, table, rng):
    """Peak memory of transform, each case in a fresh process.

    The numpy-side peak (tracemalloc) is measured at two sizes and its growth
    per sequence compared with the output's size. The peak resident set also
    holds TensorFlow's activations of one chunk (7 floats per unit and step:
    the fused kernel keeps all gates), bounded by ``_inference.CHUNK_BYTES``.
    """
    small, large = cfg.memory_sizes
    now = _inference.CHUNK_BYTES
    cases = [("array", now), ("list", now)]
    cases += [("array", 4 * now)] if cfg.extras else []
    found = {}
    for layout, chunk_bytes in cases:
        note(
            f"memory: transform of {large} and {small} sequences ({layout}, "
            f"chunks of {chunk_bytes >> 20} MB), in a subprocess"
        )
        found[layout, chunk_bytes] = memory_in_subprocess(
            layout, cfg.memory_sizes, cfg.timesteps, chunk_bytes
        )
    for layout in ("array", "list"):
        memory_rows(table, found[layout, now], layout, cfg.memory_sizes)
    if cfg.extras:
        rss = found["array", 4 * now]["rss"], found["array", now]["rss"]
        what = (
            f"lever: transform peak RSS (n={large}), chunks of {4 * now >> 20} MB "
            f"vs {now >> 20} MB (now)"
        )
        table.add("L", what, rss[0] / 1e6, rss[1] / 1e6, "MB")
    return memory_details(found, cfg.memory_sizes)


def memory_rows(table, found, layout, sizes):
    """Growth of the numpy-side peak per sequence, against what it must hold.

    transform must hold its output twice (float32 from the model, float64
    returned): 1.5 x the returned bytes. A padded copy of the input would add
    ``padded`` bytes per sequence on top; the target says it is not there.
    """
    (small, large), r = sizes, found
    per = {k: (v[1] - v[0]) / (large - small) for k, v in r.items() if k != "rss"}
    must = 1.5 * per["output"]
    shape = "T=140 float32 array" if layout == "array" else "ragged list, max 400"
    what = (
        f"transform numpy-side peak memory growth per sequence, {shape} (ratio: "
        "to the float32 + float64 output)"
    )
    ref = f"output {must:.0f} B; a padded copy: +{per['padded']:.0f} B"
    target = f"< {(must + per['padded']) / must:.2f} (no padded copy)"
    table.add(
        "7",
        what,
        f"{per['numpy']:.0f} B",
        ref,
        target=target,
        ratio=per["numpy"] / must,
    )
    what = f"transform peak RSS increase, n={large}, {shape} (ratio: to the output)"
    table.add(
        "7",
        what,
        r["rss"] / 1e6,
        r["output"][1] / 1e6,
        "MB",
        ratio=r["rss"] / r["output"][1],
    )


def memory_details(found, sizes):
    lines = ["", "Transform memory (MB; RSS: above the resident set before it):"]
    for (layout, chunk_bytes), r in found.items():
        for i, n in enumerate(sizes):
            rss = f"peak RSS +{r['rss'] / 1e6:.1f}, " if i == 1 else ""
            lines.append(
                f"- {layout}, n={n}, chunks of {chunk_bytes >> 20} MB: {rss}numpy "
                f"peak {r['numpy'][i] / 1e6:.1f}; input {r['input'][i] / 1e6:.1f}, "
                f"output {r['output'][i] / 1e6:.1f}, input padded to the "
                f"longest {r['padded'][i] / 1e6:.1f}"
            )
    return lines


def memory_in_subprocess(layout, sizes, timesteps, chunk_bytes):
    args = [layout, ",".join(map(str, sizes)), str(timesteps), str(chunk_bytes)]
    cmd = [sys.executable, __file__, "--memory-child", *args]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def memory_child(layout, sizes, timesteps, chunk_bytes):
    """Print transform's peak memory as JSON: RSS for the largest of ``sizes``
    (measured first, in this fresh process), numpy-side peaks for each."""
    single_threaded()
    rng = np.random.default_rng(0)
    est = fit_ours(ecg_like(64, timesteps, rng), 1)[1]
    make = ecg_like if layout == "array" else lambda n, _, rng: ragged_data(n, rng)
    found = collections.defaultdict(list)
    with patched(_inference, "CHUNK_BYTES", chunk_bytes):
        est.transform(make(100, timesteps, rng))
        for n in sorted(sizes, reverse=True):
            X = make(n, timesteps, rng)
            if "rss" not in found:
                found["rss"] = _peak_rss(est.transform, X)
            tracemalloc.start()
            out = est.transform(X)
            found["numpy"].insert(0, tracemalloc.get_traced_memory()[1])
            tracemalloc.stop()
            found["output"].insert(0, out.nbytes)
            found["input"].insert(0, sum(np.asarray(x).nbytes for x in X))
            found["padded"].insert(0, n * max(len(x) for x in X) * 4)
            del X, out
    print(json.dumps(found))


def _peak_rss(fn, *args):
    gc.collect()
    base = _status("VmRSS")
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # resets the peak resident set (VmHWM) to the current one
    fn(*args)
    return _status("VmHWM") - base


def _status(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(field)


# ----------------------------------------------------------- levers


def part_levers(cfg, table, rng):
    batch_sizes(cfg, table, rng)
    est = fitted(cfg, rng)
    x = ecg_like(1, cfg.timesteps, rng)
    calls = {
        "now": (lambda: est.transform(x), 20),
        "no row padding": (lambda: without_row_padding(est.transform, x), 20),
    }
    ms = latencies(calls)
    what = "lever: one-sequence transform latency, no padding to 8 rows vs now"
    table.add("L", what, ms["no row padding"], ms["now"], "ms")
    if cfg.extras:
        chunk_budgets(cfg, table, rng, est)
        if SEED_ENCODING:
            encodings(cfg, table, rng)


def chunk_budgets(cfg, table, rng, est):
    X = ecg_like(cfg.n_ragged_transform, cfg.timesteps, rng)
    now = _inference.CHUNK_BYTES
    variants = {
        size: lambda size=size: with_chunk_bytes(size, est.transform, X)
        for size in (now, now // 4, now * 4)
    }
    note("levers: transform with other chunk budgets")
    med = {k: np.median(v) for k, v in interleaved(variants, cfg.reps + 1).items()}
    for size in (now // 4, now * 4):
        what = (
            f"lever: transform time (n={len(X)}), chunks of {size >> 20} MB "
            f"vs {now >> 20} MB (now)"
        )
        table.add("L", what, med[size], med[now], "s")


def batch_sizes(cfg, table, rng):
    """Training throughput per batch size, from interleaved single steps.

    Whole fits at each batch size drift too much on a busy machine; single
    train steps (as our loop runs them, and PyTorch's), interleaved, do not.
    """
    X = ecg_like(max(cfg.batch_sizes), cfg.timesteps, rng)
    est = fit_ours(X[:64], 1)[1]
    steps = {}
    for bs in cfg.batch_sizes:
        steps["ours", bs] = _step_variants(est, X, bs)["loop"]
        if has_torch():
            steps["torch", bs] = torch_step(X[:bs])
    for step in steps.values():
        step()
    note(f"levers: train steps at batch sizes {cfg.batch_sizes}")
    runs = interleaved(
        {k: lambda f=f: timings(f, 1)[0] for k, f in steps.items()}, cfg.step_reps
    )
    rate = {k: k[1] / np.median(v) for k, v in runs.items()}
    first = cfg.batch_sizes[0]
    for bs in cfg.batch_sizes:
        ref = rate.get(("torch", bs), np.nan)
        what = (
            f"lever: batch_size={bs}, training throughput vs batch {first} "
            f"(PyTorch at {bs}: {ref:.0f} seq/s, ours/PyTorch "
            f"{rate['ours', bs] / ref:.2f})"
        )
        table.add("L", what, rate["ours", bs], rate["ours", first], "seq/s")


def torch_step(batch):
    """One PyTorch training step on ``batch``, as ``fit_torch`` runs it."""
    import torch

    batch = torch.from_numpy(batch)
    model = torch_autoencoder(batch.shape[2])
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.MSELoss()

    def step():
        optimizer.zero_grad()
        loss = loss_fn(model(batch), batch)
        loss.backward()
        optimizer.step()
        loss.item()

    return step


def encodings(cfg, table, rng):
    """Cost of pooled codes: the pooling, and a wider code for the decoder."""
    X = ecg_like(cfg.n_ragged_transform, cfg.timesteps, rng)
    calls = {}
    for encoding in ENCODINGS:
        est = fit_ours(X[:64], 1, encoding=encoding)[1]
        step = _step_variants(est, X, 32)["loop"]
        calls[encoding, "step"] = step
        calls[encoding, "transform"] = lambda est=est: est.transform(X)
    note(f"levers: encodings {ENCODINGS}, train steps and transform")
    runs = interleaved(
        {k: lambda f=f: timings(f, 1)[0] for k, f in calls.items()}, cfg.step_reps
    )
    med = {k: np.median(v) for k, v in runs.items()}
    for encoding in ENCODINGS[1:]:
        what = f"lever: encoding={encoding!r} vs 'last', train step (batch 32)"
        table.add(
            "L", what, 1e3 * med[encoding, "step"], 1e3 * med["last", "step"], "ms"
        )
        what = f"lever: encoding={encoding!r} vs 'last', transform (n={len(X)})"
        table.add("L", what, med[encoding, "transform"], med["last", "transform"], "s")


def with_chunk_bytes(chunk_bytes, fn, *args):
    with patched(_inference, "CHUNK_BYTES", chunk_bytes):
        return timings(lambda: fn(*args), 1)[0]


def without_row_padding(fn, *args):
    with patched(_inference._pad_rows, "__defaults__", (1,)):
        return fn(*args)


# ----------------------------------------------------------- profile


def part_profile(cfg, table, rng):
    X = ecg_like(cfg.n_fit, cfg.timesteps, rng)
    est = fit_ours(X, 1)[1]
    lines = ["", "## Where a training step's time goes"]
    note("profile: Python around a train step")
    lines += step_costs(est, X, reps=cfg.reps + 1)
    note("profile: cProfile of a fit")
    lines += profile_fit(X, cfg)
    note("profile: TensorFlow's profiler on one epoch")
    lines += op_profile(X)
    note("profile: one LSTM layer, ours and PyTorch's")
    lines += kernel_vs_torch(cfg, reps=cfg.reps + 1)
    return lines


def step_costs(est, X, reps, batch=32):
    """Python's share of a train step as our loop runs it.

    The graph time is that of the real step; the Python costs around it
    (slicing the batch, tf.function's argument binding and numpy->tensor
    conversion, the ``.numpy()`` of the losses) do not depend on the model,
    so they are measured on a tiny one (4 units, 10 steps), where they are not
    lost in the noise of an 80 ms step.
    """
    real = _step_variants(est, X, batch)
    graph = real["graph"]
    times = interleaved({"graph": lambda: timings(graph, 3)}, reps)
    graph_ms = 1e3 * float(np.median(np.concatenate(times["graph"])))
    tiny = fit_ours(X[:64, :10], 1, units=4)[1]
    variants = _step_variants(tiny, X[:, :10], batch)
    runs = interleaved(
        {k: lambda f=f: timings(f, 30) for k, f in variants.items()}, reps
    )
    ms = {k: 1e3 * float(np.median(np.concatenate(v))) for k, v in runs.items()}
    base = ms["graph"]
    out = [
        "",
        f"Train step, batch {batch}, T={X.shape[1]}: the graph alone takes "
        f"{graph_ms:.1f} ms. Python around it, measured on a tiny model "
        f"(median ms per call; extra over the bare graph call, as % of the "
        f"real step):",
    ]
    for k, v in ms.items():
        out.append(
            f"- {STEP_VARIANTS[k]}: {v:.3f} ms (+{v - base:.3f} ms = "
            f"{100 * (v - base) / graph_ms:.1f}%)"
        )
    return out


STEP_VARIANTS = {
    "loop": "our loop's step: take + tf.function(numpy) + .numpy()",
    "tensors, numpy": "tf.function on tensors + .numpy()",
    "tensors": "tf.function on tensors",
    "graph": "concrete function on tensors (graph only)",
}


def _step_variants(est, X, batch):
    """A train step as our loop calls it, and with parts of it removed."""
    trainer = _training._trainer(_compiled.architecture(est._spec), "adam")
    lengths = np.full(len(X), X.shape[1])
    data = _training.TrainingData(X, lengths, (X,), (lengths,))
    weights = tf.constant((1.0,), tf.float32)
    idx = np.arange(batch)
    inputs, targets, n = data.take(idx)
    args = (tf.constant(inputs), (tf.constant(targets[0]),), (tf.constant(n[0]),))
    args += (weights,)
    step, concrete = trainer.train_step, trainer.train_step.get_concrete_function()
    return {
        "loop": lambda: step(*data.take(idx), weights).numpy(),
        "tensors, numpy": lambda: step(*args).numpy(),
        "tensors": lambda: step(*args),
        "graph": lambda: concrete(*args),
    }


def profile_fit(X, cfg, epochs=2):
    """cProfile of a whole fit (cached architecture), in named buckets."""
    est = ours(epochs=epochs, random_state=0)
    profiler = cProfile.Profile()
    profiler.runcall(est.fit, X)
    stats = pstats.Stats(profiler)
    total = stats.total_tt
    graph = _profiled(stats, "TFE_Py_Execute", tottime=True)
    buckets = {
        "TensorFlow graph execution (TFE_Py_Execute)": graph,
        "tf.function dispatch: argument binding, numpy->tensor": _profiled(
            stats, "polymorphic_function.py:__call__"
        )
        - graph,
        "batch slicing + nan_to_num (TrainingData.take)": _profiled(
            stats, "_training.py:take"
        ),
        ".numpy() of the step's losses": _profiled(stats, "ops.py:numpy"),
        "building the estimator's Keras models (build_networks)": _profiled(
            stats, "_models.py:build_networks"
        ),
        "weights in/out of the template (start, finish)": _profiled(
            stats, "_training.py:start"
        )
        + _profiled(stats, "_training.py:finish"),
        "input validation (to_sequences)": _profiled(stats, "to_sequences"),
        "batching (batches)": _profiled(stats, "_training.py:batches"),
    }
    buckets["everything else"] = total - sum(buckets.values())
    out = [
        "",
        f"cProfile of fit (n={len(X)}, {epochs} epochs, cached architecture, "
        f"{total:.2f} s under the profiler):",
    ]
    out += [f"- {k}: {v:.3f} s ({100 * v / total:.1f}%)" for k, v in buckets.items()]
    return out


def _profiled(stats, where, tottime=False):
    """Seconds in functions whose 'file:name' ends with or contains ``where``."""
    seconds = 0.0
    for (path, _, name), (_, _, tt, ct, _) in stats.stats.items():
        key = f"{os.path.basename(path)}:{name}"
        if key.endswith(where) or where in name:
            seconds += tt if tottime else ct
    return seconds


def op_profile(X, batch=32):
    """TensorFlow's profiler on a short fit: time per op, as a share of a step."""
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    est = ours(epochs=1, random_state=0)
    logdir = tempfile.mkdtemp()
    try:
        tf.profiler.experimental.start(logdir)
        est.fit(X)
        tf.profiler.experimental.stop()
        space = xplane_pb2.XSpace()
        (path,) = glob.glob(f"{logdir}/**/*.xplane.pb", recursive=True)
        with open(path, "rb") as f:
            space.ParseFromString(f.read())
    finally:
        shutil.rmtree(logdir, ignore_errors=True)
    ops, steps, executor = collections.Counter(), 0.0, 0.0
    for plane in space.planes:
        for line in plane.lines:
            for event in line.events:
                name = plane.event_metadata[event.metadata_id].name
                seconds = event.duration_ps / 1e12
                if name == "_train_step":
                    steps += seconds
                elif name == "ExecutorState::Process":
                    executor += seconds
                elif ":" in name and line.name != "python":
                    ops[_op_group(name)] += seconds
    out = [
        "",
        f"TensorFlow profiler, one epoch (batch {batch}): share of the "
        f"train-step time ({steps:.2f} s in all)",
    ]
    for group, seconds in ops.most_common(8):
        out.append(f"- {group}: {100 * seconds / steps:.1f}%")
    rest = sum(ops.values()) - sum(s for _, s in ops.most_common(8))
    out.append(f"- all other ops: {100 * rest / steps:.1f}%")
    gap = executor - sum(ops.values())
    out.append(f"- executor between ops: {100 * gap / steps:.1f}%")
    out.append(f"- outside the executor: {100 * (steps - executor) / steps:.1f}%")
    return out


def _op_group(name):
    """An op's group: each BlockLSTM op on its own, other ops by type."""
    op_name, op_type = name.rsplit(":", 1)
    parts = op_name.split("/")
    if op_type == "BlockLSTMV2":
        layer = next(p for p in parts if "lstm" in p).rsplit("_", 1)[0]
        return f"BlockLSTMV2, forward of {layer}"
    if op_type == "BlockLSTMGradV2":
        # Backpropagation meets the decoder first: its gradient op is named
        # without a suffix, the encoder's with "_1".
        return f"BlockLSTMGradV2, backward ({op_name})"
    backward = parts[0] == "gradient_tape" or "Grad" in op_type
    return f"{op_type.lstrip('_')} ({'backward' if backward else 'forward'})"


def kernel_vs_torch(cfg, reps, batch=32, calls=3):
    """Forward + backward of one LSTM layer: BlockLSTM, Keras' loop, PyTorch."""
    out = [
        "",
        f"One LSTM layer, forward + backward, batch {batch}, "
        f"T={cfg.timesteps}, {UNITS} units (median ms per call):",
    ]
    for n_in, role in ((1, "encoder"), (UNITS, "decoder")):
        variants = {
            "BlockLSTM (ours)": _tf_layer(n_in, batch, cfg.timesteps, fused=True),
            "keras LSTM (raw Keras)": _tf_layer(n_in, batch, cfg.timesteps, False),
        }
        if has_torch():
            variants["PyTorch"] = _torch_layer(n_in, batch, cfg.timesteps, role)
        for fn in variants.values():
            fn()
        runs = interleaved(
            {k: lambda f=f: timings(f, calls) for k, f in variants.items()}, reps
        )
        ms = {k: 1e3 * float(np.median(np.concatenate(v))) for k, v in runs.items()}
        ref = ms.get("PyTorch", np.nan)
        cells = ", ".join(
            f"{k} {v:.1f} ({v / ref:.2f}x PyTorch)" for k, v in ms.items()
        )
        out.append(f"- {role} shape (input size {n_in}): {cells}")
    return out


def _tf_layer(n_in, batch, steps, fused):
    from skseqae._layers import FastLSTM

    cls = FastLSTM if fused else keras.layers.LSTM
    layer = cls(UNITS, return_sequences=True)
    x = tf.random.normal((batch, steps, n_in))
    layer.build(x.shape)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(layer(x))
        return tape.gradient(loss, [x, *layer.trainable_variables])

    return lambda: [g.numpy() for g in step()]


def _torch_layer(n_in, batch, steps, role):
    import torch

    layer = torch.nn.LSTM(n_in, UNITS, batch_first=True)
    x = torch.randn(batch, steps, n_in, requires_grad=role == "decoder")

    def step():
        layer.zero_grad()
        layer(x)[0].sum().backward()

    return step


# --------------------------------------------------------------- main


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="smaller sizes: about 3 minutes"
    )
    parser.add_argument("--parts", default=",".join(PARTS), help=",".join(PARTS))
    parser.add_argument("--memory-child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        layout, sizes, timesteps, chunk_bytes = args.memory_child
        sizes = [int(n) for n in sizes.split(",")]
        return memory_child(layout, sizes, int(timesteps), int(chunk_bytes))
    single_threaded()
    cfg = QUICK if args.quick else FULL
    parts = args.parts.split(",")
    unknown = set(parts) - set(PARTS)
    if unknown:
        parser.error(f"unknown parts {sorted(unknown)}; choose from {PARTS}")
    start, table, details = time.perf_counter(), Table(), []
    rng = np.random.default_rng(0)
    load = os.getloadavg()[0]
    est = None
    for part in parts:
        note(f"part {part}")
        if part == "transform":
            est = part_transform(cfg, table, rng)
        elif part == "latency":
            part_latency(cfg, table, rng, est)
        else:
            found = globals()[f"part_{part}"](cfg, table, rng)
            details += found if part in ("memory", "profile") else []
    print(header(args, cfg, load, time.perf_counter() - start))
    table.print()
    print("\n".join(details))


def header(args, cfg, load, seconds):
    versions = f"TensorFlow {tf.__version__}, Keras {keras.__version__}"
    try:
        import torch

        versions += f", PyTorch {torch.__version__}"
    except ImportError:
        pass
    return (
        f"`python benchmarks/speed.py {' '.join(sys.argv[1:])}`: "
        f"{'quick' if args.quick else 'full'} run, {seconds:.0f} s, one thread "
        f"each for TensorFlow and PyTorch, load average {load:.1f} -> "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; {versions}. "
        f"Ratios are of medians of interleaved repetitions ({cfg.reps} for fit).\n"
    )


if __name__ == "__main__":
    main()
