"""Pictures of a fitted autoencoder: reconstructions, training curves, features.

Each function takes a fitted estimator
(:class:`~skseqae.LSTMAutoencoderTransformer` or
:class:`~skseqae.CompositeLSTMAutoencoder`; :func:`plot_anomalies` a fitted
:class:`~skseqae.WindowAnomalyDetector`) and returns the matplotlib Figure; pass
``ax`` to draw into your own axes and ``path`` to save a picture.

matplotlib is an optional dependency: ``pip install skseqae[plot]``.
"""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._sequences import to_sequences

__all__ = ["plot_anomalies", "plot_feature_map", "plot_loss", "plot_reconstructions"]


def plot_reconstructions(
    estimator, X, n=4, *, y=None, max_features=3, ax=None, path=None
):
    """Draw sequences over their reconstructions by ``estimator``.

    One panel per sequence: each feature's original values as a solid line
    and its reconstruction dashed in the same colour, over the sequence's
    real time steps only (padding is not drawn).

    Parameters
    ----------
    estimator : fitted LSTMAutoencoderTransformer or CompositeLSTMAutoencoder
        Anything with ``reconstruct``.
    X : array-like or list of array-like
        Sequences, in any layout the estimator accepts (3-D NaN-padded, 2-D
        univariate, or a list of arrays of different lengths).
    n : int, default=4
        Number of sequences to draw: the first ``n`` of ``X``.
    y : array-like of shape (n_sequences,), default=None
        Class of each sequence of ``X``, shown in the panel titles.
    max_features : int, default=3
        Features drawn per sequence: the first ``max_features``.
    ax : array-like of matplotlib Axes, default=None
        One Axes per drawn sequence (at least ``min(n, len(X))``). None
        creates a figure with one row of panels per sequence.
    path : str or path-like, default=None
        Where to save the figure (format from the extension).

    Returns
    -------
    fig : matplotlib.figure.Figure

    See Also
    --------
    plot_loss : Training curves.
    plot_feature_map : The encoder's features in 2-D.
    """
    check_is_fitted(estimator)
    seqs = to_sequences(estimator, X, reset=False)
    n = min(_check_n(n), len(seqs))
    y = None if y is None else np.asarray(y)
    # Reconstruct only the drawn sequences, each cut to its real length.
    drawn = seqs.batch(np.arange(n), np.float64)  # only these are padded
    originals = [v[:length] for v, length in zip(drawn, seqs.lengths)]
    rebuilt = estimator.reconstruct(originals)
    axes = _axes(ax, n, figsize=(7, 1.8 * n + 0.6))
    colors = [f"C{j}" for j in range(min(seqs.n_features, max_features))]
    for i, (a, original, recon) in enumerate(zip(axes, originals, rebuilt)):
        name = f"sequence {i}" if y is None else f"sequence {i} (class {y[i]})"
        _draw_pair(a, original, recon, colors, name)
    xlabel = "time step"
    if len(colors) < seqs.n_features:
        xlabel += f" (first {len(colors)} of {seqs.n_features} features drawn)"
    axes[n - 1].set_xlabel(xlabel)
    _reconstruction_legend(axes[0], colors, seqs.n_features, outside=ax is None)
    return _finish(axes[0].figure, path)


def plot_loss(estimator, *, ax=None, path=None):
    """Draw the per-epoch training curves in ``estimator.history_``.

    Every recorded curve is drawn: ``loss`` and, when a validation split was
    held out, ``val_loss``, plus any other entries (for example the
    composite autoencoder's ``reconstruction_loss`` and ``future_loss``).
    The y axis is logarithmic when the losses span more than a factor of 10.

    Parameters
    ----------
    estimator : fitted LSTMAutoencoderTransformer or CompositeLSTMAutoencoder
        Anything with a ``history_`` dict of per-epoch lists.
    ax : matplotlib Axes, default=None
        Where to draw. None creates a figure.
    path : str or path-like, default=None
        Where to save the figure (format from the extension).

    Returns
    -------
    fig : matplotlib.figure.Figure

    See Also
    --------
    plot_reconstructions : Sequences over their reconstructions.
    """
    check_is_fitted(estimator, "history_")
    (a,) = _axes(ax, 1, figsize=(6, 3.5))
    values, n_epochs, colors = [], 0, {}
    for key, curve in sorted(estimator.history_.items(), key=_order):
        # One colour per quantity: val_loss dashed in the colour of loss.
        color = colors.setdefault(key.removeprefix("val_"), f"C{len(colors)}")
        style = "--" if key.startswith("val_") else "-"
        a.plot(np.arange(1, len(curve) + 1), curve, style, color=color, label=key)
        values.extend(curve)
        n_epochs = max(n_epochs, len(curve))
    values = np.asarray(values, dtype=np.float64)
    if values.size and values.min() > 0 and values.max() > 10 * values.min():
        a.set_yscale("log")
    a.set_xlabel("epoch")
    a.set_ylabel("loss (mean squared error)")
    a.set_title(f"{type(estimator).__name__}: {n_epochs} epochs")
    a.legend()
    return _finish(a.figure, path)


def plot_feature_map(estimator, X, y, *, ax=None, path=None):
    """Draw the encoder's features of ``X`` in 2-D, coloured by class.

    The features (``estimator.transform(X)``) are projected on their first
    two principal components (scikit-learn's PCA); features that are
    already 1-D or 2-D are drawn as they are.

    Parameters
    ----------
    estimator : fitted LSTMAutoencoderTransformer or CompositeLSTMAutoencoder
        Anything with ``transform``.
    X : array-like or list of array-like
        Sequences, in any layout the estimator accepts.
    y : array-like of shape (n_sequences,)
        Class of each sequence (any labels), for the colours and legend.
    ax : matplotlib Axes, default=None
        Where to draw. None creates a figure.
    path : str or path-like, default=None
        Where to save the figure (format from the extension).

    Returns
    -------
    fig : matplotlib.figure.Figure

    See Also
    --------
    plot_reconstructions : Sequences over their reconstructions.
    """
    features = estimator.transform(X)
    y = np.asarray(y)
    if len(y) != len(features):
        raise ValueError(
            f"plot_feature_map got {len(features)} sequences but {len(y)} labels; "
            "pass one label per sequence of X."
        )
    points, labels = _project(features)
    (a,) = _axes(ax, 1, figsize=(5.5, 4.5))
    for i, cls in enumerate(np.unique(y)):
        mask = y == cls
        a.scatter(*points[mask].T, s=18, color=f"C{i % 10}", alpha=0.8, label=cls)
    a.set_xlabel(labels[0])
    a.set_ylabel(labels[1])
    a.set_title(f"{features.shape[1]} encoder features of {len(y)} sequences")
    a.legend(title="class", fontsize=8, markerscale=1.2)
    return _finish(a.figure, path)


def plot_anomalies(detector, X, y=None, *, start=0, ax=None, path=None):
    """Draw a series, its anomaly score, and the labelled and found events.

    Two panels sharing the time axis: the series (first feature; up to three
    drawn) with the labelled anomalies shaded red and the events found by
    ``detector.events`` marked by orange bars; below it the anomaly score
    ``-detector.score_samples(X)`` and the threshold ``-detector.offset_``
    above which steps are anomalous.

    Parameters
    ----------
    detector : fitted WindowAnomalyDetector
        Anything with ``score_samples``, ``events`` and ``offset_``.
    X : array-like of shape (n_timesteps,) or (n_timesteps, n_features)
        One series.
    y : array-like of shape (n_timesteps,), default=None
        1 (or True) at the labelled anomalous steps, if known.
    start : int, default=0
        Time index of the first step of ``X`` (for example the end of the
        training part), so the axis shows positions in the whole series.
    ax : array-like of 2 matplotlib Axes, default=None
        Axes for the series and the score. None creates a figure.
    path : str or path-like, default=None
        Where to save the figure (format from the extension).

    Returns
    -------
    fig : matplotlib.figure.Figure

    See Also
    --------
    skseqae.WindowAnomalyDetector : The detector whose results are drawn.
    """
    check_is_fitted(detector)
    values = np.asarray(X, dtype=np.float64)
    values = values[:, None] if values.ndim == 1 else values
    anomaly = -detector.score_samples(X)
    events = detector.events(X)
    steps = start + np.arange(len(values))
    series_ax, score_ax = _axes(ax, 2, figsize=(9, 4.2), sharex=True)
    for j in range(min(values.shape[1], 3)):
        series_ax.plot(steps, values[:, j], lw=0.8, color=f"C{j}")
    if y is not None:
        _shade_runs(series_ax, steps, np.asarray(y).astype(bool), "red", "labelled")
        _shade_runs(score_ax, steps, np.asarray(y).astype(bool), "red", None)
    _mark_events(series_ax, steps, events)
    score_ax.plot(steps, anomaly, lw=0.8, color="k")
    score_ax.axhline(-detector.offset_, color="C1", ls="--", lw=1, label="threshold")
    score_ax.set_ylabel("anomaly score")
    score_ax.set_xlabel("time step")
    series_ax.set_ylabel("series")
    found = f"{len(events)} event{'' if len(events) == 1 else 's'} found"
    series_ax.set_title(f"{found} (window {detector.window_})", fontsize=9)
    series_ax.legend(fontsize=7, loc="upper right")
    score_ax.legend(fontsize=7, loc="upper right")
    return _finish(series_ax.figure, path)


def _shade_runs(ax, steps, mask, color, label):
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask, [0]])))
    for i, (a, b) in enumerate(zip(edges[::2], edges[1::2])):
        ax.axvspan(
            steps[a],
            steps[b - 1] + 1,
            color=color,
            alpha=0.25,
            lw=0,
            label=label if i == 0 else None,
        )


def _mark_events(ax, steps, events):
    low, high = ax.get_ylim()
    for i, (a, b, _) in enumerate(events):
        ax.hlines(
            low,
            steps[a],
            steps[b - 1] + 1,
            color="C1",
            lw=6,
            label="found" if i == 0 else None,
        )
    ax.set_ylim(low, high)


# --------------------------------------------------------------------------


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            "skseqae.plotting needs matplotlib, which is not installed. "
            "Install it with: pip install skseqae[plot]"
        ) from exc
    return plt


def _axes(ax, n, figsize, **kwargs):
    """``n`` Axes: the user's (checked) or those of a new figure."""
    if ax is None:
        fig, ax = _pyplot().subplots(n, 1, figsize=figsize, squeeze=False, **kwargs)
        fig.set_layout_engine("constrained")
    axes = list(np.ravel(ax))
    if len(axes) < n:
        raise ValueError(
            f"Got {len(axes)} Axes for {n} panels; pass at least {n} Axes, or "
            "ax=None to create a figure."
        )
    return axes


def _finish(fig, path):
    if path is not None:
        fig.savefig(path, dpi=110)
    return fig


def _order(item):
    # Curves of the same quantity next to each other: loss, val_loss, ...
    key = item[0]
    base = key.removeprefix("val_")
    return (base != "loss", base, key != base)


def _draw_pair(ax, original, recon, colors, name):
    for j, color in enumerate(colors):
        ax.plot(original[:, j], color=color, lw=1.5)
        ax.plot(recon[:, j], color=color, lw=1.5, ls="--")
    mse = np.mean(np.square(original - recon, dtype=np.float64))
    ax.set_title(f"{name}: {len(original)} steps, MSE {mse:.3g}", fontsize=9)
    ax.set_xlim(0, max(len(original) - 1, 1))


def _reconstruction_legend(ax, colors, n_features, outside):
    from matplotlib.lines import Line2D

    handles = [
        Line2D([], [], color="k", lw=1.5, label="original"),
        Line2D([], [], color="k", lw=1.5, ls="--", label="reconstruction"),
    ]
    if n_features > 1:
        handles += [
            Line2D([], [], color=c, lw=3, label=f"feature {j}")
            for j, c in enumerate(colors)
        ]
    if outside:  # above the panels of the figure we made, clear of the lines
        ax.figure.legend(handles=handles, loc="outside upper center", ncol=5)
    else:
        ax.legend(handles=handles, fontsize=7)


def _project(features):
    """2-D points to draw, and the names of their axes."""
    from sklearn.decomposition import PCA

    if features.shape[1] <= 2:
        points = np.column_stack([features, np.zeros((len(features), 1))])[:, :2]
        return points, ("feature 0", "feature 1" if features.shape[1] == 2 else "")
    pca = PCA(n_components=2).fit(features)
    names = tuple(
        f"PC {k + 1} ({r:.0%} of variance)"
        for k, r in enumerate(pca.explained_variance_ratio_)
    )
    return pca.transform(features), names


def _check_n(n):
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(
            f"plot_reconstructions got n={n!r}; pass the number of sequences "
            "to draw, an int >= 1."
        )
    return int(n)
