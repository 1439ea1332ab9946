"""Inference over large inputs, in length-sorted chunks.

``transform`` and friends call one traced TensorFlow function (see
``_compiled``) on chunks of sequences sorted by length. Each chunk is padded
only to its own longest sequence and holds at most ``max_steps`` time steps
in all, and the callers consume each chunk's outputs before the next one is
built (:func:`iter_chunks`), so peak memory follows the output, not a padded
copy of the whole input, and one long sequence does not slow down the short
ones.
"""

import numpy as np

from ._backend import tf
from ._sequences import length_chunks

#: Memory for one chunk's LSTM activations. The fused kernel keeps 7 float32
#: values per unit and time step (gates, cell and hidden states) for the
#: layer it runs, so a chunk holds ``CHUNK_BYTES / (28 * units)`` steps.
CHUNK_BYTES = 64 << 20


def step_budget(units, n_features=0):
    """Time steps per chunk for LSTMs of at most ``units`` units.

    With ``n_features``, also counts the chunk's inputs and outputs on the
    NumPy side: float32 in, float32 out and float64 when written back, about
    24 bytes per feature and step.
    """
    return max(1024, CHUNK_BYTES // (28 * max(units) + 24 * n_features))


#: Chunks are padded to a multiple of this many rows. The float32 matrix
#: kernels round a row's result differently depending on its position within
#: a partial tile; full tiles make a sequence's output independent of which
#: other sequences share its chunk (bitwise for most model sizes, to float32
#: round-off always). A lone row stays alone: one-sequence calls are about
#: latency, and 1 row runs the LSTM kernel twice as fast as 8 (issue #12).
ROW_MULTIPLE = 8


def iter_chunks(fn, seqs, max_steps):
    """Apply ``fn`` to the sequences one chunk at a time.

    Parameters
    ----------
    fn : callable
        Maps a (batch, T, F) float32 tensor to one tensor or a list of them.
    seqs : Sequences
        The sequences; only the current chunk is padded.
    max_steps : int
        Chunk budget in time steps (see :func:`step_budget`).

    Yields
    ------
    index : ndarray of int
        Positions of the chunk's sequences in ``seqs``.
    inputs : ndarray of shape (len(index), T, F), float32
        The chunk as ``fn`` read it (NaN-padded), for scoring against.
    outputs : list of ndarray
        ``fn``'s outputs for the chunk's sequences.
    """
    for index in seqs.chunks(max_steps):
        inputs = seqs.batch(index)
        outputs = fn(tf.constant(_pad_rows(inputs)))
        if not isinstance(outputs, (list, tuple)):
            outputs = [outputs]
        yield index, inputs, [np.asarray(o)[: len(index)] for o in outputs]


def iter_decoded(fn, codes, n_steps, max_steps):
    """Decode ``codes`` into ``n_steps`` steps each, a chunk of rows at a time.

    ``fn`` maps ``[codes, steps]``, ``steps`` an empty (batch, n_steps, 0)
    array that gives the length, to (batch, n_steps, F). Yields a slice of
    rows and their float32 outputs.
    """
    rows = max(1, max_steps // n_steps)
    for start in range(0, len(codes), rows):
        chunk = _pad_rows(np.asarray(codes[start : start + rows], np.float32))
        steps = tf.zeros((len(chunk), n_steps, 0))
        out = np.asarray(fn([tf.constant(chunk), steps]))
        yield slice(start, start + rows), out[: min(rows, len(codes) - start)]


def _pad_rows(batch, multiple=ROW_MULTIPLE):
    """Pad the batch with zero sequences to a multiple of ``multiple`` rows.

    A single row stays as it is (see :data:`ROW_MULTIPLE`).
    """
    extra = -len(batch) % multiple
    if not extra or len(batch) == 1:
        return batch
    return np.concatenate([batch, np.zeros((extra,) + batch.shape[1:], batch.dtype)])


_chunks = length_chunks  # the chunking rule lives with the sequences
