"""Long sequences' detail: the codes of their windows, pooled into features.

When the longest training sequence is longer than ``max_steps``, the encoder
reads every sequence averaged over windows of ``pool`` steps (see
``NetworkSpec.pool``), which keeps its slow shape and loses what happens
within a window. With ``window_pooling``, :meth:`transform` also cuts each
sequence into consecutive windows of at most ``max_steps`` steps, has the
same encoder read each at full resolution (no averaging), and pools the
windows' codes per sequence: their mean, maximum and/or standard deviation
over windows, each ``code_size`` features, after the averaged sequence's
code.
"""

from dataclasses import replace
from functools import partial

import numpy as np

#: The statistics over windows that ``window_pooling`` can join, in its order.
STATISTICS = ("mean", "max", "std")
#: Accepted values of ``window_pooling`` (besides None and "auto").
POOLINGS = {"mean", "max", "mean_max", "mean_std", "mean_max_std"}
#: ``"auto"`` adds window codes from this averaging factor up: sequences at
#: least twice ``max_steps`` long, where one averaged step stands for three
#: or more; below it the averaged code alone keeps ``transform`` as fast as
#: without windows and the model exportable to ONNX.
AUTO_MIN_POOL = 3


def resolve_pooling(window_pooling, pool):
    """The statistics a fit averaging by ``pool`` adds, or None for no windows."""
    if pool == 1:
        return None  # nothing averaged: nothing lost
    if window_pooling == "auto":
        return "mean_max" if pool >= AUTO_MIN_POOL else None
    return window_pooling


def n_statistics(pooling):
    """How many blocks of ``code_size`` features ``pooling`` adds."""
    return 0 if pooling is None else len(pooling.split("_"))


def window_features(estimator, seqs):
    """The pooled window codes of ``seqs``: (n_sequences, n_stats * code_size).

    ``seqs`` is already offset by the estimator's training means; the
    encoder reads the windows with the fitted weights, unpooled.
    """
    from ._compiled import architecture
    from ._inference import iter_chunks

    spec = estimator._spec
    windows, counts = seqs.windows(-(-estimator.n_timesteps_ // spec.pool))
    run = partial(architecture(replace(spec, pool=1)).run, "encoder")
    codes = np.empty((len(windows), spec.code_size))
    for index, _, (chunk,) in iter_chunks(
        partial(run, estimator._weights()), windows, estimator._budget()
    ):
        codes[index] = chunk
    return pool_codes(codes, counts, spec.window_pooling)


def pool_codes(codes, counts, pooling):
    """Statistics of consecutive rows of ``codes``, ``counts[i]`` rows per sequence.

    Parameters
    ----------
    codes : ndarray of shape (sum(counts), code_size)
    counts : ndarray of shape (n_sequences,), each >= 1
    pooling : str
        One of :data:`POOLINGS`.

    Returns
    -------
    ndarray of shape (n_sequences, n_statistics(pooling) * code_size)
    """
    starts = np.cumsum(counts) - counts
    mean = np.add.reduceat(codes, starts, axis=0) / counts[:, None]
    blocks = {"mean": mean}
    if "max" in pooling:
        blocks["max"] = np.maximum.reduceat(codes, starts, axis=0)
    if "std" in pooling:
        squares = np.add.reduceat(np.square(codes), starts, axis=0) / counts[:, None]
        blocks["std"] = np.sqrt(np.maximum(squares - np.square(mean), 0.0))
    return np.concatenate([blocks[s] for s in pooling.split("_")], axis=1)
