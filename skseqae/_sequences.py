"""User input <-> internal padded sequences, and back.

Every public method of the estimators passes its input through
:func:`to_sequences` and its sequence-shaped output through
:func:`restore_layout`; nothing else in the package looks at how the user
laid out their data.

Internally a batch of sequences is a float32 array of shape
``(n_sequences, max_length, n_features)`` whose padded time steps are NaN in
every feature (tslearn's convention for variable length), plus the length of
each sequence. Padding is always at the end: the recurrent encoder reads
steps ``0 .. length - 1`` and never sees what follows.
"""

import numpy as np
from scipy import sparse
from sklearn.utils.validation import check_array, validate_data

# Layouts a user can give. "tabular": 2-D (n_sequences, n_timesteps), one
# univariate sequence per row. "padded": 3-D (n_sequences, n_timesteps,
# n_features), trailing all-NaN steps are padding. "list": a list or tuple of
# arrays of shape (T_i, n_features) or (T_i,).


class Sequences:
    """A validated batch of sequences.

    Parameters
    ----------
    values : ndarray of shape (n_sequences, max_length, n_features) or None
        The sequences, NaN in every feature at padded time steps. None for
        list input, which keeps ``arrays`` and pads only when asked.
    lengths : ndarray of shape (n_sequences,), int64
        Number of real time steps of each sequence (>= 1).
    layout : {"tabular", "padded", "list"}
        How the user laid the data out, so outputs can be returned alike.
    arrays : list of ndarray of shape (T_i, n_features), default=None
        The sequences of list input, without padding.
    """

    def __init__(self, values, lengths, layout, arrays=None):
        self._values, self._arrays = values, arrays
        self.lengths, self.layout = lengths, layout

    @property
    def values(self):
        """All sequences NaN-padded to the longest (built once, on demand)."""
        if self._values is None:
            self._values = padded(self._arrays)
        return self._values

    def batch(self, index):
        """The sequences at ``index``, NaN-padded only to their own longest.

        Streams list input: the whole padded array is never built here.
        """
        if self._values is not None:
            return self._values[index, : int(self.lengths[index].max())]
        return padded([self._arrays[i] for i in index])

    @property
    def n_features(self):
        source = self._arrays[0] if self._values is None else self._values
        return source.shape[-1]

    @property
    def width(self):
        """Padded length: the array's time axis, or the longest listed sequence."""
        if self._values is None:
            return int(self.lengths.max())
        return self._values.shape[1]

    def __len__(self):
        return len(self.lengths)


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
    if tabular and (reset or getattr(estimator, "_fit_layout", None) == "tabular"):
        # scikit-learn's own validation gives the errors (and their wording)
        # that users and the estimator checks expect, and n_features_in_ and
        # feature_names_in_ (columns are time steps in this layout).
        X = validate_data(estimator, X, reset=reset, **_ARRAY_CHECKS)
    seqs = as_sequences(X, name=name)
    _check_step_features(estimator, seqs.n_features, reset=reset)
    if reset:
        if not tabular:
            estimator.n_features_in_ = seqs.n_features
            if hasattr(estimator, "feature_names_in_"):
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
    return _with_lengths(name, np.asarray(X, dtype=np.float32)[:, :, None], "tabular")


def restore_layout(values, lengths, layout):
    """Return padded outputs in the layout the user's input came in.

    Parameters
    ----------
    values : ndarray of shape (n_sequences, max_length, n_features)
        Outputs; steps at or beyond each sequence's length are padding.
    lengths : ndarray of shape (n_sequences,)
        Real length of each output sequence.
    layout : {"tabular", "padded", "list"}
        The layout of the user's input.

    Returns
    -------
    list of ndarray, or ndarray
        ``"list"``: a list of (length_i, n_features) arrays. ``"padded"``: the
        3-D array with NaN at padded steps. ``"tabular"``: 2-D
        (n_sequences, max_length), NaN at padded steps.
    """
    if layout == "list":
        return [np.array(v[:n]) for v, n in zip(values, lengths)]
    out = np.array(values)
    out[np.arange(out.shape[1])[None, :] >= np.asarray(lengths)[:, None]] = np.nan
    return out[:, :, 0] if layout == "tabular" else out


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
    return _with_lengths(name, np.asarray(X, dtype=np.float32), "padded")


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
        # The same padding rules as for arrays, one sequence at a time.
        (length,) = _with_lengths(name, a[None], "list", first=i).lengths
        arrays.append(a[:length])
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


def _as_float_array(name, seq, i):
    a = np.asarray(seq)
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
        ).astype(np.float32, copy=False)
    except ValueError as exc:
        raise ValueError(f"{name}: sequence {i}: {exc}") from exc


def _with_lengths(name, values, layout, first=0):
    """Derive lengths from trailing all-NaN padding; reject any other NaN.

    ``first`` is the index of ``values[0]`` in the user's data, for messages.
    """
    if np.isinf(values).any():
        raise ValueError(
            f"Input X contains infinity or a value too large for float32, "
            f"which {name} cannot train on. Replace or clip those values."
        )
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
            f"{name}: sequence {first + empty[0]} is entirely NaN, so it has no time "
            "steps. Drop it, or impute its values."
        )
    inside = nan & (np.arange(values.shape[1])[None, :, None] < lengths[:, None, None])
    if inside.any():
        i, t, f = np.argwhere(inside)[0]
        raise ValueError(
            f"Input X contains NaN inside a sequence ({name}: sequence "
            f"{first + i}, time step {t}, feature {f}). NaN is only allowed as "
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
    future : ndarray of shape (n_sequences, n_future, n_features)
        The last ``n_future`` real steps of each sequence.
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
    steps = context_lengths[:, None] + np.arange(n_future)[None, :]
    future = np.take_along_axis(seqs.values, steps[:, :, None], axis=1)
    context = np.array(seqs.values[:, : context_lengths.max()])
    context[np.arange(context.shape[1])[None, :] >= context_lengths[:, None]] = np.nan
    return Sequences(context, context_lengths, seqs.layout), future


def _columns_note(seqs):
    if seqs.layout != "tabular":
        return ""
    n = seqs.values.shape[1]
    return f" (in 2-D input each column is a time step: {n} feature(s) = {n} steps)"
