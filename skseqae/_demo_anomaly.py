"""``skseqae demo anomaly``: WindowAnomalyDetector on a bundled long series."""

import sys
import time

import numpy as np
from sklearn.metrics import roc_auc_score

from ._anomaly import DEFAULT_AUTOENCODER

#: The picture the anomaly demo writes, and what it shows.
PICTURE = (
    "anomalies.png",
    "the test part, its anomaly score, the labelled (red) and found (orange) events",
)


def run_anomaly_demo(settings, out, stream=None):
    """Fit on the training part, score the test part, draw; return the scores."""
    from ._anomaly import WindowAnomalyDetector
    from .datasets import load_series

    stream = sys.stdout if stream is None else stream
    X, y, train_end = load_series(settings.series)
    train, test, labels = X[:train_end], X[train_end:], y[train_end:]
    detector = WindowAnomalyDetector(
        _autoencoder(settings), random_state=settings.random_state
    )
    print(
        f"skseqae demo anomaly on {settings.series}: fit on the first "
        f"{train_end} steps (normal), score the {len(test)} steps after them.",
        file=stream,
        flush=True,
    )
    start = time.perf_counter()
    detector.fit(train)
    seconds = time.perf_counter() - start
    anomaly = -detector.score_samples(test)
    scores = {
        "ROC AUC per step, WindowAnomalyDetector": roc_auc_score(labels, anomaly),
        "ROC AUC per step, abs z-score (baseline)": roc_auc_score(
            labels, np.abs((test - train.mean()) / train.std()).max(axis=1)
        ),
    }
    print(
        f"Fitted in {seconds:.0f} s (window_={detector.window_}, chosen from "
        "the period of the training part).",
        file=stream,
    )
    for name, score in scores.items():
        print(f"  {score:.3f}  {name}", file=stream)
    _report_events(detector.events(test), labels, train_end, stream)
    _draw(detector, test, labels, train_end, out)
    print(f"Picture written to {out}/:", file=stream)
    print(f"  {PICTURE[0]:<20} {PICTURE[1]}", file=stream)
    return scores


def _autoencoder(settings):
    """None (the detector's default) unless --units or --epochs is given."""
    given = {"units": settings.units, "epochs": settings.epochs}
    given = {k: v for k, v in given.items() if v is not None}
    if not given:
        return None
    from ._autoencoder import LSTMAutoencoderTransformer

    return LSTMAutoencoderTransformer(
        **{**DEFAULT_AUTOENCODER, **given},
        learning_rate=settings.learning_rate,
        random_state=settings.random_state,
    )


def _report_events(events, labels, offset, stream):
    edges = np.flatnonzero(np.diff(np.concatenate([[0], labels, [0]])))
    runs = [(int(a) + offset, int(b) + offset) for a, b in zip(edges[::2], edges[1::2])]
    print(f"Labelled anomalies (start, end): {runs}", file=stream)
    print(f"Events found by predict: {len(events)}; the 5 strongest:", file=stream)
    for a, b, score in events[:5]:
        print(f"  steps {a + offset}-{b + offset}  decision {score:.2f}", file=stream)


def _draw(detector, test, labels, offset, out):
    import matplotlib.pyplot as plt

    from .plotting import plot_anomalies

    fig = plot_anomalies(detector, test, labels, start=offset, path=out / PICTURE[0])
    plt.close(fig)
