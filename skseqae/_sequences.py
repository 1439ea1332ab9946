"""User input <-> internal padded sequences, and back.

Every public method of the estimators passes its input through
:func:`to_sequences` and its sequence-shaped output through
:class:`SequenceOutput`; nothing else in the
package looks at how the user laid out their data.

Internally a batch of sequences is a float32 array of shape
``(n_sequences, max_length, n_features)`` whose padded time steps are NaN in
every feature (tslearn's convention for variable length), plus the length of
each sequence. Padding is always at the end: the recurrent encoder reads
steps ``0 .. length - 1`` and never sees what follows. Batches are built
one at a time from the user's data (:meth:`Sequences.batch`), never for the
whole input at once, and with a per-feature offset subtracted in float64
before the cast to float32.

NaN marks padding only in arrays, where shorter sequences need it: there a
trailing time step that is NaN in every feature is padding, even if it was
meant as a real step with all values missing (impute such steps first).
Sequences in a list need no padding, so any NaN in them is an error.
"""

import warnings

import numpy as np
from scipy import sparse
from sklearn.utils.validation import _check_feature_names, check_array, validate_data

# Layouts a user can give. "tabular": 2-D (n_sequences, n_timesteps), one
# univariate sequence per row. "padded": 3-D (n_sequences, n_timesteps,
# n_features), trailing all-NaN steps are padding. "list": a list or tuple of
# arrays of shape (T_i, n_features) or (T_i,).
LAYOUTS = ("tabular", "padded", "list")


class Sequences:
    """A validated batch of sequences, padded one batch at a time.

    The user's values are kept as given (float32 or float64, no copy);
    :meth:`batch` pads only the sequences it is asked for, subtracts
    ``offset`` in float64 and only then casts to float32, so a large offset
    (timestamps, absolute pressures, prices) costs no precision.

    Parameters
    ----------
    values : ndarray of shape (n_sequences, n_steps, n_features) or None
        Array input, NaN in every feature at padded time steps. None for
        list input.
    lengths : ndarray of shape (n_sequences,), int64
        Number of real time steps of each sequence (>= 1).
    layout : {"tabular", "padded", "list"}
        How the user laid the data out, so outputs can be returned alike.
    arrays : list of ndarray of shape (T_i, n_features), default=None
        The sequences of list input, without padding.
    starts : ndarray of shape (n_sequences,), default=None
        First time step of each sequence in ``values`` or ``arrays``: views
        such as the contexts and futures of :func:`split_future` share the
        user's data. None means 0 for every sequence.
    offset : ndarray of shape (n_features,) or (n_sequences, n_features), \
            default=None
        Subtracted (in float64) from every value :meth:`batch` returns: one
        per feature, or one per sequence and feature.
    scale : ndarray of shape (n_sequences, n_features), default=None
        Each sequence's features are divided by these (in float64, after
        subtracting ``offset``): per-sequence standardization.
    """

    def __init__(
        self,
        values,
        lengths,
        layout,
        arrays=None,
        *,
        starts=None,
        offset=None,
        scale=None,
    ):
        self._values, self._arrays = values, arrays
        self.lengths, self.layout = np.asarray(lengths, dtype=np.int64), layout
        self._is_view = starts is not None
        n = len(self.lengths)
        self.starts = np.zeros(n, np.int64) if starts is None else starts
        self.offset, self.scale = offset, scale

    @property
    def values(self):
        """All sequences NaN-padded to the longest, float32.

        Builds the whole padded array: for small data and tests. The
        estimators read their input through :meth:`batch`, one chunk at a time.
        """
        raw = (
            self._values is not None
            and not self._is_view
            and self.offset is None
            and self.scale is None
        )
        if raw:
            return np.asarray(self._values, dtype=np.float32)
        return self.batch(np.arange(len(self)))

    def batch(self, index, dtype=np.float32):
        """The sequences at ``index``, NaN-padded only to their own longest.

        Parameters
        ----------
        index : array-like of int
            Which sequences, in the order wanted.
        dtype : numpy dtype, default=np.float32
            Of the result; ``offset`` is subtracted in float64 before the cast.

        Returns
        -------
        ndarray of shape (len(index), max(lengths[index]), n_features)
            NaN at every step at or beyond a sequence's length.
        """
        index = np.asarray(index, dtype=np.intp)
        lengths = self.lengths[index]
        width = int(lengths.max())
        if self._arrays is not None:
            out = np.full((len(index), width, self.n_features), np.nan, dtype)
            for row, (i, n) in enumerate(zip(index, lengths)):
                start = self.starts[i]
                self._shift(self._arrays[i][start : start + n], out[row, :n], i)
            return out
        starts = self.starts[index]
        if starts.any():
            steps = starts[:, None] + np.arange(width)[None, :]
            steps = np.minimum(steps, self._values.shape[1] - 1)
            rows = self._values[index[:, None], steps]
        else:
            rows = self._values[index, :width]
        out = self._shift(rows, np.empty(rows.shape, dtype), index)
        out[np.arange(width)[None, :] >= lengths[:, None]] = np.nan
        return out

    def _shift(self, source, out, rows):
        """``out[...] = (source - offset) / scale`` for the sequences
        ``rows`` of ``source``: one (an int, ``source`` of shape (T, F)) or
        an index array (``source`` of shape (len(rows), T, F))."""
        offset, scale = (_of_rows(v, rows) for v in (self.offset, self.scale))
        if scale is not None:
            shifted = source if offset is None else np.subtract(source, offset)
            np.divide(shifted, scale, out=out, casting="same_kind")
        elif offset is None:
            out[...] = source
        else:
            np.subtract(source, offset, out=out, casting="same_kind")
        return out

    def shifted(self, offset, scale=None):
        """The same sequences (no copy), with ``offset`` subtracted by
        :meth:`batch` and, if given, divided by the per-sequence ``scale``."""
        return Sequences(
            self._values,
            self.lengths,
            self.layout,
            self._arrays,
            starts=self.starts if self._is_view else None,
            offset=None if offset is None else np.asarray(offset, np.float64),
            scale=None if scale is None else np.asarray(scale, np.float64),
        )

    def sequence_moments(self, floor):
        """Each sequence's mean and standard deviation per feature, over its
        real steps, in float64 (of the values :meth:`batch` gives).

        A standard deviation below ``floor`` (per feature) is raised to it,
        so constant sequences are divided by ``floor``, not by 0.

        Returns
        -------
        mean, std : ndarray of shape (n_sequences, n_features), float64
        """
        n, f = len(self), self.n_features
        mean, std = np.empty((n, f)), np.empty((n, f))
        for index in self.chunks(max(1, (4 << 20) // (8 * f))):
            values = self.batch(index, np.float64)
            m = np.nanmean(values, axis=1)
            mean[index] = m
            std[index] = np.sqrt(np.nanmean(np.square(values - m[:, None]), axis=1))
        return mean, np.maximum(std, floor)

    def view(self, starts, lengths):
        """Part of each sequence (no copy): ``lengths[i]`` steps from ``starts[i]``."""
        return Sequences(
            self._values,
            lengths,
            self.layout,
            self._arrays,
            starts=self.starts + np.asarray(starts, np.int64),
            offset=self.offset,
            scale=self.scale,
        )

    def windows(self, size):
        """Each sequence cut into consecutive windows of at most ``size`` steps.

        A sequence of ``T`` steps gives ``ceil(T / size)`` windows whose
        lengths differ by one step at most (never a stub of a few steps at
        the end); one of ``size`` steps or fewer is its own single window.
        Nothing is copied: the windows are views of the user's data.

        Returns
        -------
        windows : Sequences
            The windows, in the order of the sequences and, within each, of time.
        counts : ndarray of shape (n_sequences,), int64
            How many windows each sequence gave.
        """
        counts = -(-self.lengths // size)
        owner = np.repeat(np.arange(len(self)), counts)
        k = np.arange(len(owner)) - np.repeat(np.cumsum(counts) - counts, counts)
        n, c = self.lengths[owner], counts[owner]
        starts, ends = k * n // c, (k + 1) * n // c
        source = self._values if self._arrays is None else self._arrays
        windows = Sequences(
            None,
            ends - starts,
            "list",
            [source[i] for i in owner],
            starts=self.starts[owner] + starts,
            offset=_per_row(self.offset, owner),
            scale=_per_row(self.scale, owner),
        )
        return windows, counts

    def chunks(self, max_steps):
        """Index arrays of length-sorted chunks, ``max_steps`` padded steps at most."""
        order = np.argsort(self.lengths, kind="stable")
        for part in length_chunks(self.lengths[order], max_steps):
            yield order[part]

    def moments(self, chunk_bytes=4 << 20):
        """Mean and standard deviation of each feature over all real steps.

        Computed in float64, in two passes of one chunk (``chunk_bytes`` of
        float64 values) at a time: the mean first, then squared deviations
        from it, so a large offset does not swamp the variation. A feature
        whose real steps all hold one value has a standard deviation of
        exactly 0 (not the round-off of its mean), whatever its size; any
        other feature's is its own, however small next to its mean.

        Returns
        -------
        mean, std : ndarray of shape (n_features,), float64
        """
        max_steps = max(1, chunk_bytes // (8 * self.n_features))
        count = float(self.lengths.sum())
        total = np.zeros(self.n_features)
        for index in self.chunks(max_steps):
            total += np.nansum(self.batch(index, np.float64), axis=(0, 1))
        mean = total / count
        squares = np.zeros(self.n_features)
        low, high = np.full(self.n_features, np.inf), np.full(self.n_features, -np.inf)
        for index in self.chunks(max_steps):
            values = self.batch(index, np.float64)
            squares += np.nansum(np.square(values - mean), axis=(0, 1))
            low = np.fmin(low, np.fmin.reduce(values, axis=(0, 1)))
            high = np.fmax(high, np.fmax.reduce(values, axis=(0, 1)))
        return mean, np.where(low == high, 0.0, np.sqrt(squares / count))

    @property
    def n_features(self):
        source = self._arrays[0] if self._values is None else self._values
        return source.shape[-1]

    @property
    def width(self):
        """Padded length: the array's time axis, or the longest listed or viewed."""
        if self._values is None or self._is_view:
            return int(self.lengths.max())
        return self._values.shape[1]

    def __len__(self):
        return len(self.lengths)


def _of_rows(values, rows):
    """Per-feature ``values`` as they are; per-sequence ones (2-D) for
    ``rows`` (see ``Sequences._shift``), shaped to broadcast over time."""
    if values is None or values.ndim == 1:
        return values
    return values[rows] if np.ndim(rows) == 0 else values[rows][:, None]


def _per_row(values, owner):
    """Per-sequence ``values`` (2-D) taken for each window's ``owner``."""
    return values[owner] if values is not None and values.ndim == 2 else values


def length_chunks(sorted_lengths, max_steps):
    """Slices over ascending lengths, each as large as the step budget allows.

    A chunk from ``start`` holds ``size`` sequences padded to the longest of
    them, so it costs ``size * sorted_lengths[start + size - 1]`` steps.
    """
    n, start = len(sorted_lengths), 0
    while start < n:
        # Padded cost of a chunk from ``start`` of each size; non-decreasing.
        cost = np.arange(1, n - start + 1) * sorted_lengths[start:]
        size = max(1, int(np.searchsorted(cost, max_steps, side="right")))
        yield slice(start, start + size)
        start += size


def to_sequences(estimator, X, *, reset):
    """Validate ``X`` and return it as :class:`Sequences`.

    Parameters
    ----------
    estimator : estimator instance
        Used for error messages and, through scikit-learn's ``validate_data``,
        for ``n_features_in_`` and ``feature_names_in_``.
    X : array-like, DataFrame, or list of array-like
        See the module docstring for the accepted layouts.
    reset : bool
        True in ``fit``: record ``n_features_in_`` (and the per-step feature
        count). False elsewhere: check ``X`` against what ``fit`` recorded.

    Returns
    -------
    Sequences
    """
    name = type(estimator).__name__
    X = _list_or_array(name, X)
    tabular = not isinstance(X, (list, tuple)) and len(X.shape) != 3
    if tabular and reset:
        _hint_if_one_sequence(name, X)
    if tabular and (reset or getattr(estimator, "_fit_layout", None) == "tabular"):
        # scikit-learn's own validation gives the errors (and their wording)
        # that users and the estimator checks expect, and n_features_in_ and
        # feature_names_in_ (columns are time steps in this layout).
        X = validate_data(estimator, X, reset=reset, **_ARRAY_CHECKS)
    seqs = as_sequences(X, name=name)
    _check_step_features(estimator, seqs.n_features, reset=reset)
    fit_layout = getattr(estimator, "_fit_layout", None)
    if isinstance(X, (list, tuple)) and (reset or seqs.layout == fit_layout):
        _check_step_names(estimator, X, reset=reset)
    if reset:
        if not tabular:
            estimator.n_features_in_ = seqs.n_features
        if seqs.layout == "padded" and hasattr(estimator, "feature_names_in_"):
            del estimator.feature_names_in_
        estimator._n_step_features = seqs.n_features
        estimator._fit_layout = seqs.layout
    return seqs


def as_sequences(X, *, name):
    """Validate ``X`` on its own (no fitted state) as :class:`Sequences`.

    Parameters
    ----------
    X : array-like, DataFrame, or list of array-like
        See the module docstring for the accepted layouts.
    name : str
        What to call the caller in error messages.

    Returns
    -------
    Sequences
    """
    X = _list_or_array(name, X)
    if isinstance(X, (list, tuple)):
        return _from_list(name, X)
    if len(X.shape) == 3:
        return _from_3d(name, X)
    X = check_array(X, **_ARRAY_CHECKS)
    return _with_lengths(name, X[:, :, None], "tabular")


def _check_step_names(estimator, X, *, reset):
    """The column names of a list of DataFrames, as scikit-learn checks a table's.

    ``fit`` records the first sequence's names as ``feature_names_in_``;
    every other sequence, in ``fit`` and after, must have the same names in
    the same order (scikit-learn's rule: columns are matched by position,
    so swapped columns would silently be other features).
    """
    for i, seq in enumerate(X):
        try:
            _check_feature_names(estimator, seq, reset=reset and i == 0)
        except ValueError as exc:
            raise ValueError(
                f"{type(estimator).__name__}: sequence {i}'s columns differ from "
                f"those {'of sequence 0' if reset else 'seen in fit'}. {exc}"
            ) from exc


#: A 2-D array of at most this many columns and at least ``_ONE_SEQUENCE_RATIO``
#: times as many rows looks like one (T, F) sequence, not T sequences of F steps.
_FEW_COLUMNS, _ONE_SEQUENCE_RATIO = 8, 10


def _hint_if_one_sequence(name, X):
    """Warn when a 2-D array, read as one sequence per row, looks like one sequence."""
    if len(X.shape) != 2:
        return  # 1-D: refused by validate_data with scikit-learn's advice
    n_rows, n_columns = X.shape
    if 0 < n_columns <= _FEW_COLUMNS and n_rows >= _ONE_SEQUENCE_RATIO * n_columns:
        warnings.warn(
            f"{name} reads a 2-D array as one univariate sequence per row: this "
            f"array of shape {X.shape} is {n_rows} sequences of {n_columns} time "
            f"step(s). If it is one sequence of {n_rows} steps and {n_columns} "
            "feature(s), pass X[None] (shape (1, n_timesteps, n_features)); for "
            "many short sequences pass X[:, :, None], which reads as this does "
            "without the warning.",
            UserWarning,
            stacklevel=6,  # the caller of fit or partial_fit
        )


class SequenceOutput:
    """Sequence-shaped outputs, written chunk by chunk in the user's layout.

    Only the output itself is allocated: a list of arrays of each
    sequence's own length for list input, a NaN-padded array otherwise.
    Values are float64; ``offset`` is added back to every chunk in float64.

    Parameters
    ----------
    lengths : ndarray of shape (n_sequences,)
        Length of each output sequence.
    layout : {"tabular", "padded", "list"}
        The layout of the user's input.
    width : int
        Time axis of array outputs (the input's, for reconstructions).
    n_features : int
        Features per step.
    offset : ndarray of shape (n_features,) or None
        Added to every value written.
    sequence_moments : tuple of two ndarrays of shape (n_sequences, \
            n_features), default=None
        Each output sequence's mean and standard deviation, when the
        network reads per-sequence standardized data: values are multiplied
        by the standard deviation and the mean added, before ``offset``.
    """

    def __init__(
        self, lengths, layout, width, n_features, offset=None, sequence_moments=None
    ):
        self.lengths, self.layout, self.offset = lengths, layout, offset
        self.sequence_moments = sequence_moments
        if layout == "list":
            self._out = [None] * len(lengths)
        else:
            self._out = np.full((len(lengths), width, n_features), np.nan)

    def put(self, index, values):
        """Write the outputs ``values`` (padded, float32) of the sequences ``index``."""
        values = values.astype(np.float64)
        if self.sequence_moments is not None:
            mean, std = self.sequence_moments
            values = values * std[index][:, None] + mean[index][:, None]
        if self.offset is not None:
            values += self.offset
        lengths = self.lengths[index]
        if self.layout == "list":
            # A copy each, so that no output keeps the whole chunk alive.
            for row, (i, n) in enumerate(zip(index, lengths)):
                self._out[i] = values[row, :n].copy()
            return
        width = min(values.shape[1], self._out.shape[1])
        values = values[:, :width]
        values[np.arange(width)[None, :] >= lengths[:, None]] = np.nan
        self._out[index, :width] = values

    def result(self):
        """The outputs: a list, a 3-D array, or 2-D for tabular input."""
        if self.layout == "tabular":
            return self._out[:, :, 0]
        return self._out


def from_channels_first(X):
    """Turn aeon/sktime collections, (n, channels, timepoints), into skseqae's layout.

    aeon and sktime store a collection of multivariate series channels
    first: a 3-D array of shape (n_cases, n_channels, n_timepoints), or for
    unequal lengths a list of (n_channels, n_timepoints_i) arrays. skseqae
    reads time steps first, as Keras does: (n_sequences, n_timesteps,
    n_features). Passed as it is, such a collection would be read as
    ``n_channels`` time steps of ``n_timepoints`` features, which no check
    can tell from real data of that shape. Convert it with this function.

    Parameters
    ----------
    X : ndarray of shape (n_cases, n_channels, n_timepoints), or list of \
            array-like of shape (n_channels, n_timepoints_i)
        A collection in aeon's "numpy3D" or "np-list" format (sktime's
        "numpy3D" is the same). A 2-D (n_cases, n_timepoints) array of
        univariate series is already in skseqae's layout and is returned as is.

    Returns
    -------
    ndarray of shape (n_cases, n_timepoints, n_channels), or list of \
            ndarray of shape (n_timepoints_i, n_channels)
        Transposed views of ``X`` (no copy).

    See Also
    --------
    skseqae.aeon.LSTMAutoencoderCollectionTransformer : Takes aeon's collections
        as they are, inside aeon's pipelines.
    skseqae.sktime.LSTMAutoencoderPanelTransformer : Takes sktime's Panels as
        they are, inside sktime's pipelines.

    Examples
    --------
    >>> import numpy as np
    >>> from skseqae import from_channels_first
    >>> X = np.zeros((10, 3, 50))  # 10 cases, 3 channels, 50 time points
    >>> from_channels_first(X).shape
    (10, 50, 3)
    >>> [x.shape for x in from_channels_first([np.zeros((3, 40)), np.zeros((3, 7))])]
    [(40, 3), (7, 3)]
    """
    if isinstance(X, (list, tuple)):
        out = []
        for i, x in enumerate(X):
            x = np.asarray(x)
            if x.ndim != 2:
                raise ValueError(
                    f"from_channels_first expected each case of a list to be 2-D "
                    f"(n_channels, n_timepoints), but case {i} has shape {x.shape}."
                )
            out.append(x.T)
        return out
    X = np.asarray(X)
    if X.ndim == 2:
        return X
    if X.ndim != 3:
        raise ValueError(
            "from_channels_first expected a 3-D array (n_cases, n_channels, "
            f"n_timepoints) or a list of 2-D arrays, got shape {X.shape}."
        )
    return X.transpose(0, 2, 1)


def padded(sequences):
    """Stack a list of (T_i, n_features) arrays into a NaN-padded 3-D array."""
    lengths = np.array([len(s) for s in sequences], dtype=np.int64)
    max_length = int(lengths.max())
    n_features = sequences[0].shape[1]
    out = np.full((len(sequences), max_length, n_features), np.nan, np.float32)
    for i, s in enumerate(sequences):
        out[i, : len(s)] = s
    return out


# --------------------------------------------------------------------------
# One function per layout.

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
_ARRAY_CHECKS = {"dtype": [np.float64, np.float32], "ensure_all_finite": "allow-nan"}


def _list_or_array(name, X):
    if sparse.issparse(X):
        raise TypeError(
            f"{name} does not accept sparse input: sequences are dense. "
            "Convert it with X.toarray() first."
        )
    if not isinstance(X, (list, tuple)) and not hasattr(X, "shape"):
        X = np.asarray(X)  # array-likes that only implement __array__
    if not isinstance(X, (list, tuple)):
        X = _numbers_only(name, X, "X")
    if not isinstance(X, (list, tuple)) and len(X.shape) > 3:
        raise ValueError(
            f"{name} expected a 2-D array (n_sequences, n_timesteps), a 3-D array "
            f"(n_sequences, n_timesteps, n_features) or a list of sequences, got a "
            f"{len(X.shape)}-D array of shape {X.shape}. Reshape your data."
        )
    return X


def _from_3d(name, X):
    # A non-empty float ndarray passes check_array unchanged, and its checks
    # (infinity, emptiness) are made below; skipping it saves 0.3 ms, a third
    # of a one-sequence transform (speed issue #12).
    plain = type(X) is np.ndarray and X.dtype in _FLOATS and X.size
    if not plain:
        X = check_array(
            X,
            allow_nd=True,
            dtype=[np.float64, np.float32],
            ensure_all_finite="allow-nan",
            input_name="X",
        )
    if X.shape[2] == 0:
        raise ValueError(
            f"0 feature(s) (shape={X.shape}) while a minimum of 1 is required "
            f"by {name}: each time step needs at least one feature."
        )
    if X.shape[1] == 0:
        raise ValueError(
            f"{name} got sequences with 0 time steps (shape={X.shape}); "
            "each sequence needs at least one time step."
        )
    return _with_lengths(name, X, "padded")


def _from_list(name, X):
    if len(X) == 0:
        raise ValueError(
            f"{name} got an empty list: found 0 sequence(s) while a minimum of "
            "1 is required."
        )
    arrays = []
    for i, seq in enumerate(X):
        if sparse.issparse(seq):
            raise TypeError(
                f"{name} does not accept sparse input (sequence {i} is sparse). "
                "Convert it with .toarray() first."
            )
        a = _as_float_array(name, seq, i)
        if a.shape[0] == 0:
            raise ValueError(
                f"{name}: sequence {i} has 0 time steps; every sequence needs "
                "at least one. Drop empty sequences before calling."
            )
        _check_list_values(name, a, i)
        arrays.append(a)
    n_feats = {a.shape[1] for a in arrays}
    if len(n_feats) > 1:
        counts = [a.shape[1] for a in arrays]
        first_bad = next(i for i, c in enumerate(counts) if c != counts[0])
        raise ValueError(
            f"{name}: the sequences disagree on the number of features per "
            f"time step: sequence 0 has {counts[0]}, sequence {first_bad} has "
            f"{counts[first_bad]}. Every sequence needs the same features."
        )
    lengths = np.array([len(a) for a in arrays], dtype=np.int64)
    return Sequences(None, lengths, "list", arrays=arrays)


#: dtype kinds that are not numbers: str, bytes, datetime, timedelta, void.
_NOT_NUMBERS = frozenset("USMmV")


def _numbers_only(name, a, what):
    """Refuse text and dates, which ``check_array`` may parse as numbers; unmask.

    A masked array's masked entries become NaN: missing, as NaN is
    elsewhere (padding when a whole trailing step is masked, else an error).
    """
    dtypes = getattr(a, "dtypes", getattr(a, "dtype", None))  # DataFrame: per column
    if isinstance(dtypes, np.dtype) or not hasattr(dtypes, "__iter__"):
        dtypes = [dtypes]
    kinds = {getattr(d, "kind", "O") for d in dtypes}
    text = bool(kinds & _NOT_NUMBERS)
    if not text and "O" in kinds:
        values = np.asarray(a, dtype=object).ravel()
        text = any(isinstance(v, (str, bytes, np.datetime64)) for v in values)
    if text:
        raise ValueError(
            f"{name} takes numbers, but {what} holds strings, bytes, dates or "
            "times (dtype kinds "
            f"{sorted(kinds)}). Convert them to numbers yourself first (for "
            "dates, for example, seconds since a start), so that nothing is "
            "read as a number by accident."
        )
    if isinstance(a, np.ma.MaskedArray):
        dtype = a.dtype if a.dtype in _FLOATS else np.float64
        a = np.ma.filled(a.astype(dtype), np.nan)
    return a


def _as_float_array(name, seq, i):
    a = np.asarray(_numbers_only(name, seq, f"sequence {i}"))
    if a.ndim == 0:
        raise ValueError(
            f"{name} expected a list of sequences, but element {i} is a scalar. "
            "Reshape your data: a single univariate sequence s is passed as "
            "[s] (or np.asarray(s).reshape(1, -1))."
        )
    if a.ndim > 2:
        raise ValueError(
            f"{name}: sequence {i} has {a.ndim} dimensions; each sequence in a "
            "list must be 1-D (T,) or 2-D (T, n_features)."
        )
    if a.ndim == 1:
        a = a[:, None]
    if a.shape[1] == 0:
        raise ValueError(
            f"0 feature(s) (shape={a.shape}) while a minimum of 1 is required "
            f"by {name} (sequence {i})."
        )
    try:
        return check_array(
            a,
            dtype=[np.float64, np.float32],
            ensure_all_finite="allow-nan",
            ensure_min_samples=0,
            input_name=f"sequence {i}",
        )
    except ValueError as exc:
        raise ValueError(f"{name}: sequence {i}: {exc}") from exc


def _check_list_values(name, a, i):
    """A sequence in a list: finite values only (it needs no NaN padding)."""
    _check_magnitude(name, a)
    nan = np.isnan(a)
    if nan.any():
        t, f = np.argwhere(nan)[0]
        raise ValueError(
            f"Input X contains NaN inside a sequence ({name}: sequence {i}, time "
            f"step {t}, feature {f}). Sequences in a list need no padding, so NaN "
            "is never read as padding there, not even in a last step that is NaN "
            "in every feature. Impute missing values first (e.g. interpolate "
            "along time), or drop the step."
        )


_FLOAT32_MAX = float(np.finfo(np.float32).max)


def _check_magnitude(name, values):
    """Reject infinity and values that float32 cannot hold (without a big copy)."""
    if values.size == 0:
        return
    low, high = np.fmin.reduce(values, axis=None), np.fmax.reduce(values, axis=None)
    if max(abs(float(low)), abs(float(high))) > _FLOAT32_MAX:
        raise ValueError(
            f"Input X contains infinity or a value too large for float32, "
            f"which {name} cannot train on. Replace or clip those values."
        )


def _with_lengths(name, values, layout):
    """Derive lengths from trailing all-NaN padding; reject any other NaN."""
    _check_magnitude(name, values)
    if values.shape[0] == 0:
        raise ValueError(
            f"Found array with 0 sample(s) (shape={values.shape}) while a "
            f"minimum of 1 is required by {name}."
        )
    nan = np.isnan(values)
    if not nan.any():
        lengths = np.full(values.shape[0], values.shape[1], dtype=np.int64)
        return Sequences(values, lengths, layout)
    step_is_pad = nan.all(axis=2)
    # A sequence's length is one past its last time step that is not padding.
    real = ~step_is_pad
    lengths = np.where(
        real.any(axis=1), values.shape[1] - np.argmax(real[:, ::-1], axis=1), 0
    ).astype(np.int64)
    empty = np.flatnonzero(lengths == 0)
    if empty.size:
        raise ValueError(
            f"{name}: sequence {empty[0]} is entirely NaN, so it has no time "
            "steps. Drop it, or impute its values."
        )
    inside = nan & (np.arange(values.shape[1])[None, :, None] < lengths[:, None, None])
    if inside.any():
        i, t, f = np.argwhere(inside)[0]
        raise ValueError(
            f"Input X contains NaN inside a sequence ({name}: sequence "
            f"{i}, time step {t}, feature {f}). NaN is only allowed as "
            "trailing padding, "
            "where every feature of a time step is NaN. Impute missing values "
            "first (e.g. interpolate along time)."
        )
    return Sequences(values, lengths, layout)


def _check_step_features(estimator, n_features, *, reset):
    fitted = getattr(estimator, "_n_step_features", None)
    if reset or fitted is None or n_features == fitted:
        return
    raise ValueError(
        f"{type(estimator).__name__} expected {fitted} feature(s) per time step, "
        f"got {n_features} (it was fitted on {fitted}). Pass sequences with the "
        "same features as in fit."
    )


def split_future(estimator, seqs, n_future):
    """Split each sequence into a context and its last ``n_future`` steps.

    Parameters
    ----------
    estimator : estimator instance
        For error messages.
    seqs : Sequences
    n_future : int

    Returns
    -------
    context : Sequences
        The first ``length - n_future`` steps of each sequence.
    future : Sequences
        The last ``n_future`` real steps of each sequence.

    Both are views of ``seqs``: nothing is copied or padded here.
    """
    lengths = seqs.lengths
    short = np.flatnonzero(lengths < n_future + 1)
    if short.size:
        i = short[0]
        raise ValueError(
            f"{type(estimator).__name__} with n_future={n_future} needs sequences of "
            f"at least {n_future + 1} time steps (a context of one step or more, "
            f"then the {n_future} steps to predict), but sequence {i} has "
            f"{lengths[i]}{_columns_note(seqs)}. Lower n_future or drop short "
            "sequences."
        )
    context_lengths = lengths - n_future
    context = seqs.view(np.zeros_like(lengths), context_lengths)
    future = seqs.view(context_lengths, np.full_like(lengths, n_future))
    return context, future


def _columns_note(seqs):
    if seqs.layout != "tabular":
        return ""
    n = seqs.width
    return f" (in 2-D input each column is a time step: {n} feature(s) = {n} steps)"
