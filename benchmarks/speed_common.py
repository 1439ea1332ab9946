"""Shared set-up of the speed benchmarks (see ``speed.py``): data, timing,
the results table, and the trainers compared (ours, raw Keras, PyTorch).

Threads: each library keeps its default thread pools unless the run pins
them (``speed.py --threads 1``); the users' table runs every cell in a fresh
process, where TensorFlow's pools can be pinned before it starts.
"""

import contextlib
import gc
import json
import os
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass, replace

import numpy as np

from skseqae import LSTMAutoencoderTransformer, _compiled, _inference
from skseqae._backend import keras, tf

# Keras' retracing and data-adapter warnings for the raw-Keras reference.
warnings.filterwarnings("ignore")

UNITS = 100


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
    users_scale: int = 1  # the users' table trains on N / users_scale sequences
    users_epochs: int = 4  # per fresh-process fit (the first is not steady)
    users_reps: int = 3  # fresh-process repetitions of each cell


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
    users_scale=16, users_epochs=2, users_reps=1,
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
    out = np.zeros(
        (len(seqs), max(len(s) for s in seqs), seqs[0].shape[-1]), np.float32
    )
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


def timed_fit(est, X):
    """Fit ``est`` on ``X`` with an :class:`EpochClock`: its :class:`FitTiming`."""
    clock = EpochClock()
    est.set_params(callbacks=[*(est.callbacks or []), clock])
    start = time.perf_counter()
    est.fit(X)
    return FitTiming.of(start, time.perf_counter(), clock.ends, len(X))


def fit_ours(X, epochs, *, cold=False, seed=0, **params):
    """Fit our estimator; ``cold`` empties the cache of traced code first."""
    if cold:
        _compiled._cache.clear()
    est = ours(epochs=epochs, random_state=seed, **params)
    return timed_fit(est, X), est


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


def torch_autoencoder(
    n_features, units=UNITS, code="last", bidirectional=False, pool=1
):
    """PyTorch autoencoder: LSTM encoder -> code -> repeated -> LSTM -> Linear.

    ``code="last"`` is the seed tutorial's (the last hidden state);
    ``"last_mean_max"`` is our default encoding written in PyTorch: the last
    real state, the mean and the max over the real steps, concatenated.
    ``units`` an int or a tuple: stacked encoder LSTMs of those sizes, and
    decoder LSTMs of the reversed sizes, as our estimator stacks them.
    ``bidirectional`` adds, in each encoder layer, a backward LSTM that reads
    each sequence reversed within its length (the next layer reads both
    directions' states in natural order), and ``pool`` averages windows of
    that many steps before the encoder (the decoder runs at the pooled length
    and repeats its steps), as our estimator's options of those names do.
    ``forward(x, lengths)`` masks padded steps like our estimator does.
    """
    import torch
    from torch import nn

    units = (units,) if isinstance(units, int) else tuple(units)
    directions = 2 if bidirectional else 1
    width = units[-1] * directions * len(code.split("_"))
    ins = [n_features] + [n * directions for n in units[:-1]]

    class Autoencoder(nn.Module):
        def __init__(self):
            super().__init__()
            lstm = lambda a, b: nn.LSTM(a, b, batch_first=True)  # noqa: E731
            self.encoder = nn.ModuleList(lstm(a, b) for a, b in zip(ins, units))
            if bidirectional:
                self.backward_encoder = nn.ModuleList(
                    lstm(a, b) for a, b in zip(ins, units)
                )
            sizes = list(reversed(units))
            self.decoder = nn.ModuleList(
                lstm(a, b) for a, b in zip([width] + sizes[:-1], sizes)
            )
            self.output = nn.Linear(units[0], n_features)

        def encode(self, x, lengths=None):
            if pool > 1:
                x, lengths = torch_pool(x, lengths, pool)
            for i, layer in enumerate(self.encoder):
                states, (h, _) = layer(x)
                if not bidirectional:
                    x = states
                    continue
                backward = self.backward_encoder[i](torch_reverse(x, lengths))[0]
                x = torch.cat([states, torch_reverse(backward, lengths)], dim=-1)
                states = torch.cat([states, backward], dim=-1)
            if code == "last" and lengths is None and not bidirectional:
                return h[-1]
            return torch_readout(states, lengths, code)

        def forward(self, x, lengths=None):
            z = self.encode(x, lengths)
            steps = -(-x.shape[1] // pool)
            y = z[:, None].expand(-1, steps, -1)
            for layer in self.decoder:
                y = layer(y)[0]
            out = self.output(y)
            if pool > 1:
                out = out.repeat_interleave(pool, dim=1)[:, : x.shape[1]]
            return out

    return Autoencoder()


def torch_pool(x, lengths, pool):
    """Window means of ``pool`` steps over real steps (our ``TimePool``)."""
    import torch

    n, steps, f = x.shape
    out_steps = -(-steps // pool)
    x = torch.nn.functional.pad(x, (0, 0, 0, out_steps * pool - steps))
    if lengths is None:
        real = torch.ones(n, out_steps * pool)
        real[:, steps:] = 0
    else:
        real = (torch.arange(out_steps * pool)[None, :] < lengths[:, None]).float()
    sums = (x * real[:, :, None]).reshape(n, out_steps, pool, f).sum(2)
    counts = real.reshape(n, out_steps, pool).sum(2)[:, :, None]
    new_lengths = None if lengths is None else (lengths + pool - 1) // pool
    return sums / counts.clamp(min=1.0), new_lengths


def torch_reverse(x, lengths):
    """Each sequence reversed within its length (padding stays at the end)."""
    import torch

    if lengths is None:
        return x.flip(1)
    t = torch.arange(x.shape[1])[None, :]
    index = torch.where(t < lengths[:, None], lengths[:, None] - 1 - t, t)
    return x.gather(1, index[:, :, None].expand(-1, -1, x.shape[2]))


def torch_readout(states, lengths, code):
    """Our ``Readout`` in PyTorch: last real state, mean and max of real steps."""
    import torch

    if lengths is None:
        parts = {"last": states[:, -1], "mean": states.mean(1), "max": states.amax(1)}
    else:
        real = torch.arange(states.shape[1])[None, :] < lengths[:, None]
        last = states[torch.arange(len(states)), lengths - 1]
        total = torch.where(real[:, :, None], states, 0.0).sum(1)
        lowest = torch.finfo(states.dtype).min
        top = torch.where(real[:, :, None], states, lowest).amax(1)
        parts = {"last": last, "mean": total / lengths[:, None], "max": top}
    return torch.cat([parts[p] for p in code.split("_")], dim=-1)


def fit_torch(
    X, epochs, *, batch_size=32, seed=0, units=UNITS, code="last", **architecture
):
    """Train the PyTorch autoencoder as a user would; ``X`` array or list.

    A list of ragged sequences is batched as our estimator does (similar
    lengths together), each batch zero-padded to its longest sequence, the
    loss averaged over real steps only.
    """
    import torch

    torch.manual_seed(seed)
    start = time.perf_counter()
    ragged = isinstance(X, list)
    n_features = X[0].shape[-1]
    model = torch_autoencoder(n_features, units, code, **architecture)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    rng, ends = np.random.default_rng(seed), []
    for _ in range(epochs):
        for batch, lengths in torch_batches(X, batch_size, rng, ragged):
            optimizer.zero_grad()
            out = model(batch, lengths)
            err = (out - batch) ** 2
            if lengths is not None:
                real = torch.arange(batch.shape[1])[None, :] < lengths[:, None]
                loss = (err.mean(-1) * real).sum() / lengths.sum()
            else:
                loss = err.mean()
            loss.backward()
            optimizer.step()
            loss.item()  # a host sync per step, as in our loop and Keras'
        ends.append(time.perf_counter())
    return FitTiming.of(start, time.perf_counter(), ends, len(X)), model


def torch_batches(X, batch_size, rng, ragged):
    """Shuffled mini-batches as tensors; ragged ones grouped by length."""
    import torch

    if not ragged:
        data = torch.from_numpy(X)
        order = torch.from_numpy(rng.permutation(len(X)))
        for i in range(0, len(X), batch_size):
            yield data[order[i : i + batch_size]], None
        return
    lengths = np.array([len(s) for s in X])
    order = rng.permutation(len(X))
    order = order[np.argsort(lengths[order], kind="stable")]
    groups = [order[i : i + batch_size] for i in range(0, len(X), batch_size)]
    for g in (groups[i] for i in rng.permutation(len(groups))):
        yield (
            torch.from_numpy(zero_padded([X[i] for i in g])),
            torch.from_numpy(lengths[g]),
        )


def has_torch():
    try:
        import torch  # noqa: F401
    except ImportError:
        note("torch is not installed: PyTorch comparisons are skipped")
        return False
    return True


def medians(runs):
    fields = ("total", "first", "steady", "overhead")
    return {
        name: {f: float(np.median([getattr(t, f) for t in timings])) for f in fields}
        for name, timings in runs.items()
    }


def fitted(cfg, rng):
    """A fitted estimator (one epoch: inference speed does not need more)."""
    return fit_ours(ecg_like(128, cfg.timesteps, rng), 1)[1]


def with_chunk_bytes(chunk_bytes, fn, *args):
    with patched(_inference, "CHUNK_BYTES", chunk_bytes):
        return timings(lambda: fn(*args), 1)[0]


def without_row_padding(fn, *args):
    with patched(_inference._pad_rows, "__defaults__", (1,)):
        return fn(*args)


# ------------------------------------------------------- fresh processes

HERE = os.path.dirname(os.path.abspath(__file__))

#: Environment that pins TensorFlow to one thread; it must be set before
#: TensorFlow starts, hence a fresh process.
ONE_THREAD_ENV = {"TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1"}


def in_fresh_process(args, threads="default"):
    """Run ``speed.py --child ARGS`` in a new Python; return its JSON output.

    ``threads="1"`` pins TensorFlow (through the environment, before it
    starts) and PyTorch (``torch.set_num_threads(1)`` in the child) to one
    thread; ``"default"`` leaves both libraries' defaults.
    """
    env = dict(os.environ)
    for key in ONE_THREAD_ENV:
        env.pop(key, None)
    if threads == "1":
        env.update(ONE_THREAD_ENV)
    cmd = [sys.executable, os.path.join(HERE, "speed.py"), "--child", threads, *args]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if done.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def pin_torch(threads):
    """In a child: one PyTorch thread when asked (TensorFlow: by environment)."""
    if threads != "1" or not has_torch():
        return
    import torch

    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
