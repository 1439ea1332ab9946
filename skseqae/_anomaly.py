"""WindowAnomalyDetector: anomalies in long series, one score per time step."""

from numbers import Integral, Real

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, OutlierMixin, _fit_context, clone
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ._persistence import Persistent
from ._state import (
    StateError,
    array,
    has_methods,
    integer,
    keeps_state_on_error,
    real,
    register,
    tuple_of,
)
from ._windows import AGGREGATIONS, sliding_windows, windows_to_steps

#: Bounds of the window that ``window="auto"`` picks (see ``_auto_window``).
MIN_WINDOW, MAX_WINDOW, FALLBACK_WINDOW = 8, 300, 32
#: Longer windows reach the autoencoder averaged down to this many steps.
MAX_AE_STEPS = 50
#: Parameters of the default autoencoder: small and few epochs, for speed.
DEFAULT_AUTOENCODER = {"units": 32, "epochs": 50}


@register
class WindowAnomalyDetector(Persistent, OutlierMixin, BaseEstimator):
    """Find anomalies in long series: an autoencoder on sliding windows.

    :meth:`fit` cuts the normal series into overlapping windows and trains an
    autoencoder to reconstruct them; :meth:`score_samples` cuts any series
    the same way, scores every window, and gives each time step a score
    from the windows that cover it. A window's anomaly score adds two terms,
    each divided by its median over the training windows so that 1 is
    typical:

    * the autoencoder's reconstruction error (mean squared, per step and
      feature, in the autoencoder's standardized units);
    * ``distance_weight`` times the distance to the nearest training window
      (root mean squared difference of the z-normalized windows: a
      matrix-profile join against the training data, Yeh et al. 2016).

    The two fail differently: the distance is exact but only knows shapes
    it has seen; the autoencoder generalizes between them but an unlucky
    training run reconstructs some normal windows badly.

    A window that also occurs in the training series (found by its exact
    values) is never matched with itself nor with the training windows that
    overlap it, whether it is scored inside :meth:`fit` or later: so the
    scores of training steps and of new steps mean the same, ``fit_predict``
    flags ``contamination`` of the training steps, and on the series it was
    fitted on the distance is a matrix-profile self-join.

    The training series may hold anomalies (fit on the whole series when
    there are no labels): a unique anomaly finds no close match in the rest
    of the series, so the distance term flags it there as on new data. On a
    synthetic periodic series (period 50, 6,000 steps) with injected runs
    of 50 anomalous steps of four kinds, fitted on the whole series, the
    default detector kept a per-step ROC AUC of 0.989 with 5% of the steps
    anomalous and 0.967 with 10% (matrix-profile discords: 0.979, 0.913).
    With ``trim`` the detector fits, scores its training windows, and fits
    again without the ``trim`` worst of them (which also leaves the
    reference of the distance): at twice the cost, and helped on one
    bundled series but not the other (``benchmarks/anomaly.py``).

    With ``normalize="window"`` (the default) each window is z-normalized
    feature by feature, as matrix-profile methods do: the autoencoder learns
    shapes, not levels, so slow drifts of level or amplitude are not
    anomalies. Each window's log standard deviation (relative to the
    training series') is kept as an extra input channel that the
    autoencoder reconstructs too, so a change of amplitude still counts.
    Windows longer than 50 steps reach the autoencoder averaged down to 50
    steps (piecewise aggregate approximation); the distance uses every step.

    Parameters
    ----------
    autoencoder : LSTMAutoencoderTransformer or CompositeLSTMAutoencoder, \
            default=None
        The model to fit on the windows (cloned; anything with ``fit`` and
        ``reconstruct``). None uses ``LSTMAutoencoderTransformer(units=32,
        epochs=50, random_state=random_state)``: small, and at most 2048
        training windows (``max_windows``).
    window : int or "auto", default="auto"
        Steps per window. ``"auto"`` takes the period of the longest training
        series: the shortest lag, from 8 to 300 steps, at which its
        autocorrelation (averaged over features) has a clear peak as high as
        any other (within four standard errors), so a multiple of the period
        loses to the period. A peak counts when it rises above both
        ``max(0.2, 4 / sqrt(n_timesteps))`` and that much over the lowest
        autocorrelation before it; a series without one (white noise, a
        random walk, a period over 300 steps) gets 32 steps. The choice is
        in ``window_``.
    stride : int, default=1
        Steps between the starts of the training windows. Scoring always
        uses every window (stride 1), so each step is scored in every
        position within a window.
    max_windows : int or None, default=2048
        Fit on at most this many training windows, drawn at random (a random
        draw covers all phases of a periodic series, a larger stride may
        not). None uses them all.
    normalize : {"window", "series"}, default="window"
        ``"window"``: z-normalize each window (see above). ``"series"``:
        standardize with the training series' mean and standard deviation
        only, so levels count.
    aggregation : {"mean", "max", "median"}, default="mean"
        How the scores of the windows covering a step become its score.
        ``"max"`` marks every step of any unusual window; ``"mean"`` (the
        default) is highest where most covering windows are unusual, which
        centres the score on the anomaly and is robust to one bad window.
    distance_weight : float, default=1.0
        Weight of the nearest-training-window distance in the window score;
        0 scores by reconstruction error alone.
    contamination : "auto" or float in (0, 0.5], default="auto"
        How :meth:`predict` sets the threshold (``offset_``) from the scores
        of the training series' own steps. ``"auto"``: anomalous above the
        mean plus 4 standard deviations of those scores (the rule of Orion's
        LSTM autoencoder pipeline). A float: that fraction of the training
        steps would be anomalous (their ``1 - contamination`` quantile),
        for when the expected rate of anomalies is known.
    trim : float in [0, 0.5), default=0.0
        Fraction of the training windows left out of a second fit: those
        that score worst after the first. 0 fits once, on every window.
    chunk_size : int, default=16384
        Windows scored at a time: memory stays bounded for series of any
        length.
    random_state : int, RandomState instance or None, default=None
        Seeds the draw of training windows and the default autoencoder.

    Attributes
    ----------
    window_ : int
        Steps per window (the choice made by ``window="auto"``).
    autoencoder_ : estimator
        The fitted autoencoder.
    offset_ : float
        Threshold of :meth:`predict`: ``decision_function = score_samples -
        offset_``, negative for anomalies.
    n_features_in_ : int
        Features per time step.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when fitted on a DataFrame of string column names.

    See Also
    --------
    sliding_windows : The windows as an array view, to use by hand.
    LSTMAutoencoderTransformer : The default autoencoder.

    Examples
    --------
    >>> import numpy as np
    >>> from skseqae import LSTMAutoencoderTransformer, WindowAnomalyDetector
    >>> t = np.arange(400)
    >>> normal = np.sin(2 * np.pi * t / 20)
    >>> test = normal.copy()
    >>> test[300:310] = 0.0  # the signal stops for half a period
    >>> ae = LSTMAutoencoderTransformer(units=4, epochs=2, random_state=0)
    >>> detector = WindowAnomalyDetector(ae, random_state=0).fit(normal)
    >>> detector.window_  # the period
    20
    >>> scores = detector.score_samples(test)
    >>> scores.shape
    (400,)
    >>> 290 <= int(np.argmin(scores)) < 320
    True
    """

    _parameter_constraints = {
        "autoencoder": [HasMethods(["fit", "reconstruct"]), None],
        "window": [Interval(Integral, 2, None, closed="left"), StrOptions({"auto"})],
        "stride": [Interval(Integral, 1, None, closed="left")],
        "max_windows": [Interval(Integral, 1, None, closed="left"), None],
        "normalize": [StrOptions({"window", "series"})],
        "aggregation": [StrOptions(set(AGGREGATIONS))],
        "distance_weight": [Interval(Real, 0, None, closed="left")],
        "contamination": [
            StrOptions({"auto"}),
            Interval(Real, 0, 0.5, closed="right"),
        ],
        "trim": [Interval(Real, 0, 0.5, closed="left")],
        "chunk_size": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }
    #: What a fitted detector holds, and of what type and shape: all that
    #: saving, pickling and loading keep (see skseqae._state).
    _fitted_attributes = {
        "n_features_in_": integer(1),
        "window_": integer(2),
        "autoencoder_": has_methods("fit", "reconstruct"),
        "_mean": array("f", "n_features_in_", finite=True),
        "_scale": array("f", "n_features_in_", finite=True),
        "_channel_var": array("f", lambda s: _n_channels(s), finite=True),
        "_reference": array(
            "f", None, lambda s: s["window_"] * s["n_features_in_"], finite=True
        ),
        "_reference_where": tuple_of(
            array("iu", lambda s: len(s["_reference"])),
            array("iu", lambda s: len(s["_reference"])),
        ),
        "_fingerprints": tuple_of(
            array("u", None),
            array("iu", lambda s: len(s["_fingerprints"][0])),
            array("iu", lambda s: len(s["_fingerprints"][0])),
        ),
        "_error_scale": real(),
        "_distance_scale": real(),
        "offset_": real(),
    }
    _optional_attributes = {"feature_names_in_": array("OU", "n_features_in_")}

    def __init__(
        self,
        autoencoder=None,
        *,
        window="auto",
        stride=1,
        max_windows=2048,
        normalize="window",
        aggregation="mean",
        distance_weight=1.0,
        contamination="auto",
        trim=0.0,
        chunk_size=16384,
        random_state=None,
    ):
        self.autoencoder = autoencoder
        self.window = window
        self.stride = stride
        self.max_windows = max_windows
        self.normalize = normalize
        self.aggregation = aggregation
        self.distance_weight = distance_weight
        self.contamination = contamination
        self.trim = trim
        self.chunk_size = chunk_size
        self.random_state = random_state

    # ------------------------------------------------------------------ fit

    @_fit_context(prefer_skip_nested_validation=False)
    @keeps_state_on_error
    def fit(self, X, y=None):
        """Fit the autoencoder on the windows of normal series ``X``.

        Parameters
        ----------
        X : array-like of shape (n_timesteps,) or (n_timesteps, n_features), \
                or list of them
            One series (time on the first axis) or several, mostly normal
            (see ``trim``). Each must be at least ``window`` steps long.
        y : Ignored
            Accepted for API consistency.

        Returns
        -------
        self : WindowAnomalyDetector
            The fitted detector.
        """
        series = self._validated(X, reset=True)
        # None: fresh entropy, never NumPy's global generator.
        rng = check_random_state(
            np.random.RandomState() if self.random_state is None else self.random_state
        )
        self.window_ = self._choose_window(series)
        self._mean, self._scale = _series_moments(series)
        self._fingerprints = _training_fingerprints(series, self.window_)
        starts = self._training_starts(series, rng)
        windows = np.concatenate(
            [sliding_windows(s, self.window_)[idx] for s, idx in zip(series, starts)]
        )
        where = (
            np.concatenate([np.full(len(idx), i) for i, idx in enumerate(starts)]),
            np.concatenate(starts),
        )
        self._fit_trimmed(self._features(windows), where, rng)
        self._calibrate(series)
        return self

    def _choose_window(self, series):
        shortest = min(len(s) for s in series)
        window = _auto_window(series) if self.window == "auto" else self.window
        window = min(window, shortest) if self.window == "auto" else window
        if window > shortest:
            raise ValueError(
                f"{type(self).__name__} got window={window}, longer than the "
                f"shortest training series ({shortest} steps); pass a smaller "
                "window or longer series."
            )
        return int(window)

    def _training_starts(self, series, rng):
        """Start of each training window, per series (a random subset)."""
        starts = [np.arange(0, len(s) - self.window_ + 1, self.stride) for s in series]
        total = sum(len(s) for s in starts)
        if self.max_windows is None or total <= self.max_windows:
            return starts
        keep = np.zeros(total, bool)
        keep[rng.choice(total, self.max_windows, replace=False)] = True
        bounds = np.cumsum([0] + [len(s) for s in starts])
        return [s[keep[a:b]] for s, a, b in zip(starts, bounds[:-1], bounds[1:])]

    def _fit_trimmed(self, inputs, where, rng):
        """Fit, leave out the ``trim`` worst windows, fit again on the rest."""
        self._fit_on(self._make_autoencoder(rng), inputs, where)
        if self.trim == 0:
            return
        scores = self._window_anomaly(inputs, where)
        keep = scores <= np.quantile(scores, 1 - self.trim)
        where = (where[0][keep], where[1][keep])
        self._fit_on(self._make_autoencoder(rng), inputs[keep], where)

    def _set_reference(self, inputs, where):
        self._reference = _flat_shapes(inputs, self.n_features_in_)
        self._reference_where = where

    def _fit_on(self, autoencoder, inputs, where):
        """Autoencoder, reference windows and both terms' scales from ``inputs``."""
        self.autoencoder_ = autoencoder.fit(self._ae_inputs(inputs))
        channels = self._ae_inputs(inputs).reshape(-1, inputs.shape[2])
        channels = channels.astype(np.float64)
        self._channel_var = np.maximum(channels.var(axis=0), 1e-12)
        self._set_reference(inputs, where)
        self._error_scale = _positive_median(self._reconstruction_errors(inputs))
        self._distance_scale = 1.0
        if self.distance_weight > 0:
            # Each window's own neighbourhood is left out, or it matches itself.
            distances = self._distances(self._reference, where)
            self._distance_scale = _positive_median(distances[np.isfinite(distances)])

    def _make_autoencoder(self, rng):
        if self.autoencoder is not None:
            return clone(self.autoencoder)
        from ._autoencoder import LSTMAutoencoderTransformer

        seed = int(rng.randint(2**31 - 1))
        return LSTMAutoencoderTransformer(**DEFAULT_AUTOENCODER, random_state=seed)

    def _calibrate(self, series):
        """The threshold of predict, from the scores of the training steps."""
        train_scores = np.concatenate([self._step_anomaly(s) for s in series])
        if self.contamination == "auto":
            threshold = train_scores.mean() + 4 * train_scores.std()
        else:
            threshold = np.quantile(train_scores, 1 - self.contamination)
        self.offset_ = -float(threshold)

    # -------------------------------------------------------------- scoring

    def score_samples(self, X):
        """Score every time step (higher = more normal).

        Parameters
        ----------
        X : array-like of shape (n_timesteps,) or (n_timesteps, n_features), \
                or list of them
            One series or several, each at least ``window_`` steps long.

        Returns
        -------
        scores : ndarray of shape (n_timesteps,), or list of them
            Minus the anomaly score of each step (see the class description:
            about -1 for typical steps, much lower inside anomalies); a list
            for list input.
        """
        check_is_fitted(self)
        series = self._validated(X, reset=False)
        scores = [-self._step_anomaly(s) for s in series]
        return scores if self._is_list(X) else scores[0]

    def decision_function(self, X):
        """Step scores minus the threshold: negative at anomalous steps.

        Parameters
        ----------
        X : array-like of shape (n_timesteps,) or (n_timesteps, n_features), \
                or list of them
            One series or several.

        Returns
        -------
        decision : ndarray of shape (n_timesteps,), or list of them
            ``score_samples(X) - offset_``.
        """
        return _each(self.score_samples(X), lambda scores: scores - self.offset_)

    def predict(self, X):
        """Label every time step: -1 anomalous, +1 normal.

        Parameters
        ----------
        X : array-like of shape (n_timesteps,) or (n_timesteps, n_features), \
                or list of them
            One series or several.

        Returns
        -------
        labels : ndarray of shape (n_timesteps,) of int, or list of them
            -1 where ``decision_function`` is negative, else +1.
        """
        return _each(self.decision_function(X), lambda d: np.where(d < 0, -1, 1))

    def events(self, X):
        """Runs of anomalous steps as ``(start, end, score)``.

        Parameters
        ----------
        X : array-like of shape (n_timesteps,) or (n_timesteps, n_features), \
                or list of them
            One series or several.

        Returns
        -------
        events : list of tuple (int, int, float), or list of them
            One tuple per run of steps that :meth:`predict` marks -1: its
            first step, one past its last step, and its most anomalous
            ``decision_function`` value (negative; lowest first in the list).
            For list input, one such list per series.
        """
        return _each(self.decision_function(X), find_events)

    # ---------------------------------------------------------------- helpers

    def _step_anomaly(self, series):
        """Anomaly score per step of one series, scored chunk by chunk."""
        windows = sliding_windows(series, self.window_)
        chunk = int(self.chunk_size)
        scores = []
        for a in range(0, len(windows), chunk):
            part = windows[a : a + chunk]
            where = _locate(_fingerprint(part), self._fingerprints)
            scores.append(self._window_anomaly(self._features(part), where))
        return windows_to_steps(
            np.concatenate(scores), len(series), self.window_, 1, self.aggregation
        )

    def _window_anomaly(self, inputs, where):
        """Anomaly score of each window; ``where``: its place in the training data.

        A window that also occurs in the training series (``where`` names the
        series and start, -1 where none) is never matched with itself or the
        training windows that overlap it, whether it is scored in ``fit`` or
        later: training and new windows get scores on one scale.
        """
        score = self._reconstruction_errors(inputs) / self._error_scale
        if self.distance_weight > 0:
            shapes = _flat_shapes(inputs, self.n_features_in_)
            distance = self._distances(shapes, where)
            # A training window with no other window far enough from it (a
            # short series) counts as typical.
            distance[~np.isfinite(distance)] = self._distance_scale
            score = score + self.distance_weight * distance / self._distance_scale
        return score

    def _reconstruction_errors(self, inputs):
        inputs = self._ae_inputs(inputs)
        rebuilt = np.asarray(self.autoencoder_.reconstruct(inputs), np.float64)
        return np.mean(np.square(rebuilt - inputs) / self._channel_var, axis=(1, 2))

    def _ae_inputs(self, inputs):
        """Windows longer than MAX_AE_STEPS averaged down to that many steps."""
        return _paa(inputs, MAX_AE_STEPS)

    def _distances(self, queries, where=None, block=1024):
        """Root mean squared distance of each query to its nearest reference."""
        ref = self._reference
        ref_sq = np.einsum("ij,ij->i", ref, ref)
        out = np.empty(len(queries))
        for a in range(0, len(queries), block):
            q = queries[a : a + block]
            d2 = np.einsum("ij,ij->i", q, q)[:, None] + ref_sq - 2 * (q @ ref.T)
            if where is not None:
                d2[self._trivial(where, a, len(q))] = np.inf
            out[a : a + block] = np.sqrt(np.maximum(d2.min(axis=1), 0) / q.shape[1])
        return out

    def _trivial(self, where, a, n):
        """Pairs of overlapping windows of the same training series."""
        origin, position = where
        ref_origin, ref_position = self._reference_where
        same = origin[a : a + n, None] == ref_origin[None, :]
        near = np.abs(position[a : a + n, None] - ref_position[None, :]) < self.window_
        return same & near

    def _features(self, windows):
        """Autoencoder inputs of shape (n, window, channels), float32."""
        windows = np.asarray(windows, np.float64)
        if self.normalize == "series":
            return ((windows - self._mean) / self._scale).astype(np.float32)
        mean = windows.mean(axis=1, keepdims=True)
        std = np.maximum(windows.std(axis=1, keepdims=True), 1e-3 * self._scale)
        shape = (windows - mean) / std
        log_std = np.broadcast_to(np.log(std / self._scale), windows.shape)
        return np.concatenate([shape, log_std], axis=2).astype(np.float32)

    def _validated(self, X, reset):
        arrays = list(X) if self._is_list(X) else [X]
        if not arrays:
            raise ValueError(f"{type(self).__name__} got an empty list of series.")
        # Every series after the first is checked against it (n_features_in_).
        return [
            self._check_series(a, reset, first=i == 0) for i, a in enumerate(arrays)
        ]

    def _check_series(self, x, reset, first):
        """One series as a float64 (T, F) array; the first of fit resets."""
        if not hasattr(x, "ndim") and not sparse.issparse(x):
            x = np.asarray(x)  # lists and other array-likes
        if getattr(x, "ndim", 2) == 1:
            self._check_univariate(reset)
            x = np.asarray(x)[:, None]
        x = validate_data(
            self, x, reset=reset and first, dtype=np.float64, ensure_all_finite=False
        )
        _check_finite(self, x)
        if len(x) < 2:
            raise ValueError(
                f"{type(self).__name__} got a series of 1 sample (time step); "
                "windows need at least 2, pass a longer series."
            )
        if not reset and len(x) < self.window_:
            raise ValueError(
                f"{type(self).__name__} needs series of at least window_="
                f"{self.window_} steps, got one of {len(x)}; pass a longer series."
            )
        return x

    def _check_univariate(self, reset):
        if not reset and self.n_features_in_ != 1:
            raise ValueError(
                f"{type(self).__name__} was fitted on {self.n_features_in_} "
                "features per time step, got a 1-D series (1 feature). Reshape "
                f"your data to (n_timesteps, {self.n_features_in_})."
            )

    @staticmethod
    def _is_list(X):
        # A list of arrays is several series; a nested list of numbers is one.
        return isinstance(X, (list, tuple)) and all(hasattr(a, "shape") for a in X)

    def _check_restored(self, networks):
        super()._check_restored(networks)
        channels = getattr(self, "_channel_var", np.empty(0)).shape[0]
        given = getattr(getattr(self, "autoencoder_", None), "_n_step_features", None)
        if given is not None and given != channels:
            raise StateError(
                f"its autoencoder_ reads {given} channels per step, its windows "
                f"have {channels}"
            )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = True  # TensorFlow kernels across machines
        return tags


def _n_channels(state):
    """Autoencoder input channels: the features, and their log std per window."""
    return state["n_features_in_"] * (2 if state["normalize"] == "window" else 1)


def _check_finite(detector, x):
    """Refuse NaN and inf with advice for series (windows need every step)."""
    bad = ~np.isfinite(x).all(axis=1)
    if bad.any():
        kind = "NaN" if np.isnan(x[bad]).any() else "infinity"
        steps = np.flatnonzero(bad)
        raise ValueError(
            f"{type(detector).__name__}: a series has {kind} at {len(steps)} time "
            f"step(s), the first at step {steps[0]}; every window needs all its "
            "steps. Fill the gaps (for example pandas' interpolate) or split the "
            "series at them and pass the pieces as a list of series."
        )


def _each(values, fn):
    """``fn`` applied to one array, or to each array of a list."""
    return [fn(v) for v in values] if isinstance(values, list) else fn(values)


def find_events(decision):
    """Runs of negative values of ``decision`` as ``(start, end, score)``.

    Parameters
    ----------
    decision : array-like of shape (n_timesteps,)
        One value per time step, negative where anomalous (as returned by
        :meth:`WindowAnomalyDetector.decision_function`).

    Returns
    -------
    events : list of tuple (int, int, float)
        ``(start, end, score)`` per run of negative steps: its first step,
        one past its last, and its lowest value; sorted most anomalous first.

    Examples
    --------
    >>> from skseqae._anomaly import find_events
    >>> find_events([1.0, -0.5, -2.0, 1.0, -1.0])
    [(1, 3, -2.0), (4, 5, -1.0)]
    """
    decision = np.asarray(decision, dtype=np.float64)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], decision < 0, [0]])))
    events = [
        (int(a), int(b), float(decision[a:b].min()))
        for a, b in zip(edges[::2], edges[1::2])
    ]
    return sorted(events, key=lambda event: event[2])


def _auto_window(series):
    """Dominant period of the training series within MIN/MAX_WINDOW."""
    longest = max(series, key=len)
    period = _dominant_period(longest, MAX_WINDOW)
    if period is None:
        return FALLBACK_WINDOW
    return int(max(period, MIN_WINDOW))


def _dominant_period(x, max_lag=None):
    """The lag at which the series best repeats itself, or None.

    Candidates are the lags ``k`` (up to ``max_lag`` and a third of the
    series) where the autocorrelation (by FFT, averaged over features) peaks
    over the lags ``k/2 .. 3k/2``, and is higher, both than
    ``max(0.2, 4 / sqrt(n))`` and than that threshold above the lowest
    autocorrelation at shorter lags: four standard errors of the
    autocorrelation of ``n`` steps of white noise and a fifth of the
    variance at least, so that noise and random walks have no period. Of
    the candidates, the shortest within four standard errors of the highest
    wins: a multiple of the period repeats as well as the period itself.
    """
    n = len(x)
    centred = x - x.mean(axis=0)
    spectrum = np.fft.rfft(centred, 2 * n, axis=0)
    acf = np.fft.irfft(np.abs(spectrum) ** 2, axis=0)[:n]
    power = acf[0]
    if not (power > 0).any():  # constant series
        return None
    acf = (acf[:, power > 0] / power[power > 0]).mean(axis=1)
    acf = acf[: n // 3 if max_lag is None else min(n // 3, max_lag + 1)]
    error = 4 / np.sqrt(n)
    bound = max(0.2, error)
    low = np.minimum.accumulate(acf)
    lags = [
        k
        for k in range(2, len(acf))
        if acf[k] == acf[k - k // 2 : k + k // 2 + 1].max()
        and acf[k] > bound
        and acf[k] - low[k] > bound
    ]
    if not lags:
        return None
    best = max(acf[k] for k in lags)
    return next(k for k in lags if acf[k] >= best - error)


def _paa(inputs, steps):
    """Piecewise aggregate approximation: means of ``steps`` equal-ish blocks."""
    if inputs.shape[1] <= steps:
        return inputs
    bounds = np.linspace(0, inputs.shape[1], steps + 1).astype(int)
    sums = np.add.reduceat(inputs, bounds[:-1], axis=1)
    return (sums / np.diff(bounds)[None, :, None]).astype(inputs.dtype)


def _fingerprint(windows):
    """A 64-bit hash of each window's exact values (equal windows, equal hash).

    The bits of the float64 values times fixed random odd multipliers,
    summed modulo 2**64: two windows that differ anywhere differ in hash
    but for a chance of about 2**-64.
    """
    bits = np.ascontiguousarray(windows, np.float64).view(np.uint64)
    multipliers = np.random.default_rng(0).integers(
        0, 2**63, size=bits.shape[1:], dtype=np.uint64
    )
    multipliers |= np.uint64(1)
    with np.errstate(over="ignore"):
        return (bits * multipliers).sum(axis=(1, 2), dtype=np.uint64)


def _training_fingerprints(series, window):
    """Hashes of every training window, sorted, with their series and start."""
    hashes = [_fingerprint(sliding_windows(s, window)) for s in series]
    origin = np.concatenate([np.full(len(h), i) for i, h in enumerate(hashes)])
    start = np.concatenate([np.arange(len(h)) for h in hashes])
    hashes = np.concatenate(hashes)
    order = np.argsort(hashes, kind="stable")
    return hashes[order], origin[order], start[order]


def _locate(hashes, fingerprints):
    """Series and start of each window in the training data (-1: not there)."""
    known, origin, start = fingerprints
    at = np.minimum(np.searchsorted(known, hashes), len(known) - 1)
    found = known[at] == hashes
    return np.where(found, origin[at], -1), np.where(found, start[at], -1)


def _series_moments(series):
    steps = np.concatenate(series)
    mean, scale = steps.mean(axis=0), steps.std(axis=0)
    scale[scale < 1e-12 * np.maximum(1.0, np.abs(mean))] = 1.0
    return mean, scale


def _flat_shapes(inputs, n_features):
    """The normalized windows without extra channels, one row per window."""
    return np.ascontiguousarray(inputs[:, :, :n_features]).reshape(len(inputs), -1)


def _positive_median(values):
    median = float(np.median(values)) if len(values) else 0.0
    return median if median > 0 else 1.0
