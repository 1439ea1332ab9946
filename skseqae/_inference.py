"""Inference over large inputs, in length-sorted chunks.

``transform`` and friends call one traced TensorFlow function (see
``_compiled``) on chunks of sequences sorted by length. Each chunk is padded
only to its own longest sequence and holds at most ``max_steps`` time steps
in all, so peak
memory follows the output, not a padded copy of the whole input, and one
long sequence does not slow down the short ones.
"""

import numpy as np

from ._backend import tf

#: Time steps (sequences x length) per chunk: bounds the activations kept at
#: once (each LSTM layer holds 7 x units floats per step).
MAX_STEPS = 1 << 17

#: Chunks are padded to a multiple of this many rows. The float32 matrix
#: kernels round a row's result differently depending on its position within
#: a partial tile; full tiles make a sequence's output independent of which
#: other sequences share its chunk (bitwise for most model sizes, to float32
#: round-off always).
ROW_MULTIPLE = 8


def run_chunked(fn, values, lengths, max_steps=MAX_STEPS):
    """Apply ``fn`` to all sequences; return its outputs in input order.

    Parameters
    ----------
    fn : callable
        Maps a (batch, T, F) float32 array to one array or a list of arrays,
        each (batch, d) or (batch, T_out, d).
    values : ndarray of shape (n, max_length, F)
        NaN-padded sequences.
    lengths : ndarray of shape (n,)
    max_steps : int
        Chunk budget in time steps.

    Returns
    -------
    list of ndarray
        One float32 array per output of ``fn``; time axes padded with NaN to
        the longest chunk output.
    """
    order = np.argsort(lengths, kind="stable")
    results = []
    for chunk in _chunks(lengths[order], max_steps):
        index = order[chunk]
        width = int(lengths[index].max())
        outputs = fn(tf.constant(_pad_rows(values[index, :width])))
        if not isinstance(outputs, (list, tuple)):
            outputs = [outputs]
        results.append((index, [np.asarray(o)[: len(index)] for o in outputs]))
    return [_assemble(len(values), results, k) for k in range(len(results[0][1]))]


def _pad_rows(batch, multiple=ROW_MULTIPLE):
    """Pad the batch with zero sequences to a multiple of ``multiple`` rows."""
    extra = -len(batch) % multiple
    if not extra:
        return batch
    return np.concatenate([batch, np.zeros((extra,) + batch.shape[1:], batch.dtype)])


def _chunks(sorted_lengths, max_steps):
    """Slices over ascending lengths, each within the step budget."""
    n, start = len(sorted_lengths), 0
    while start < n:
        size = max(1, max_steps // int(sorted_lengths[min(start + 1, n) - 1]))
        stop = min(n, start + size)
        # Lengths grow within the chunk: shrink until the longest fits.
        while (
            stop - start > 1 and (stop - start) * sorted_lengths[stop - 1] > max_steps
        ):
            stop = start + max(1, max_steps // int(sorted_lengths[stop - 1]))
        yield slice(start, stop)
        start = stop


def _assemble(n, results, k):
    first = results[0][1][k]
    if first.ndim == 2:
        out = np.empty((n, first.shape[1]), dtype=np.float32)
    else:
        steps = max(r[1][k].shape[1] for r in results)
        out = np.full((n, steps, first.shape[2]), np.nan, dtype=np.float32)
    for index, outputs in results:
        o = outputs[k]
        if o.ndim == 2:
            out[index] = o
        else:
            out[index, : o.shape[1]] = o
    return out
