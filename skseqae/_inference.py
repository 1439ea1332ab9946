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

#: Memory for one chunk's LSTM activations. The fused kernel keeps 7 float32
#: values per unit and time step (gates, cell and hidden states) for the
#: layer it runs, so a chunk holds ``CHUNK_BYTES / (28 * units)`` steps.
CHUNK_BYTES = 64 << 20


def step_budget(units):
    """Time steps per chunk for LSTMs of at most ``units`` units."""
    return max(1024, CHUNK_BYTES // (28 * max(units)))


#: Chunks are padded to a multiple of this many rows. The float32 matrix
#: kernels round a row's result differently depending on its position within
#: a partial tile; full tiles make a sequence's output independent of which
#: other sequences share its chunk (bitwise for most model sizes, to float32
#: round-off always). A lone row stays alone: one-sequence calls are about
#: latency, and 1 row runs the LSTM kernel twice as fast as 8 (issue #12).
ROW_MULTIPLE = 8


def run_chunked(fn, seqs, max_steps):
    """Apply ``fn`` to all sequences; return its outputs in input order.

    Parameters
    ----------
    fn : callable
        Maps a (batch, T, F) float32 array to one array or a list of arrays,
        each (batch, d) or (batch, T_out, d).
    seqs : Sequences
        The sequences; only one chunk at a time is padded.
    max_steps : int
        Chunk budget in time steps (see :func:`step_budget`).

    Returns
    -------
    list of ndarray
        One float32 array per output of ``fn``; time axes padded with NaN to
        the longest chunk output.
    """
    lengths = seqs.lengths
    order = np.argsort(lengths, kind="stable")
    results = []
    for chunk in _chunks(lengths[order], max_steps):
        index = order[chunk]
        outputs = fn(tf.constant(_pad_rows(seqs.batch(index))))
        if not isinstance(outputs, (list, tuple)):
            outputs = [outputs]
        results.append((index, [np.asarray(o)[: len(index)] for o in outputs]))
    return [_assemble(len(seqs), results, k) for k in range(len(results[0][1]))]


def _pad_rows(batch, multiple=ROW_MULTIPLE):
    """Pad the batch with zero sequences to a multiple of ``multiple`` rows.

    A single row stays as it is (see :data:`ROW_MULTIPLE`).
    """
    extra = -len(batch) % multiple
    if not extra or len(batch) == 1:
        return batch
    return np.concatenate([batch, np.zeros((extra,) + batch.shape[1:], batch.dtype)])


def _chunks(sorted_lengths, max_steps):
    """Slices over ascending lengths, each as large as the step budget allows."""
    n, start = len(sorted_lengths), 0
    while start < n:
        # Padded cost of a chunk from ``start`` of each size; non-decreasing.
        cost = np.arange(1, n - start + 1) * sorted_lengths[start:]
        size = max(1, int(np.searchsorted(cost, max_steps, side="right")))
        yield slice(start, start + size)
        start += size


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
