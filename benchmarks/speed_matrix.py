"""Training speed on every architecture: the matrix of issue #25.

Four networks (the seed tutorial's, the default, stacked LSTMs, one
direction with the default encoding) on the four shapes of the users'
table (``speed_training.SHAPES``), each against the same network written in
PyTorch. Every cell runs in its own fresh process per framework, network
and repetition, with each library's default threads (what users get); the
steady epoch is the median epoch after the first, and the fixed cost of a
fit is its first epoch minus a steady one (a new architecture: the process
has only fitted a tiny model before, in either framework, to pay its
first-use costs outside the timings).
"""

import numpy as np
from speed_common import (
    FitTiming,
    LSTMAutoencoderTransformer,
    fit_torch,
    has_torch,
    in_fresh_process,
    medians,
    note,
    pin_torch,
    timed_fit,
)
from speed_training import SHAPES, shape_data

#: The networks: our estimator's options (``units`` from the shape unless
#: set here). PyTorch's model is read from the same options (see ``torch_arch``).
NETWORKS = {
    "seed": dict(encoding="last", bidirectional=False, pretrained=False),
    "default": {},
    "stacked (64, 32)": dict(units=(64, 32)),
    "one direction, last_mean_max": dict(bidirectional=False, encoding="last_mean_max"),
}


def estimator(network, shape, epochs):
    """Our estimator for a cell: every epoch run, no held-out split."""
    params = dict(units=shape.units, batch_size=shape.batch_size, epochs=epochs)
    params.update(patience=None, validation_fraction=None, random_state=0)
    params.update(NETWORKS[network])
    return LSTMAutoencoderTransformer(**params)


def torch_arch(network, shape, X):
    """The PyTorch model's arguments for the network our estimator builds."""
    params = estimator(network, shape, 1).get_params()
    longest = max(len(s) for s in X)
    max_steps = params["max_steps"]
    pool = 1 if max_steps is None else -(-longest // max_steps)
    return dict(
        units=params["units"],
        code=params["encoding"],
        bidirectional=bool(params["bidirectional"]),
        pool=pool,
    )


def matrix_child(threads, key, framework, network, n, epochs):
    """In a fresh process: one cell's timings (``vars(FitTiming)``)."""
    shape = SHAPES[key]
    n, epochs = int(n), int(epochs)
    X = shape_data(shape, n)
    pin_torch(threads)
    if framework == "torch":
        # PyTorch's own first-use costs too, as for ours below.
        fit_torch(X[:64], 1, batch_size=shape.batch_size, units=4)
        arch = torch_arch(network, shape, X)
        timing = fit_torch(X, epochs, batch_size=shape.batch_size, **arch)[0]
        return vars(timing)
    # TensorFlow's first-use costs, outside the timings.
    LSTMAutoencoderTransformer(units=4, epochs=1).fit(X[:64])
    return vars(timed_fit(estimator(network, shape, epochs), X))


def part_matrix(cfg, table, rng):
    """The matrix: returns its Markdown lines (printed after the table)."""
    if not has_torch():
        return ["", "The matrix needs PyTorch (`pip install torch==2.13.0`)."]
    scale, epochs, reps = cfg.users_scale, cfg.users_epochs, cfg.users_reps
    runs = {}
    for rep in range(reps):
        for key, shape in SHAPES.items():
            for network in NETWORKS:
                for fw in ("tf", "torch"):
                    note(f"matrix: {key}, {network}, {fw}, rep {rep + 1}/{reps}")
                    args = [key, fw, network, str(shape.n // scale), str(epochs)]
                    found = in_fresh_process(["matrix", *args])
                    runs.setdefault((key, network, fw), []).append(found)
    med = medians({k: [FitTiming(**t) for t in v] for k, v in runs.items()})
    return matrix_table(med, scale, epochs, reps)


def matrix_table(med, scale, epochs, reps):
    lines = [
        "",
        f"## Training on every architecture: throughput against the same network "
        f"in PyTorch (steady epoch, median of {reps} fresh-process runs of "
        f"{epochs} epochs; above 1 = ours faster; target >= 1.0), and the fixed "
        "cost of a new architecture's fit (first epoch minus a steady one; "
        "target < 0.3 s)",
        "",
        "| shape | "
        + " | ".join(f"{n}: ratio (ours / PyTorch s)" for n in NETWORKS)
        + " | fixed cost, ours / PyTorch |",
        "|---" * (len(NETWORKS) + 2) + "|",
    ]
    for key, shape in SHAPES.items():
        cells, fixed = [], []
        for network in NETWORKS:
            ours = med.get((key, network, "tf"), {})
            ref = med.get((key, network, "torch"), {})
            o, r = ours.get("steady", np.nan), ref.get("steady", np.nan)
            cells.append(f"**{r / o:.2f}** ({o:.2f} / {r:.2f})")
            fixed.append(
                f"{ours.get('first', np.nan) - o:.2f} / "
                f"{ref.get('first', np.nan) - r:.2f}"
            )
        label = shape.label(shape.n // scale)
        lines.append(
            f"| {label} | " + " | ".join(cells) + " | " + ", ".join(fixed) + " |"
        )
    return lines
