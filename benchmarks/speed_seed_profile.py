"""Where a training step of the seed tutorial's network goes, ours and PyTorch's.

Part ``seedprofile`` (issue #25): the seed network (one forward LSTM
encoder, its last state as the code, a repeated-code LSTM decoder, a Linear
output) at N 1024, T 100, F 1, batch 64, 64 units. Three views:

- milliseconds per step, side by side: each LSTM layer's forward and backward
  alone (the same shapes as in the step), and the rest of the step (output
  layer, loss, optimizer, framework and Python) as the whole step's wall
  time minus the two layers;
- TensorFlow's profiler on one epoch: each op group's share of the summed op
  time (parts of a batch's rows run side by side on the inter-op threads, so
  op times overlap);
- Python's profiler on a fit (cProfile): what our loop costs around the
  graph.

Medians of interleaved repetitions in this process, default threads.
"""

import numpy as np
import speed_levers
from speed_common import (
    LSTMAutoencoderTransformer,
    ecg_like,
    fit_torch,
    has_torch,
    interleaved,
    note,
    timed_fit,
    timings,
)

N, STEPS, BATCH, UNITS = 1024, 100, 64, 64
SEED_NETWORK = dict(encoding="last", bidirectional=False, pretrained=False)


def seed_estimator(epochs=1, **params):
    settings = dict(units=UNITS, batch_size=BATCH, epochs=epochs, random_state=0)
    settings.update(patience=None, validation_fraction=None, **SEED_NETWORK)
    return LSTMAutoencoderTransformer(**{**settings, **params})


def part_seed_profile(cfg, table, rng):
    X = ecg_like(N, STEPS, rng)
    seed_estimator().fit(X[:128])  # traced once, outside the timings
    lines = [
        "",
        f"## A training step of the seed network (N {N}, T {STEPS}, F 1, batch "
        f"{BATCH}, {UNITS} units), ours and PyTorch's",
    ]
    note("seedprofile: layers and whole steps, side by side")
    lines += step_table(X, reps=cfg.reps + 1)
    note("seedprofile: TensorFlow's profiler on one epoch")
    lines += speed_levers.op_profile(X, batch=BATCH, make=seed_estimator)
    note("seedprofile: cProfile of a fit")
    lines += speed_levers.profile_fit(X, cfg, make=seed_estimator)
    return lines


def step_table(X, reps):
    layers = {
        ("encoder", "ours"): speed_levers._tf_layer(1, BATCH, STEPS, True, UNITS),
        ("decoder", "ours"): speed_levers._tf_layer(UNITS, BATCH, STEPS, True, UNITS),
    }
    if has_torch():
        for role, n_in in (("encoder", 1), ("decoder", UNITS)):
            layers[role, "PyTorch"] = speed_levers._torch_layer(
                n_in, BATCH, STEPS, role, UNITS
            )
    for fn in layers.values():
        fn()
    runs = interleaved({k: lambda f=f: timings(f, 5) for k, f in layers.items()}, reps)
    ms = {k: 1e3 * float(np.median(np.concatenate(v))) for k, v in runs.items()}
    steps_per_epoch = -(-len(X) // BATCH)
    epochs = {"ours": lambda: _ours_epoch(X)}
    if has_torch():
        epochs["PyTorch"] = lambda: (
            fit_torch(X, 3, batch_size=BATCH, units=UNITS, code="last")[0].steady
        )
    per_step = {
        k: 1e3 * float(np.median(v)) / steps_per_epoch
        for k, v in interleaved(
            {k: lambda f=f: [f()] for k, f in epochs.items()}, reps
        ).items()
    }
    frameworks = list(epochs)
    rows = [
        ("encoder LSTM, forward + backward (input 1)", "encoder"),
        ("decoder LSTM, forward + backward (input 64, the repeated code)", "decoder"),
    ]
    out = [
        "",
        "Milliseconds per training step (median of interleaved repetitions; a "
        "layer alone is timed with its inputs' gradient, the step from steady "
        "epochs):",
        "",
        "| part of a step | " + " | ".join(f"{f} ms" for f in frameworks) + " |",
        "|---" * (1 + len(frameworks)) + "|",
    ]
    for label, role in rows:
        cells = [f"{ms.get((role, f), np.nan):.1f}" for f in frameworks]
        out.append(f"| {label} | " + " | ".join(cells) + " |")
    rest = [
        per_step[f] - ms.get(("encoder", f), np.nan) - ms.get(("decoder", f), np.nan)
        for f in frameworks
    ]
    out.append(
        "| the rest: output layer, loss, optimizer, framework and Python | "
        + " | ".join(f"{r:.1f}" for r in rest)
        + " |"
    )
    out.append(
        "| whole step (steady epoch / steps) | "
        + " | ".join(f"{per_step[f]:.1f}" for f in frameworks)
        + " |"
    )
    return out


def _ours_epoch(X):
    """Steady epoch of the seed network (the architecture is traced already)."""
    return timed_fit(seed_estimator(epochs=3), X).steady
