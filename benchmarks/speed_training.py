"""Training speed: what users get, and the seed tutorial's comparisons.

Part ``users`` (issue #12): the default estimator against PyTorch models of
the same architecture (LSTM encoder -> last state ++ mean ++ max over time
-> repeated -> LSTM decoder -> Linear) and of the seed tutorial's
(last-state code), on three shapes and one ragged set; every cell in fresh
processes, with each library's default threads and again with one thread
each; medians of repetitions interleaved across processes.

Parts ``fit`` and ``ragged`` run in this process: our estimator with the seed
tutorial's architecture against its raw Keras code, and ragged lists against
zero-padded arrays.
"""

from dataclasses import dataclass

import numpy as np
from speed_common import (
    FitTiming,
    LSTMAutoencoderTransformer,
    ecg_like,
    fit_ours,
    fit_raw,
    fit_torch,
    has_torch,
    in_fresh_process,
    interleaved,
    medians,
    note,
    pin_torch,
    ragged_data,
    ragged_lengths,
    timed_fit,
    timings,
    zero_padded,
)


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


# ------------------------------------------------------- users' view


@dataclass(frozen=True)
class Shape:
    """One training set of the users' table."""

    n: int
    timesteps: int
    n_features: int
    batch_size: int
    units: int
    ragged: bool = False

    def label(self, n):
        steps = "T 10-400 (lognormal, median ~40)" if self.ragged else "T"
        steps += "" if self.ragged else f" {self.timesteps}"
        return (
            f"N {n}, {steps}, F {self.n_features}, B {self.batch_size}, H {self.units}"
        )


#: The shapes of issue #12: ECG5000-like, multivariate, a shorter series,
#: and a ragged set (lists of different lengths).
SHAPES = {
    "ecg": Shape(1024, 140, 1, 32, 100),
    "multivariate": Shape(2048, 50, 8, 32, 64),
    "short": Shape(1024, 100, 1, 64, 64),
    "ragged": Shape(1024, 400, 1, 32, 64, ragged=True),
}
#: Our variants (encoding) and PyTorch's (code), in table order.
OURS = {"ours default": None, "ours last": "last"}
TORCH = {"PyTorch same arch": "last_mean_max", "PyTorch seed-style": "last"}


def shape_data(shape, n, seed=0):
    """Deterministic data of ``shape`` with ``n`` sequences."""
    rng = np.random.default_rng(seed)
    if shape.ragged:
        lengths = ragged_lengths(n, rng, high=shape.timesteps)
        return [ecg_like(1, int(m), rng)[0] for m in lengths]
    X = ecg_like(n * shape.n_features, shape.timesteps, rng)
    return X[:, :, 0].reshape(n, shape.n_features, -1).transpose(0, 2, 1).copy()


def users_child(threads, name, n, epochs):
    """In a fresh process: per-epoch timings of one framework's variants."""
    framework = name.split(":")[1]
    shape = SHAPES[name.split(":")[0]]
    n, epochs = int(n), int(epochs)
    X = shape_data(shape, n)
    pin_torch(threads)
    found = {}
    if framework == "tf":
        # TensorFlow's first-use costs (and a first trace), outside the timings.
        LSTMAutoencoderTransformer(units=4, epochs=1).fit(X[:64])
        for variant, encoding in OURS.items():
            t = fit_default(X, shape, epochs, encoding)
            found[variant] = vars(t)
    else:
        for variant, code in TORCH.items():
            same = code != "last"  # the default estimator's options, in PyTorch
            t = fit_torch(
                X,
                epochs,
                batch_size=shape.batch_size,
                units=shape.units,
                code=code,
                **(default_architecture(X) if same else {}),
            )[0]
            found[variant] = vars(t)
    return found


def default_architecture(X):
    """The default estimator's bidirectional and pooling options for ``X``."""
    params = LSTMAutoencoderTransformer().get_params()
    longest = max(len(s) for s in X)
    max_steps = params.get("max_steps")
    pool = 1 if max_steps is None else -(-longest // max_steps)
    return {"bidirectional": bool(params.get("bidirectional")), "pool": pool}


def fit_default(X, shape, epochs, encoding=None):
    """The default estimator (every epoch, no held-out split), timed per epoch."""
    params = dict(units=shape.units, batch_size=shape.batch_size, epochs=epochs)
    params.update(patience=None, validation_fraction=None)
    if encoding:
        params["encoding"] = encoding
    return timed_fit(LSTMAutoencoderTransformer(random_state=0, **params), X)


def part_users(cfg, table, rng):
    """The users' table: returns its Markdown lines (printed after the table)."""
    scale, epochs, reps = cfg.users_scale, cfg.users_epochs, cfg.users_reps
    frameworks = ["tf"] + (["torch"] if has_torch() else [])
    runs = {}
    for rep in range(reps):
        for key, shape in SHAPES.items():
            for threads in ("default", "1"):
                for fw in frameworks:
                    note(f"users: {key}, {fw}, {threads} threads, rep {rep + 1}/{reps}")
                    n = str(shape.n // scale)
                    found = in_fresh_process(
                        ["users", f"{key}:{fw}", n, str(epochs)], threads
                    )
                    for variant, t in found.items():
                        runs.setdefault((key, threads, variant), []).append(t)
    med = medians({k: [FitTiming(**t) for t in v] for k, v in runs.items()})
    return users_table(med, scale, epochs, reps)


def users_table(med, scale, epochs, reps):
    def steady(key, threads, variant):
        return med.get((key, threads, variant), {}).get("steady", np.nan)

    variants = list(OURS) + list(TORCH)
    cols = [f"{v}, {t}" for t in ("default threads", "1 thread") for v in variants]
    ratio_cols = [
        "ours default vs PyTorch same arch (>= 1.0)",
        "ours default vs PyTorch seed-style (>= 0.8)",
        "same, 1 thread each",
        "ours default vs last",
        "fixed cost of a fit, new arch (< 1 s)",
    ]
    lines = [
        "",
        f"## Training as users run it: steady epoch (median of {reps} "
        f"fresh-process runs, {epochs} epochs each, the first excluded; ratios "
        "are throughput, above 1 = ours faster)",
        "",
        "| shape | " + " | ".join(cols + ratio_cols) + " |",
        "|---" * (1 + len(cols) + len(ratio_cols)) + "|",
    ]
    for key, shape in SHAPES.items():
        cells = [
            f"{steady(key, t, v):.2f} s" for t in ("default", "1") for v in variants
        ]
        ours = {t: steady(key, t, "ours default") for t in ("default", "1")}
        same = {t: steady(key, t, "PyTorch same arch") for t in ("default", "1")}
        seed = {t: steady(key, t, "PyTorch seed-style") for t in ("default", "1")}
        first = med.get((key, "default", "ours default"), {})
        overhead = first.get("first", np.nan) - first.get("steady", np.nan)
        cells += [
            f"{same['default'] / ours['default']:.2f}",
            f"{seed['default'] / ours['default']:.2f}",
            f"{same['1'] / ours['1']:.2f} / {seed['1'] / ours['1']:.2f}",
            f"{steady(key, 'default', 'ours last') / ours['default']:.2f}",
            f"{overhead:.2f} s",
        ]
        label = shape.label(shape.n // scale)
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return lines
