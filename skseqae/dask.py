"""Transform and score sequences held in Dask collections, chunk by chunk.

A fitted autoencoder turns a dask array of sequences, or a dask bag of them,
into a lazy dask array of features (:func:`transform`) or anomaly scores
(:func:`score_samples`). Each worker receives the fitted estimator once per
call and unpickles it once, however many chunks it processes (rebuilding
the Keras models costs seconds; a chunk of a few thousand short sequences
costs a fraction of that); each task then holds one chunk of sequences and
its outputs, so memory per worker follows the chunk size.

Hyperparameter searches need nothing from this module: scikit-learn's
``GridSearchCV`` runs on a Dask cluster through joblib
(``with joblib.parallel_backend("dask"): search.fit(X, y)``); see the
README, "Scaling out".

Dask is an optional dependency: ``pip install skseqae[dask]``.
"""

import pickle
import re
import threading
import uuid
from collections import OrderedDict

try:
    import dask
    import dask.array as da
    import dask.bag as db
except ImportError as exc:  # pragma: no cover - exercised in a subprocess test
    raise ImportError(
        "skseqae.dask needs Dask (dask[array,bag]), which is not installed. "
        "Install it with: pip install skseqae[dask]"
    ) from exc

import numpy as np
from sklearn.utils.validation import check_is_fitted

__all__ = ["score_samples", "transform"]


def transform(estimator, X):
    """Encode the sequences of a dask array or bag, lazily, chunk by chunk.

    Parameters
    ----------
    estimator : fitted LSTMAutoencoderTransformer or CompositeLSTMAutoencoder
        Sent to each worker once per call; it must unpickle there (the
        workers need skseqae installed).
    X : dask.array.Array or dask.bag.Bag
        A dask array of shape (n_sequences, n_timesteps, n_features),
        NaN-padded at the end like in-memory input, or (n_sequences,
        n_timesteps) for univariate sequences; chunked along the first
        axis (other axes are joined into one chunk). Or a dask bag whose
        items are sequences: arrays of shape (T_i, n_features) or (T_i,).

    Returns
    -------
    features : dask.array.Array of shape (n_sequences, n_features_out)
        float64, one chunk per chunk of ``X`` (per partition of a bag; the
        chunk lengths of a bag's result are unknown until computed, as for
        any array made from a bag).

    See Also
    --------
    score_samples : Anomaly scores of a dask array or bag.

    Examples
    --------
    >>> import dask.array as da
    >>> import numpy as np
    >>> from skseqae import LSTMAutoencoderTransformer
    >>> from skseqae.dask import transform
    >>> X = np.sin(np.linspace(0, 6, 120, dtype=np.float32)).reshape(10, 12, 1)
    >>> ae = LSTMAutoencoderTransformer(units=4, epochs=1, random_state=0).fit(X)
    >>> Z = transform(ae, da.from_array(X, chunks=5))
    >>> Z.chunks[0]  # lazy: one chunk of features per chunk of sequences
    (5, 5)
    >>> bool(np.allclose(Z.compute(), ae.transform(X), atol=1e-6))
    True
    """
    _check_fitted(estimator, "transform")
    n_out = len(estimator.get_feature_names_out())
    return _map_sequences(estimator, X, "transform", (n_out,))


def score_samples(estimator, X):
    """Score the sequences of a dask array or bag, lazily, chunk by chunk.

    Scores are those of the estimator's ``score_samples``: minus each
    sequence's mean squared reconstruction error (higher = more normal).

    Parameters
    ----------
    estimator : fitted LSTMAutoencoderTransformer or CompositeLSTMAutoencoder
        Sent to each worker once per call; it must unpickle there (the
        workers need skseqae installed).
    X : dask.array.Array or dask.bag.Bag
        Sequences, as for :func:`transform`.

    Returns
    -------
    scores : dask.array.Array of shape (n_sequences,)
        float64, one chunk per chunk of ``X`` (per partition of a bag).

    See Also
    --------
    transform : Features of a dask array or bag.

    Examples
    --------
    >>> import dask.bag as db
    >>> import numpy as np
    >>> from skseqae import LSTMAutoencoderTransformer
    >>> from skseqae.dask import score_samples
    >>> X = [np.sin(np.arange(n, dtype=np.float32)) for n in (5, 8, 6, 9)]
    >>> ae = LSTMAutoencoderTransformer(units=4, epochs=1, random_state=0).fit(X)
    >>> scores = score_samples(ae, db.from_sequence(X, npartitions=2))
    >>> bool(np.allclose(scores.compute(), ae.score_samples(X), rtol=1e-5))
    True
    """
    _check_fitted(estimator, "score_samples")
    return _map_sequences(estimator, X, "score_samples", ())


def _check_fitted(estimator, method):
    from ._anomaly import WindowAnomalyDetector

    if isinstance(estimator, WindowAnomalyDetector):
        # Its input is one long series whose windows cross any chunk
        # boundary, and its scores are per time step, not per item.
        raise TypeError(
            f"skseqae.dask.{method} does not take a WindowAnomalyDetector: it "
            "scores the time steps of one long series, whose windows cross the "
            "chunks' boundaries. Call detector.score_samples(series) on the "
            "series in memory (it is read window by window)."
        )
    if not callable(getattr(estimator, method, None)):
        raise TypeError(
            f"skseqae.dask.{method} needs an estimator with a {method} method, "
            f"got {type(estimator).__name__}."
        )
    check_is_fitted(estimator)


def _map_sequences(estimator, X, method, out_tail):
    shipped = dask.delayed(_Shipped(estimator), name=_Shipped.new_key(), pure=True)
    if isinstance(X, da.Array):
        return _map_array(X, shipped, method, out_tail)
    if isinstance(X, db.Bag):
        return _map_bag(X, shipped, method, out_tail)
    raise TypeError(
        f"skseqae.dask.{method} takes a dask array or a dask bag of sequences, "
        f"got {type(X).__name__}. For data in memory call "
        f"{type(estimator).__name__}.{method}(X); to make a dask array use "
        "dask.array.from_array(X, chunks=(n_sequences_per_chunk, -1, -1))."
    )


def _map_array(X, shipped, method, out_tail):
    if X.ndim not in (2, 3):
        raise ValueError(
            f"skseqae.dask.{method} expected a dask array of shape (n_sequences, "
            f"n_timesteps, n_features) or (n_sequences, n_timesteps), got "
            f"{X.ndim} dimensions (shape {X.shape})."
        )
    # Whole sequences in every chunk: chunks along the first axis only.
    X = X.rechunk({axis: -1 for axis in range(1, X.ndim)})
    return da.map_blocks(
        _call_block,
        X,
        shipped,
        method,
        out_tail[0] if out_tail else None,
        token=f"skseqae-{method}",
        chunks=(X.chunks[0],) + tuple((n,) for n in out_tail),
        drop_axis=list(range(1 + len(out_tail), X.ndim)),
        dtype=np.float64,
        meta=np.empty((0,) + out_tail, np.float64),
    )


def _map_bag(X, shipped, method, out_tail):
    call = dask.delayed(_call_partition, pure=True)
    # Where each partition starts, for errors that number sequences globally;
    # the partitions' lengths are known once computed, in the same graph.
    counts = X.map_partitions(_count).to_delayed()
    starts = [0]
    for count in counts[:-1]:  # a chain: each start from the one before
        starts.append(dask.delayed(_next_start, pure=True)(starts[-1], count))
    blocks = [
        da.from_delayed(
            call(partition, start, shipped, method, out_tail[0] if out_tail else None),
            shape=(np.nan,) + out_tail,
            dtype=np.float64,
            meta=np.empty((0,) + out_tail, np.float64),
        )
        for partition, start in zip(X.to_delayed(), starts)
    ]
    return da.concatenate(blocks)


def _count(items):
    return [sum(1 for _ in items)]


def _next_start(start, count):
    """Where the next partition starts: after this one's ``[length]`` items."""
    return start + count[0]


def _call_block(block, shipped, method, n_out, block_info=None):
    # Dask passes where the block lies in X: (start, stop) along each axis.
    start = block_info[0]["array-location"][0][0] if block_info else 0
    return _call(block, start, shipped, method, n_out)


def _call_partition(partition, start, shipped, method, n_out):
    return _call(list(partition), int(start), shipped, method, n_out)


def _call(sequences, start, shipped, method, n_out):
    """The estimator's ``method`` on one chunk that starts at sequence ``start``."""
    if len(sequences) == 0:  # empty chunks happen (slicing, filtering)
        return np.empty((0,) if n_out is None else (0, n_out), np.float64)
    try:
        return getattr(shipped.estimator(), method)(sequences)
    except ValueError as exc:
        # The estimator numbers the chunk's sequences from 0: renumber them
        # as the whole collection's.
        def renumber(match):
            return f"sequence {int(match.group(1)) + start}"

        message = re.sub(r"\bsequence (\d+)\b", renumber, str(exc))
        raise ValueError(message) from exc


# --------------------------------------------------- the estimator, shipped

#: Estimators unpickled in this process, by key; the last few stay, so that
#: every chunk of one call (and repeated computes of its result) reuse one.
_CACHE_SIZE = 4
_unpickled = OrderedDict()
_lock = threading.Lock()
#: How many estimators this process has unpickled (tests read it on workers).
_unpickle_count = 0


class _Shipped:
    """A fitted estimator as one node of a dask graph.

    Where the graph runs in the client's process (dask's threaded or
    synchronous scheduler) the estimator is used as it is. Elsewhere it
    travels as pickled bytes, pickled once however often the node is
    serialized, and each process unpickles it once, on first use, and keeps
    it under its key: tasks that run in one worker process share it.
    """

    def __init__(self, estimator=None, *, key=None, payload=None):
        self.key = key or self.new_key()
        self._estimator = estimator
        self._payload = payload

    @staticmethod
    def new_key():
        # A fresh key per call: an estimator may be refitted or trained
        # further between calls, and a key must name one set of weights.
        return f"skseqae-estimator-{uuid.uuid4().hex}"

    def __reduce__(self):
        if self._payload is None:
            self._payload = pickle.dumps(self._estimator, pickle.HIGHEST_PROTOCOL)
        return (_restore, (self.key, self._payload))

    def __sizeof__(self):
        # What the scheduler weighs when it moves this node between workers.
        return 64 + len(self._payload or b"")

    def estimator(self):
        if self._estimator is None:
            self._estimator = _cached_estimator(self.key, self._payload)
        return self._estimator


def _restore(key, payload):
    return _Shipped(key=key, payload=payload)


def _cached_estimator(key, payload):
    global _unpickle_count
    with _lock:  # one unpickling per key, even with several threads per worker
        estimator = _unpickled.pop(key, None)
        if estimator is None:
            estimator = pickle.loads(payload)
            _unpickle_count += 1
        _unpickled[key] = estimator
        while len(_unpickled) > _CACHE_SIZE:
            _unpickled.popitem(last=False)
    return estimator
