"""Sliding windows over long series, and window scores back to time steps.

A long series of ``T`` steps becomes ``T - window + 1`` overlapping windows
(at stride 1): window ``i`` covers steps ``i .. i + window - 1``. The
windows are a strided view of the series, never a copy, so even a long
series costs no memory to cut. The reverse direction,
:func:`windows_to_steps`, gives every time step the maximum, mean or median
of the scores of the windows that cover it.
"""

from numbers import Integral

import numpy as np

AGGREGATIONS = ("max", "mean", "median")


def sliding_windows(series, window, stride=1):
    """Cut a series into overlapping windows, as a view (no copy).

    Parameters
    ----------
    series : array-like of shape (n_timesteps,) or (n_timesteps, n_features)
        One series, time on the first axis.
    window : int
        Steps per window (1 to ``n_timesteps``).
    stride : int, default=1
        Steps between the starts of consecutive windows.

    Returns
    -------
    windows : ndarray of shape (n_windows, window, n_features)
        A read-only view of ``series`` (an ndarray passed in is shared, not
        copied): window ``i`` is ``series[i * stride : i * stride + window]``,
        ``n_windows = (n_timesteps - window) // stride + 1``. A 1-D series
        gives ``n_features = 1``. Steps after the last full window are left
        out when ``stride`` does not divide ``n_timesteps - window``.

    See Also
    --------
    windows_to_steps : Window scores back to one score per time step.
    WindowAnomalyDetector : Fits an autoencoder on these windows.

    Examples
    --------
    >>> import numpy as np
    >>> from skseqae import sliding_windows
    >>> w = sliding_windows(np.arange(6.0), window=4, stride=2)
    >>> w.shape
    (2, 4, 1)
    >>> w[:, :, 0]
    array([[0., 1., 2., 3.],
           [2., 3., 4., 5.]])
    """
    series = np.asarray(series)
    if series.ndim == 1:
        series = series[:, None]
    if series.ndim != 2:
        raise ValueError(
            "sliding_windows expected one series of shape (n_timesteps,) or "
            f"(n_timesteps, n_features), got an array of shape {series.shape}; "
            "pass the series itself, not a batch of series."
        )
    window = _check_int("window", window, 1, len(series))
    stride = _check_int("stride", stride, 1, None)
    view = np.lib.stride_tricks.sliding_window_view(series, window, axis=0)
    # sliding_window_view puts the window axis last: (n, F, window) -> (n, window, F)
    return view[::stride].transpose(0, 2, 1)


def windows_to_steps(window_scores, n_timesteps, window, stride=1, how="max"):
    """Give each time step the max, mean or median score of its windows.

    Parameters
    ----------
    window_scores : array-like of shape (n_windows,)
        One score per window, window ``i`` covering steps
        ``i * stride .. i * stride + window - 1``.
    n_timesteps : int
        Length of the series the windows were cut from.
    window : int
        Steps per window.
    stride : int, default=1
        Steps between window starts.
    how : {"max", "mean", "median"}, default="max"
        How the scores of the windows covering a step combine. A step that
        no window covers (after the last window, or between windows when
        ``stride`` exceeds ``window``) takes the score of the step before.

    Returns
    -------
    step_scores : ndarray of shape (n_timesteps,), float64

    Examples
    --------
    >>> from skseqae._windows import windows_to_steps
    >>> windows_to_steps([1.0, 5.0, 2.0], n_timesteps=4, window=2)
    array([1., 5., 5., 2.])
    >>> windows_to_steps([1.0, 5.0, 2.0], n_timesteps=4, window=2, how="mean")
    array([1. , 3. , 3.5, 2. ])
    """
    scores = np.asarray(window_scores, dtype=np.float64)
    if how not in AGGREGATIONS:
        raise ValueError(
            f"windows_to_steps got how={how!r}; use one of {AGGREGATIONS}."
        )
    covering = _covering(len(scores), n_timesteps, window, stride)
    if how == "mean":
        # Running sums: O(T) whatever the window, no (T, window) matrix.
        total = np.zeros(n_timesteps + 1)
        starts = np.arange(len(scores)) * stride
        np.add.at(total, starts, scores)
        np.add.at(total, np.minimum(starts + window, n_timesteps), -scores)
        counts = np.maximum(covering[1] - covering[0], 1)
        summed = np.cumsum(total)[:n_timesteps]
        return _fill_tail(summed / counts, covering)
    return _fill_tail(_rolling(scores, covering, how), covering)


def _covering(n_windows, n_timesteps, window, stride):
    """First and one-past-last window index covering each step."""
    steps = np.arange(n_timesteps)
    first = np.maximum(0, -(-(steps - window + 1) // stride))
    last = np.minimum(n_windows, steps // stride + 1)
    return first, last


def _rolling(scores, covering, how):
    first, last = covering
    n_cover = np.maximum(last - first, 0)
    width = int(n_cover.max(initial=1))
    # Every step reads `width` consecutive window scores from its first
    # covering window; those past its last one are masked. Memory is
    # O(T * window / stride) per call, which the detector bounds by scoring
    # chunk by chunk.
    padded = np.concatenate([scores, np.full(width, np.nan)])
    view = np.lib.stride_tricks.sliding_window_view(padded, width)
    rows = view[np.minimum(first, len(scores))]
    mask = np.arange(width)[None, :] < n_cover[:, None]
    values = np.where(mask, rows, np.nan)
    values[n_cover == 0, 0] = 0.0  # uncovered steps: _fill_tail sets them
    if how == "max":
        return np.nanmax(values, axis=1)
    return np.nanmedian(values, axis=1)


def _fill_tail(step_scores, covering):
    """Steps that no window covers take the score of the step before."""
    covered = covering[1] > covering[0]
    if covered.all():
        return step_scores
    source = np.maximum.accumulate(np.where(covered, np.arange(len(covered)), 0))
    return step_scores[source]


def _check_int(name, value, low, high):
    if (
        isinstance(value, bool)
        or not isinstance(value, Integral)
        or value < low
        or (high is not None and value > high)
    ):
        bound = f"between {low} and {high}" if high is not None else f">= {low}"
        raise ValueError(
            f"sliding_windows got {name}={value!r}; pass an int {bound}"
            + (" (the length of the series)." if high is not None else ".")
        )
    return int(value)
