"""Batching, chunked inference and the compiled-code cache."""

import numpy as np

from skseqae import LSTMAutoencoderTransformer
from skseqae._inference import _chunks, run_chunked
from skseqae._training import batches


def test_batches_cover_every_sequence_once_grouped_by_length():
    rng = np.random.default_rng(0)
    lengths = rng.integers(1, 100, 1000)
    groups = batches(lengths, 32, rng, shuffle=True)
    np.testing.assert_array_equal(np.sort(np.concatenate(groups)), np.arange(1000))
    # Within a batch, lengths are close: padding waste is far below random.
    waste = sum(lengths[g].max() * len(g) - lengths[g].sum() for g in groups)
    random_groups = np.array_split(rng.permutation(1000), len(groups))
    random_waste = sum(
        lengths[g].max() * len(g) - lengths[g].sum() for g in random_groups
    )
    assert waste < random_waste / 5


def test_unshuffled_batches_are_deterministic():
    lengths = np.arange(50) % 7 + 1
    a = batches(lengths, 8, None, shuffle=False)
    b = batches(lengths, 8, None, shuffle=False)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))


def test_chunks_respect_the_step_budget():
    lengths = np.sort(np.random.default_rng(0).integers(1, 500, 300))
    chunks = list(_chunks(lengths, 2000))
    assert chunks[0].start == 0 and chunks[-1].stop == 300
    for c in chunks:
        assert (c.stop - c.start) * lengths[c.stop - 1] <= 2000 or c.stop - c.start == 1


def test_chunked_inference_equals_one_chunk(ragged):
    ae = LSTMAutoencoderTransformer(units=4, epochs=1, random_state=0).fit(ragged)
    seqs = ae._validated(ragged)
    whole = ae._run_model(seqs)[0]
    from skseqae._compiled import architecture

    predict = lambda x: architecture(ae._spec).predict(ae.model_, x)  # noqa: E731
    small = run_chunked(predict, seqs, max_steps=20)[0]
    # Steps past a sequence's end are padding (the callers drop them).
    for a, b, n in zip(small, whole, seqs.lengths):
        np.testing.assert_allclose(a[:n], b[:n], rtol=1e-5, atol=1e-6)
