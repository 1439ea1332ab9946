"""``skseqae demo``: autoencoder features against raw values, with pictures."""

import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from ._demo_data import load_demo_data, raw_features, sequence_lengths


@dataclass(frozen=True)
class DemoSettings:
    """What ``skseqae demo`` was asked to do (its command-line options)."""

    # The library's defaults: the demo shows what a user gets without tuning.
    task: str = "classify"  # or "anomaly" (``_demo_anomaly``)
    dataset: str = "gunpoint"
    series: str = "kddtsad135_internalbleeding16"  # for the anomaly task
    data: str = None
    estimator: str = "autoencoder"
    epochs: int = None  # None: the estimator's default
    units: int = None
    learning_rate: float = 1e-3
    n_future: int = None
    random_state: int = 0
    out: str = "skseqae-demo"
    progress: bool = True


PICTURES = {
    "reconstructions.png": "a test sequence of each class (solid) over its "
    "reconstruction (dashed)",
    "loss.png": "training loss per epoch",
    "feature_map.png": "the test set's encoder features (PCA), coloured by class",
}


def run_demo(settings, stream=None):
    """Fit, compare with the raw baseline, draw; return the accuracies."""
    stream = sys.stdout if stream is None else stream
    if settings.task == "anomaly":
        from ._demo_anomaly import run_anomaly_demo

        return run_anomaly_demo(settings, _output_folder(settings.out), stream)
    X_train, y_train, X_test, y_test, description = load_demo_data(
        settings.dataset, settings.data, settings.random_state
    )
    out = _output_folder(settings.out)
    # Keras' bar redraws its line with escape codes: only for a terminal.
    progress = settings.progress and stream.isatty()
    pipeline = _pipeline(settings, X_train, progress)
    ae = pipeline.named_steps["ae"]
    print(f"skseqae demo on {description}", file=stream)
    print(
        f"Training {_describe(ae)} on {len(X_train)} sequences, then "
        "logistic regression on its features.",
        file=stream,
        flush=True,
    )
    start = time.perf_counter()
    pipeline.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    scores = {
        "autoencoder features + logistic regression": pipeline.score(X_test, y_test),
        "raw values + logistic regression (baseline)": _raw_baseline(
            X_train, y_train, X_test, y_test
        ),
    }
    print(
        f"Trained {ae.n_iter_} epochs in {seconds:.0f} s from "
        f"{'the pretrained' if ae.pretrained_ else 'random'} weights "
        f"({len(ae.get_feature_names_out())} features per sequence).",
        file=stream,
    )
    print(f"Test accuracy on {len(X_test)} sequences:", file=stream)
    for name, score in scores.items():
        print(f"  {score:.3f}  {name}", file=stream)
    _draw(ae, X_test, y_test, out)
    print(f"Pictures written to {out}/:", file=stream)
    for name, what in PICTURES.items():
        print(f"  {name:<20} {what}", file=stream)
    return scores


def _pipeline(settings, X_train, progress):
    sizes = {"units": settings.units, "epochs": settings.epochs}
    common = dict(
        {k: v for k, v in sizes.items() if v is not None},  # else the defaults
        learning_rate=settings.learning_rate,
        random_state=settings.random_state,
    )
    if settings.estimator == "composite":
        from . import CompositeLSTMAutoencoder

        n_future = settings.n_future or max(
            1, int(sequence_lengths(X_train).min()) // 10
        )
        ae = CompositeLSTMAutoencoder(n_future=n_future, **common)
    else:
        from . import LSTMAutoencoderTransformer

        ae = LSTMAutoencoderTransformer(**common)
    if progress:
        ae.set_params(callbacks=[_progress_bar(ae.epochs)])
    return Pipeline([("ae", ae), ("clf", _classifier())])


def _classifier():
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))


def _raw_baseline(X_train, y_train, X_test, y_test):
    length = int(sequence_lengths(X_train).max())
    clf = _classifier().fit(raw_features(X_train, length), y_train)
    return clf.score(raw_features(X_test, length), y_test)


def _draw(ae, X_test, y_test, out):
    import matplotlib.pyplot as plt

    from .plotting import plot_feature_map, plot_loss, plot_reconstructions

    shown = _one_per_class(y_test, 4)
    figures = [
        plot_reconstructions(
            ae, X_test[shown], y=y_test[shown], path=out / "reconstructions.png"
        ),
        plot_loss(ae, path=out / "loss.png"),
        plot_feature_map(ae, X_test, y_test, path=out / "feature_map.png"),
    ]
    for fig in figures:
        plt.close(fig)


def _one_per_class(y, n):
    """Indices of ``n`` sequences, taking the classes in turn."""
    classes = np.unique(y)
    rank = np.zeros(len(y), int)  # position of each sequence within its class
    for cls in classes:
        members = np.flatnonzero(y == cls)
        rank[members] = np.arange(len(members))
    return np.lexsort((np.searchsorted(classes, y), rank))[:n]


def _output_folder(path):
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise ValueError(
            f"--out {path}: a file of that name exists; give a folder for the "
            "pictures (it is created if missing)."
        )
    out.mkdir(parents=True, exist_ok=True)
    return out


def _describe(ae):
    params = ae.get_params()
    shown = ["n_future", "units", "epochs", "learning_rate"]
    args = ", ".join(f"{k}={params[k]!r}" for k in shown if k in params)
    return f"{type(ae).__name__}({args})"


def _progress_bar(epochs):
    """A Keras callback drawing one progress bar over all epochs."""
    from ._backend import keras

    class EpochProgress(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.bar = keras.utils.Progbar(
                epochs, unit_name="epoch", stateful_metrics=["loss", "val_loss"]
            )
            self.seen = 0

        def on_epoch_end(self, epoch, logs=None):
            self.seen = epoch + 1
            self.bar.update(self.seen, [("loss", (logs or {}).get("loss", np.nan))])

        def on_train_end(self, logs=None):
            if self.seen < epochs:  # stopped early: end the bar's line
                self.bar.update(self.seen, finalize=True)

    return EpochProgress()
