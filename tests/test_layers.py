"""The Keras layers: the fused LSTM must be the Keras LSTM, only faster."""

import os

import numpy as np
import pytest

import skseqae._layers as layers_module
from skseqae._backend import keras, tf
from skseqae._layers import (
    CELL_CLIP,
    FastLSTM,
    Readout,
    RepeatSteps,
    RepeatToLength,
    ReverseEach,
    SequenceInput,
    TimePool,
    _repeated,
)


@pytest.mark.parametrize("batch, n_features", [(6, 3), (5, 3), (5, 4), (1, 1)])
@pytest.mark.parametrize(
    "options",
    [
        {},
        {"return_sequences": False},
        {"return_state": True},
        {"initial_state": True, "return_sequences": False},
    ],
    ids=["sequences", "last", "states", "initial-state"],
)
def test_fast_lstm_matches_keras_outputs_and_gradients(batch, n_features, options):
    # Without an initial state or returned states, FastLSTM skips Keras'
    # RNN.call; with them it runs inside it. Both must be the Keras layer.
    options = {"return_sequences": True, **options}
    initial = options.pop("initial_state", False)
    rng = np.random.default_rng(0)
    x = tf.constant(rng.standard_normal((batch, 7, n_features)), tf.float32)
    state = [tf.constant(rng.standard_normal((batch, 5)), tf.float32) for _ in range(2)]
    reference = keras.layers.LSTM(5, seed=1, **options)
    fast = FastLSTM(5, seed=1, **options)
    reference.build(x.shape)
    fast.build(x.shape)
    fast.set_weights(reference.get_weights())
    results = []
    for layer in (reference, fast):
        with tf.GradientTape() as tape:
            tape.watch([x, *state])
            out = layer(x, initial_state=state) if initial else layer(x)
            loss = sum(tf.reduce_sum(o**2) for o in tf.nest.flatten(out))
        wrt = [*layer.trainable_variables, x] + (state if initial else [])
        results.append((tf.nest.flatten(out), tape.gradient(loss, wrt)))
    (out_ref, grads_ref), (out_fast, grads_fast) = results
    assert len(out_fast) == len(out_ref)
    for a, b in zip(out_fast, out_ref):
        np.testing.assert_allclose(a, b, atol=1e-6)
    # TensorFlow's registered BlockLSTMV2 gradient is wrong (V1 gate order);
    # ours must agree with Keras' own LSTM, for the inputs too.
    for g_ref, g_fast in zip(grads_ref, grads_fast):
        np.testing.assert_allclose(g_fast, g_ref, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(
    "batch, width, path",
    [
        (6, 30, "rows"),
        (5, 21, "rows"),
        (1, 40, "rows"),
        (4, 8, "rows"),
        (12, 30, "identity"),
        (11, 21, "identity"),
        (6, 8, "plain"),
    ],
)
@pytest.mark.parametrize("traced", [False, True])
def test_repeated_input_lstm_matches_keras_outputs_and_gradients(
    batch, width, path, traced, monkeypatch
):
    # One part of the rows, so that each path builds one identity (the parts
    # have a test of their own below).
    monkeypatch.setattr(layers_module, "row_parts", lambda: 1)
    eye_calls = []
    eye = tf.eye
    monkeypatch.setattr(tf, "eye", lambda n, **kw: eye_calls.append(n) or eye(n, **kw))
    # A decoder's first LSTM reads the code at every step. Its product with
    # the kernel is taken once per sequence and fed through the narrowest
    # input: in training, the batch's identity (at most half as many rows as
    # the width and the 4 x 5 gates), else an identity over the gates (codes
    # wider than the gates), else the code itself. Same outputs, gradients.
    code = np.random.default_rng(1).standard_normal((batch, width)).astype(np.float32)
    reference = keras.layers.LSTM(5, return_sequences=True, seed=1)
    fast = FastLSTM(5, return_sequences=True, seed=1, repeated_input=True)
    reference.build((batch, 9, width))
    fast.build((batch, 9, width))
    fast.set_weights(reference.get_weights())

    def forward_and_gradients(layer, code_in):
        with tf.GradientTape() as tape:
            out = layer(tf.repeat(code_in[:, None, :], 9, axis=1), training=True)
            loss = tf.reduce_sum(out**2)
        return out, tape.gradient(loss, [*layer.trainable_variables, code_in])

    results = []
    for layer in (reference, fast):
        run = forward_and_gradients
        if traced and layer is fast:
            run = tf.function(forward_and_gradients)
        results.append(run(layer, tf.Variable(code)))
    (out_ref, grads_ref), (out_fast, grads_fast) = results
    np.testing.assert_allclose(out_fast, out_ref, atol=1e-5)
    for g_ref, g_fast in zip(grads_ref, grads_fast):
        np.testing.assert_allclose(g_fast, g_ref, rtol=1e-4, atol=1e-5)
    # The path taken (traced, both branches of the choice are built).
    if fast._fused_kernel_applies(None) and not traced:
        even = batch + batch % 2 if batch > 1 else 1
        expected = {"rows": [even], "identity": [20], "plain": []}[path]
        assert [int(n) for n in eye_calls] == expected
        # Inference (chunks of many rows) goes by width alone.
        eye_calls.clear()
        np.testing.assert_allclose(
            fast(np.repeat(code[:, None], 9, 1)), out_ref, atol=1e-5
        )
        assert [int(n) for n in eye_calls] == ([20] if width > 20 else [])
    # Left out of the config: files stay readable by earlier versions.
    assert "repeated_input" not in fast.get_config()


@pytest.mark.parametrize("parts", [1, 2, 3])
@pytest.mark.parametrize("repeated", [False, True], ids=["sequences", "repeated"])
def test_row_parts_keep_outputs_and_gradients(parts, repeated, monkeypatch):
    # The fused kernel runs parts of the rows side by side (one per inter-op
    # thread): 37 rows in 3 parts are 20, 17 and an empty part, whose weight
    # gradient the kernel leaves unwritten. Outputs and gradients must still
    # be the Keras layer's, in training (batch identity) and inference.
    monkeypatch.setattr(layers_module, "row_parts", lambda: parts)
    rng = np.random.default_rng(3)
    width = 6 if repeated else 3
    code = rng.standard_normal((37, 1, width)).astype(np.float32)
    x = tf.constant(
        np.repeat(code, 8, axis=1) if repeated else rng.standard_normal((37, 8, width)),
        tf.float32,
    )
    reference = keras.layers.LSTM(5, return_sequences=True, seed=2)
    fast = FastLSTM(5, return_sequences=True, seed=2, repeated_input=repeated)
    for layer in (reference, fast):
        layer.build(x.shape)
    fast.set_weights(reference.get_weights())
    for training in (True, False):
        results = []
        for layer in (reference, fast):
            with tf.GradientTape() as tape:
                tape.watch(x)
                out = layer(x, training=training)
                loss = tf.reduce_sum(out**2)
            results.append((out, tape.gradient(loss, [*layer.trainable_variables, x])))
        (out_ref, grads_ref), (out_fast, grads_fast) = results
        np.testing.assert_allclose(out_fast, out_ref, atol=1e-5)
        for g_ref, g_fast in zip(grads_ref, grads_fast):
            np.testing.assert_allclose(g_fast, g_ref, rtol=1e-4, atol=1e-5)


def test_row_parts_follow_the_inter_op_threads(monkeypatch):
    # One part per inter-op thread: TensorFlow's setting, else its
    # environment variable, else one per core.
    threading = tf.config.threading
    monkeypatch.setattr(threading, "get_inter_op_parallelism_threads", lambda: 3)
    assert layers_module.row_parts() == 3
    monkeypatch.setattr(threading, "get_inter_op_parallelism_threads", lambda: 0)
    monkeypatch.setenv("TF_NUM_INTEROP_THREADS", "1")
    assert layers_module.row_parts() == 1
    monkeypatch.setenv("TF_NUM_INTEROP_THREADS", "not a number")
    assert layers_module.row_parts() == len(os.sched_getaffinity(0))


def test_part_sizes_cover_the_rows_in_even_parts():
    for rows in (0, 1, 5, 16, 31, 32, 33, 64, 100, 1001):
        for parts in (2, 3, 8):
            sizes = layers_module._part_sizes(tf.constant(rows), parts).numpy()
            assert len(sizes) == parts and sizes.sum() == rows
            used = sizes[sizes > 0]
            # Parts of at least MIN_PART_ROWS rows (a smaller batch stays
            # whole), even but the last.
            assert len(used) <= max(1, rows // layers_module.MIN_PART_ROWS)
            assert all(n % 2 == 0 for n in used[:-1])


def test_fast_lstm_falls_back_for_other_activations():
    # relu has no fused kernel: Keras' own loop runs, with Keras' results
    # (inputs small enough that the cell clip never acts).
    x = np.random.default_rng(0).uniform(-0.3, 0.3, (2, 4, 3)).astype(np.float32)
    layer = FastLSTM(3, activation="relu", return_sequences=True, seed=1)
    reference = keras.layers.LSTM(3, activation="relu", return_sequences=True)
    for lstm in (layer, reference):
        lstm.build(x.shape)
    reference.set_weights(layer.get_weights())
    assert not layer._fused_kernel_applies(None)
    np.testing.assert_allclose(layer(x), reference(x), atol=1e-6)
    assert np.abs(np.asarray(layer(x))).max() > 1e-3


@pytest.mark.parametrize("activation, clipped", [("relu", True), ("tanh", False)])
def test_unbounded_activations_clip_the_cell_state(activation, clipped):
    # Large inputs with all gates open: the cell state grows by about the
    # input at every step, far past the clip, unless it is clipped.
    x = np.full((2, 30, 3), 10.0, np.float32)
    fast = FastLSTM(4, activation=activation, return_state=True, seed=0)
    reference = keras.layers.LSTM(4, activation=activation, return_state=True)
    fast.build(x.shape)
    reference.build(x.shape)
    kernel, recurrent, bias = fast.get_weights()
    weights = [np.full_like(kernel, 0.5), np.zeros_like(recurrent), bias]
    fast.set_weights(weights)
    reference.set_weights(weights)
    _, _, c_fast = fast(x)
    _, _, c_ref = reference(x)
    assert np.abs(c_ref).max() > 4 * CELL_CLIP  # what an unclipped LSTM reaches
    if clipped:
        np.testing.assert_allclose(np.abs(c_fast), CELL_CLIP, rtol=1e-6)
    else:
        np.testing.assert_allclose(c_fast, c_ref, rtol=1e-5)


def test_sequence_input_counts_lengths_and_zeroes_padding():
    x = np.ones((2, 4, 2), np.float32)
    x[0, 3:] = np.nan
    layer = SequenceInput()
    layer.build(x.shape)
    layer.mean.assign([1.0, 1.0])
    values, lengths = layer(x)
    np.testing.assert_array_equal(lengths, [3, 4])
    np.testing.assert_array_equal(values, np.zeros_like(x))


def test_readout_and_reverse_each_respect_lengths():
    x = np.arange(8, dtype=np.float32).reshape(2, 4, 1)
    lengths = np.array([2, 4], np.int32)
    readout = np.asarray(Readout("last_mean_max")(x, lengths))
    np.testing.assert_array_equal(readout, [[1, 0.5, 1], [7, 5.5, 7]])
    reversed_ = np.asarray(ReverseEach()(x, lengths))[:, :, 0]
    np.testing.assert_array_equal(reversed_, [[1, 0, 2, 3], [7, 6, 5, 4]])


def test_readout_gradient_reaches_real_steps_only():
    # Padded steps (larger than any real one here) must neither win the max
    # nor receive gradient.
    x = tf.constant([[[-3.0], [-1.0], [-2.0], [9.0]], [[-4.0], [-6.0], [-5.0], [-7.0]]])
    lengths = tf.constant([3, 4], tf.int32)
    for mode, expected in [
        ("last", [[0, 0, 1, 0], [0, 0, 0, 1]]),
        ("mean", [[1 / 3, 1 / 3, 1 / 3, 0], [0.25] * 4]),
        ("max", [[0, 1, 0, 0], [1, 0, 0, 0]]),
    ]:
        with tf.GradientTape() as tape:
            tape.watch(x)
            total = tf.reduce_sum(Readout(mode)(x, lengths))
        grad = tape.gradient(total, x)[:, :, 0]
        np.testing.assert_allclose(grad, expected, rtol=1e-6, err_msg=mode)
    np.testing.assert_array_equal(Readout("max")(x, lengths)[:, 0], [-1, -4])


def _reference_readout(x, lengths, parts):
    """The readout written plainly, for autodiff to differentiate."""
    mask = tf.sequence_mask(lengths, tf.shape(x)[1])[:, :, None]
    out = {
        "last": tf.gather(x, lengths - 1, batch_dims=1),
        "mean": tf.reduce_sum(tf.where(mask, x, 0.0), 1)
        / tf.cast(lengths, x.dtype)[:, None],
        "max": tf.reduce_max(tf.where(mask, x, x.dtype.min), 1),
    }
    return tf.concat([out[p] for p in parts], axis=-1)


@pytest.mark.parametrize("mode", ["last_mean_max", "mean_max", "max", "last"])
def test_readout_values_and_gradients_match_autodiff(mode):
    # Readout writes its gradient out; it must be autodiff's, ties included.
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 6, 4)).astype(np.float32)
    x[0, 1] = x[0, 3] = 5.0  # a tie for the maximum of sequence 0
    x, lengths = tf.constant(x), tf.constant([5, 6, 2], tf.int32)
    parts = mode.split("_")
    weights = tf.constant(rng.standard_normal((3, 4 * len(parts))), tf.float32)
    results = []
    for readout in (lambda x: Readout(mode)(x, lengths), None):
        with tf.GradientTape() as tape:
            tape.watch(x)
            out = readout(x) if readout else _reference_readout(x, lengths, parts)
            loss = tf.reduce_sum(out * weights)
        results.append((out, tape.gradient(loss, x)))
    (out, grad), (ref_out, ref_grad) = results
    np.testing.assert_array_equal(out, ref_out)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-6, atol=1e-7)
    if "max" in parts:  # the tie shares the maximum's gradient
        assert grad[0, 1, 0] == grad[0, 3, 0] != 0


def test_time_pool_averages_real_steps_only():
    x = np.arange(1, 8, dtype=np.float32).reshape(1, 7, 1)
    x = np.concatenate([x, x * 10])
    x[1, 4:] = 0.0  # zeros at padding, as SequenceInput gives
    pooled, lengths = TimePool(3)(x, np.array([7, 4], np.int32))
    np.testing.assert_allclose(pooled[0, :, 0], [2.0, 5.0, 7.0])
    # The second window of the 4-step sequence holds one real step (40).
    np.testing.assert_allclose(pooled[1, :, 0], [20.0, 40.0, 0.0])
    np.testing.assert_array_equal(lengths, [3, 2])


def test_repeat_steps_restores_the_length():
    x = np.arange(6, dtype=np.float32).reshape(1, 3, 2)
    reference = np.zeros((1, 7, 2), np.float32)
    out = RepeatSteps(3)(x, reference)
    np.testing.assert_array_equal(out[0, :, 0], [0, 0, 0, 2, 2, 2, 4])
    np.testing.assert_array_equal(
        RepeatSteps(3, length=8)(x)[0, :, 1], [1] * 3 + [3] * 3 + [5] * 2
    )
    np.testing.assert_array_equal(RepeatSteps(1)(x, reference[:, :2]), x[:, :2])
    assert RepeatSteps(3)(np.zeros((0, 3, 2), np.float32)).shape == (0, 9, 2)  # no rows


def _repeated_pair(batch, width, **kwargs):
    """A repeated-input FastLSTM and a plain one, same weights, and a code."""
    code = np.random.default_rng(2).standard_normal((batch, width)).astype(np.float32)
    layers = [
        FastLSTM(5, return_sequences=True, seed=1, repeated_input=r, **kwargs)
        for r in (True, False)
    ]
    for layer in layers:
        layer.build((batch, 9, width))
    layers[0].set_weights(layers[1].get_weights())
    return layers, np.repeat(code[:, None], 9, 1)


@pytest.mark.parametrize("width", [30, 8])
@pytest.mark.parametrize("training", [True, False])
def test_repeated_input_reads_a_tiled_code_before_the_tile(
    training, width, monkeypatch
):
    # Traced after RepeatToLength, the layer takes the code and the step
    # count from the tile's inputs (the tiled tensor is then not needed
    # where the code is wider than the gates or the batch identity runs),
    # with the plain layer's outputs and gradients.
    import skseqae._layers as layers

    read_before_tile = []

    def spy(sequences):
        vector, steps = _repeated(sequences)
        read_before_tile.append(vector.op.inputs[0] is sequences.op.inputs[0])
        return vector, steps

    monkeypatch.setattr(layers, "_repeated", spy)
    (fast, plain), x = _repeated_pair(6, width)
    code, reference = tf.constant(x[:, 0]), tf.zeros((6, 9, 0))

    @tf.function
    def run(layer):
        with tf.GradientTape() as tape:
            tape.watch(code)
            out = layer(RepeatToLength()(code, reference), training=training)
            loss = tf.reduce_sum(out**2)
        return out, tape.gradient(loss, [code, *layer.trainable_variables])

    (out_fast, grads_fast), (out_plain, grads_plain) = run(fast), run(plain)
    assert read_before_tile and all(read_before_tile)
    np.testing.assert_allclose(out_fast, out_plain, atol=1e-5)
    for a, b in zip(grads_fast, grads_plain):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(_repeated(tf.constant(x))[0], x[:, 0])  # eager


def test_fast_lstm_with_dropout_draws_masks_as_keras_does():
    # Dropout goes through Keras' RNN.call, which draws a mask at every call
    # (inference too): the seed state, and so the next training masks, stay
    # those of keras.layers.LSTM.
    x = np.random.default_rng(0).standard_normal((4, 6, 3)).astype(np.float32)
    fast = FastLSTM(5, dropout=0.4, seed=3, return_sequences=True)
    reference = keras.layers.LSTM(5, dropout=0.4, seed=3, return_sequences=True)
    for layer in (fast, reference):
        layer.build(x.shape)
    fast.set_weights(reference.get_weights())
    for training in (False, True, True):
        np.testing.assert_allclose(
            fast(x, training=training), reference(x, training=training), atol=1e-5
        )


def test_repeated_input_dropout_masks_like_the_plain_layer():
    # Dropout is applied before the product: the batch-identity path sees
    # the same dropped code as the plain layer with the same seed.
    (fast, plain), x = _repeated_pair(6, 30, dropout=0.3)
    np.testing.assert_allclose(
        fast(x, training=True), plain(x, training=True), atol=1e-5
    )
    assert not np.allclose(fast(x, training=True), fast(x, training=False))


def test_repeated_input_row_limits_pick_the_gates_identity(monkeypatch):

    # One part of the rows, so that each path builds one identity (the parts
    # have a test of their own below).
    monkeypatch.setattr(layers_module, "row_parts", lambda: 1)
    eye_calls = []
    eye = tf.eye
    monkeypatch.setattr(tf, "eye", lambda n, **kw: eye_calls.append(n) or eye(n, **kw))
    (fast, plain), x = _repeated_pair(6, 30)
    monkeypatch.setattr(layers_module, "REPEATED_ROWS_MAX", 4)
    np.testing.assert_allclose(fast(x, training=True), plain(x), atol=1e-5)
    assert [int(n) for n in eye_calls] == [20]  # 6 rows > 4: gates identity
    eye_calls.clear()
    x[0, :, 0] = np.inf  # an infinite product: no batch identity (0 * inf)
    monkeypatch.setattr(layers_module, "REPEATED_ROWS_MAX", 128)
    out = np.asarray(fast(x, training=True))
    assert [int(n) for n in eye_calls] == [20]
    assert np.isfinite(out[1:]).all()  # the other rows stay unaffected
