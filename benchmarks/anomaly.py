"""Anomalies in long series: WindowAnomalyDetector against plain baselines.

Each bundled anomaly series (``skseqae.datasets.list_series()``) is
measured in two settings:

- **clean training part**: every method is fitted on ``X[:train_end]``
  (free of anomalies) and scores the test part ``X[train_end:]``;
- **whole series, no labels**: every method is fitted on the whole series,
  anomalies included, and scores it, as a user without labels would.

The number is the per-step ROC AUC against the labels of the steps scored.

Methods (a step's anomaly score; higher = more anomalous), each window-based
one at the period that ``window="auto"`` finds (``period``) and the
matrix-profile discords at a fixed window of 100 too:

- matrix-profile discords (``stumpy``): each window's z-normalized distance
  to its nearest training window that does not overlap it (an AB-join on the
  clean training part, a self-join on the whole series);
- isolation forest on the z-normalized windows (TSB-AD's ``IForest`` on
  windows, seeing the shapes that the discords see);
- PCA reconstruction error of the raw windows (components for 99% of the
  variance);
- ``WindowAnomalyDetector()`` with its defaults, and with ``trim=0.05`` (a
  refit without the worst 5% of the windows), one fit per seed (mean and spread).

Window scores become step scores by the max (``max``) or the mean
(``mean``) over the windows that cover a step. Nothing is tuned on the
labels. Fit times are wall-clock seconds of one run on this machine.

Usage::

    python benchmarks/anomaly.py [--seeds 0,1,2] [--series NAME,...]
        [--baselines-only] [--markdown PATH]
"""

import argparse
import os
import platform
import subprocess
import time

import numpy as np
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score

from skseqae import WindowAnomalyDetector, sliding_windows
from skseqae._anomaly import _auto_window
from skseqae._windows import windows_to_steps
from skseqae.datasets import list_series, load_series

SETTINGS = ("clean training part", "whole series, no labels")
DETECTORS = {
    "WindowAnomalyDetector()": {},
    "WindowAnomalyDetector(trim=0.05)": {"trim": 0.05},
}


def discords(train, test, window, whole):
    """Distance of each window to its nearest non-overlapping training window."""
    import stumpy

    a = test[:, 0].astype(np.float64)
    if whole:
        return stumpy.stump(a, window)[:, 0].astype(np.float64)
    b = train[:, 0].astype(np.float64)
    return stumpy.stump(a, window, b, ignore_trivial=False)[:, 0].astype(np.float64)


def _znormalized(series, window):
    w = sliding_windows(series, window)[:, :, 0].astype(np.float64)
    return (w - w.mean(axis=1, keepdims=True)) / np.maximum(
        w.std(axis=1, keepdims=True), 1e-8
    )


def isolation_forest(train, test, window, whole):
    forest = IsolationForest(random_state=0).fit(_znormalized(train, window))
    return -forest.score_samples(_znormalized(test, window))


def pca_reconstruction(train, test, window, whole):
    pca = PCA(n_components=0.99).fit(sliding_windows(train, window)[:, :, 0])
    windows = sliding_windows(test, window)[:, :, 0]
    rebuilt = pca.inverse_transform(pca.transform(windows))
    return np.mean(np.square(windows - rebuilt), axis=1)


def baseline_rows(train, test, labels, period, whole):
    """(method, AUC, seconds) per baseline and aggregation."""
    import stumpy

    stumpy.stump(np.arange(50.0), 8)  # compile (numba) outside the timing
    runs = [
        ("matrix-profile discords, window 100", discords, 100),
        ("matrix-profile discords, window = period", discords, period),
        ("isolation forest on windows = period", isolation_forest, period),
        ("PCA reconstruction, windows = period", pca_reconstruction, period),
    ]
    rows = []
    for name, method, window in runs:
        start = time.perf_counter()
        scores = method(train, test, window, whole)
        seconds = time.perf_counter() - start
        for how in ("max", "mean"):
            steps = windows_to_steps(scores, len(test), window, how=how)
            rows.append((f"{name} ({how})", roc_auc_score(labels, steps), seconds))
    return rows


def detector_rows(train, test, labels, seeds):
    rows = []
    if not seeds:
        return rows
    for name, params in DETECTORS.items():
        aucs, fits = [], []
        for seed in seeds:
            start = time.perf_counter()
            fitted = WindowAnomalyDetector(random_state=seed, **params).fit(train)
            fits.append(time.perf_counter() - start)
            aucs.append(roc_auc_score(labels, -fitted.score_samples(test)))
        rows.append((name, np.array(aucs), float(np.mean(fits))))
    return rows


def measure(name, whole, seeds):
    X, y, train_end = load_series(name)
    train, test, labels = (
        (X, X, y) if whole else (X[:train_end], X[train_end:], y[train_end:])
    )
    period = _auto_window([train])
    rows = baseline_rows(train, test, labels, period, whole)
    rows += detector_rows(train, test, labels, seeds)
    return period, rows


def _auc_text(auc):
    auc = np.atleast_1d(auc)
    spread = f" ± {auc.std():.3f}" if len(auc) > 1 else ""
    return f"{auc.mean():.3f}{spread}"


def table(results, setting):
    """One markdown table: methods down, series across."""
    names = list(results)
    head = "| method | " + " | ".join(f"{n} AUC | fit s" for n in names) + " |"
    lines = [head, "|---" * (1 + 2 * len(names)) + "|"]
    methods = [row[0] for row in results[names[0]][setting][1]]
    for i, method in enumerate(methods):
        cells = []
        for n in names:
            row = results[n][setting][1][i]
            cells += [_auc_text(row[1]), f"{row[2]:.1f}"]
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    periods = ", ".join(f"{n}: {results[n][setting][0]}" for n in names)
    return "\n".join(lines) + f"\n\nperiod (`window='auto'`): {periods}\n"


def _commit():
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        )
        return out.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def report(results, command):
    parts = [
        "# Anomaly detection on the bundled long series\n",
        f"Made by `{command}` on {platform.node()} ({platform.machine()}, "
        f"{os.cpu_count()} CPU cores, load average {os.getloadavg()[0]:.1f} at the "
        f"end), commit {_commit()}. Per-step ROC AUC; fit s: wall-clock seconds "
        "to fit (baselines: to fit and score), one run.\n",
    ]
    for setting in SETTINGS:
        what = (
            "fitted on `X[:train_end]`, scored on the test part"
            if setting == SETTINGS[0]
            else "fitted on the whole series, anomalies included, scored on it"
        )
        parts.append(
            f"## {setting.capitalize()}\n\n{what}.\n\n{table(results, setting)}"
        )
    return "\n".join(parts)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", default="0", help="comma-separated seeds")
    parser.add_argument("--series", default=",".join(list_series()))
    parser.add_argument("--baselines-only", action="store_true")
    parser.add_argument("--markdown", help="also write the tables to this file")
    args = parser.parse_args()
    seeds = [] if args.baselines_only else [int(s) for s in args.seeds.split(",")]
    results = {}
    for name in args.series.split(","):
        results[name] = {}
        for setting in SETTINGS:
            results[name][setting] = measure(name, setting == SETTINGS[1], seeds)
            print(f"{name}, {setting}: done", flush=True)
    command = "python benchmarks/anomaly.py --seeds " + args.seeds
    if args.markdown:
        command += f" --markdown {args.markdown}"
    text = report(results, command)
    print(text)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
