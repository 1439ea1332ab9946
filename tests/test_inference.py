"""Chunked inference and streamed training: memory follows the output.

A lopsided ragged list (300 sequences of 10 steps and one of 5,000) padded
whole to its longest sequence would take 301 * 5,000 float32 values, 5.7 MB
per feature; one chunk or batch takes a small part of that. NumPy reports
its allocations to tracemalloc (TensorFlow's own buffers are not counted).
"""

import tracemalloc

import numpy as np
import pytest

from skseqae import CompositeLSTMAutoencoder, LSTMAutoencoderTransformer
from skseqae._inference import iter_decoded

N_SHORT, SHORT, LONG = 300, 10, 5000
PADDED_MB = (N_SHORT + 1) * LONG * 4 / 2**20  # the whole list padded, float32
TINY = dict(units=4, epochs=1, batch_size=8, validation_fraction=None, random_state=0)


def lopsided():
    rng = np.random.default_rng(0)
    short = [rng.standard_normal((SHORT, 1)) for _ in range(N_SHORT)]
    return short + [np.sin(np.arange(LONG) / 9.0)[:, None]]


def numpy_peak_mb(fn):
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        fn()
        return (tracemalloc.get_traced_memory()[1] - start) / 2**20
    finally:
        tracemalloc.stop()


@pytest.fixture(scope="module", params=["autoencoder", "composite"])
def fitted(request):
    if request.param == "autoencoder":
        return LSTMAutoencoderTransformer(**TINY).fit(lopsided())
    return CompositeLSTMAutoencoder(n_future=2, **TINY).fit(lopsided())


@pytest.mark.parametrize(
    "method", ["transform", "predict", "reconstruct", "score_samples", "score"]
)
def test_peak_memory_follows_the_output_not_the_padded_input(fitted, method):
    X = lopsided()
    getattr(fitted, method)(X)  # traces once, outside the measurement
    peak = numpy_peak_mb(lambda: getattr(fitted, method)(X))
    assert peak < PADDED_MB / 4, f"{method}: {peak:.2f} MB"


def test_fit_pads_one_batch_at_a_time(fitted):
    X = lopsided()
    peak = numpy_peak_mb(lambda: fitted.fit(X))
    assert peak < PADDED_MB / 4, f"fit: {peak:.2f} MB"


def test_list_outputs_keep_each_sequence_length(fitted):
    X = lopsided()
    out = fitted.reconstruct(X)
    assert [len(o) for o in out] == [len(x) for x in X]
    assert all(o.dtype == np.float64 and np.isfinite(o).all() for o in out)


def test_inverse_transform_in_chunks_equals_one_chunk():
    X = [np.sin(np.arange(12) / 3.0 + p)[:, None] for p in np.linspace(0, 3, 20)]
    ae = LSTMAutoencoderTransformer(units=4, epochs=1, random_state=0).fit(X)
    Z = ae.transform(X)
    whole = ae.inverse_transform(Z)
    assert whole.dtype == np.float64 and whole.shape == (20, 12, 1)
    from functools import partial

    from skseqae._compiled import architecture

    decode = partial(architecture(ae._spec).run, "decoder", ae._weights())
    # 12 steps per row and a budget of 30 steps: chunks of 2 rows.
    parts = list(iter_decoded(decode, Z, 12, max_steps=30))
    assert len(parts) == 10
    small = np.concatenate([out for _, out in parts]) + ae._offset
    np.testing.assert_allclose(small, whole, rtol=1e-5, atol=1e-6)


def test_outputs_follow_weights_assigned_through_keras_after_fit():
    # Inference reads the variables in the graph through handles cached per
    # model: weights set through Keras after fit must be the ones used.
    from skseqae._layers import FastLSTM

    X = [np.sin(np.arange(12) / 3.0 + p)[:, None] for p in np.linspace(0, 3, 20)]
    ae = LSTMAutoencoderTransformer(units=4, epochs=1, random_state=0).fit(X)
    assert np.abs(ae.transform(X)).max() > 0.01
    reconstruction = ae.reconstruct(X)
    for layer in ae.encoder_.layers:
        if isinstance(layer, FastLSTM):
            layer.set_weights([np.zeros_like(w) for w in layer.get_weights()])
    # Zero weights and bias: every cell and hidden state stays 0.
    np.testing.assert_array_equal(ae.transform(X), 0.0)
    # The decoder now reads a zero code: every sequence decodes the same.
    changed = np.asarray(ae.reconstruct(X))  # a list of equal-length arrays
    assert not np.allclose(changed, np.asarray(reconstruction))
    np.testing.assert_allclose(changed, changed[:1].repeat(len(X), 0), atol=1e-6)


def test_refit_reads_the_new_models_weights():
    # The handles are cached per fitted model: a refit builds a new model,
    # whose weights transform must read (not the first fit's).
    X = [np.sin(np.arange(12) / 3.0 + p)[:, None] for p in np.linspace(0, 3, 20)]
    ae = LSTMAutoencoderTransformer(units=4, epochs=1, random_state=0).fit(X)
    first = ae.transform(X)
    ae.set_params(random_state=1).fit(X)
    fresh = LSTMAutoencoderTransformer(units=4, epochs=1, random_state=1).fit(X)
    np.testing.assert_allclose(ae.transform(X), fresh.transform(X), atol=1e-6)
    assert not np.allclose(ae.transform(X), first)
