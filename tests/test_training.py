"""Batching, chunked inference, and the training core: shared traced steps,
Keras callbacks, fits in threads, partial_fit and warm_start."""

import csv
import threading

import numpy as np
import pytest

from skseqae import CompositeLSTMAutoencoder, LSTMAutoencoderTransformer
from skseqae._backend import keras, tf
from skseqae._compiled import architecture, make_optimizer
from skseqae._inference import _chunks
from skseqae._training import batches

from .conftest import sine_batch


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


def test_chunked_inference_equals_one_chunk(ragged, monkeypatch):
    ae = LSTMAutoencoderTransformer(units=4, epochs=1, random_state=0).fit(ragged)
    lengths = np.sort(ae._validated(ragged).lengths)
    assert len(list(_chunks(lengths, ae._budget()))) == 1
    whole = ae.reconstruct(ragged), ae.transform(ragged), ae.score_samples(ragged)
    monkeypatch.setattr(ae, "_budget", lambda: 20)
    assert len(list(_chunks(lengths, 20))) > 3
    small = ae.reconstruct(ragged), ae.transform(ragged), ae.score_samples(ragged)
    for a, b in zip(small[0], whole[0]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(small[1], whole[1], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(small[2], whole[2], rtol=1e-5, atol=1e-7)


# ------------------------------------------------- training core (issue #11, #13)

X_SMALL = sine_batch(24, 10, n_features=2)


def _ae(**kw):
    params = dict(units=4, epochs=2, batch_size=8, random_state=0)
    return LSTMAutoencoderTransformer(**{**params, **kw})


def _weights(model):
    return [v.numpy() for v in model.variables]


@pytest.mark.parametrize(
    "optimizer",
    ["adam", keras.optimizers.Adam(1e-2, clipnorm=10.0), keras.optimizers.RMSprop()],
    ids=["adam-fused", "adam-clipnorm-keras", "rmsprop-keras"],
)
def test_shared_step_trains_like_keras_on_the_fits_own_variables(optimizer):
    # The traced step points the template at the fit's variables (private
    # Keras internals), and updates plain Adam's weights with fused ops: it
    # must equal plain Keras training on the same model.
    ae = _ae(epochs=1).fit(X_SMALL)
    steps = architecture(ae._spec).steps(optimizer)
    a, b = ae.model_, keras.models.clone_model(ae.model_)
    b.set_weights(a.get_weights())
    opt_a, opt_b = make_optimizer(optimizer, 1e-2), make_optimizer(optimizer, 1e-2)
    opt_a.build(a.trainable_variables)
    opt_b.build(b.trainable_variables)
    x = np.nan_to_num(X_SMALL[:8])
    variables = [v.value for v in a.variables + opt_a.variables]
    for _ in range(3):
        steps.train_step(variables, x, (x,), (np.full(8, 10, np.int32),), [1.0])
        with tf.GradientTape() as tape:
            scale = b.get_layer("standardize").scale
            loss = tf.reduce_mean(tf.square((b(x, training=True) - x) / scale))
        opt_b.apply(tape.gradient(loss, b.trainable_variables), b.trainable_variables)
    for va, vb in zip(a.trainable_variables, b.trainable_variables):
        np.testing.assert_allclose(va.numpy(), vb.numpy(), rtol=1e-5, atol=1e-6)
    for va, vb in zip(opt_a.variables, opt_b.variables):  # slots too
        # Round-off on the slot's own scale (a velocity holds squares).
        atol = 1e-5 * np.abs(vb.numpy()).max()
        np.testing.assert_allclose(va.numpy(), vb.numpy(), rtol=1e-5, atol=atol)
    assert int(opt_a.iterations.numpy()) == 3
    fused = {op.type for op in steps.train_step.graph.get_operations()}
    assert ("ResourceApplyAdam" in fused) == (optimizer == "adam")


def test_fits_of_a_cached_architecture_never_retrace():
    _ae().fit(X_SMALL)
    steps = architecture(_ae().fit(X_SMALL[:5])._spec).steps("adam")
    before = steps.n_traces
    _ae(batch_size=5, random_state=1).fit(sine_batch(13, 17, n_features=2))
    _ae(warm_start=True).fit(X_SMALL).fit(X_SMALL)
    _ae().partial_fit(X_SMALL).partial_fit(X_SMALL[:7])
    assert steps.n_traces == before


def test_eval_step_is_traced_only_for_fits_with_held_out_data(monkeypatch):
    # A new architecture's fit waits for what it traces: without held-out
    # data, only the train step; the eval step once, at the first fit with it.
    import skseqae._compiled as compiled

    traced, concrete = [], compiled._concrete

    def recording(fn, *args):
        traced.append(fn.__name__)
        return concrete(fn, *args)

    monkeypatch.setattr(compiled, "_concrete", recording)
    X = sine_batch(20, 9, n_features=3)
    _ae(units=7, validation_fraction=None).fit(X)
    assert traced == ["_train_step"]
    _ae(units=7, validation_fraction=0.25).fit(X)
    _ae(units=7, validation_fraction=0.25, random_state=1).fit(X)
    assert traced == ["_train_step", "_eval_step"]


class Recorder(keras.callbacks.Callback):
    """Records hook calls and what the model looks like during training."""

    def __init__(self):
        super().__init__()
        self.calls, self.batch_logs, self.iterations = [], [], []

    def on_train_batch_begin(self, batch, logs=None):
        self.calls.append("batch_begin")

    def on_train_batch_end(self, batch, logs=None):
        self.calls.append("batch_end")
        self.batch_logs.append(dict(logs))

    def on_epoch_end(self, epoch, logs=None):
        self.iterations.append(int(self.model.optimizer.iterations.numpy()))


def test_callbacks_get_batch_hooks_and_the_estimators_own_model():
    rec = Recorder()
    ae = _ae(epochs=3, validation_fraction=None, callbacks=[rec]).fit(X_SMALL)
    assert rec.calls == ["batch_begin", "batch_end"] * 9  # 3 batches x 3 epochs
    assert all(np.isfinite(logs["loss"]) for logs in rec.batch_logs)
    assert rec.iterations == [3, 6, 9]  # the fit's own optimizer steps
    assert rec.model is ae.model_
    # A second fit of the same architecture leaves the first one's model alone.
    first = _weights(ae.model_)
    _ae(random_state=5).fit(X_SMALL)
    assert all(np.array_equal(a, b) for a, b in zip(first, _weights(rec.model)))


@pytest.mark.parametrize(
    "n, validation_fraction, steps_per_epoch",
    [
        (24, None, 8),  # batches of 3
        (24, 0.25, 9),  # 18 left after the validation split: batches of 2
        (10, None, 10),  # batches of 1
        (5, None, 5),  # under 8: one sequence per step
        (300, None, 10),  # 256 and more: batches of 32
    ],
)
def test_auto_batch_size_gives_small_sets_at_least_8_steps_per_epoch(
    n, validation_fraction, steps_per_epoch
):
    rec = Recorder()
    X = sine_batch(n, 6, n_features=1)
    _ae(
        batch_size="auto",
        epochs=1,
        validation_fraction=validation_fraction,
        callbacks=[rec],
    ).fit(X)
    assert rec.iterations == [steps_per_epoch]


def test_auto_batch_size_in_partial_fit_and_the_composite():
    # partial_fit works the batch size out from each chunk, like fit.
    rec = Recorder()
    ae = _ae(batch_size="auto", callbacks=[rec])
    ae.partial_fit(sine_batch(16, 6, n_features=1))
    ae.partial_fit(sine_batch(40, 6, n_features=1))
    assert rec.iterations == [8, 16]  # batches of 2, then of 5
    rec = Recorder()
    model = CompositeLSTMAutoencoder(
        n_future=2, units=4, epochs=1, validation_fraction=None, callbacks=[rec]
    ).fit(sine_batch(24, 8, n_features=1))
    assert model.batch_size == "auto" and rec.iterations == [8]


def test_auto_is_the_default_batch_size_and_other_strings_are_refused():
    assert LSTMAutoencoderTransformer().batch_size == "auto"
    assert CompositeLSTMAutoencoder().batch_size == "auto"
    with pytest.raises(ValueError, match="batch_size"):
        _ae(batch_size="big").fit(X_SMALL)


def test_learning_rate_scheduler_sets_the_fits_learning_rate():
    sched = keras.callbacks.LearningRateScheduler(lambda epoch, lr: 0.0)
    ae = _ae(epochs=3, callbacks=[sched], validation_fraction=None, shuffle=False)
    ae.fit(X_SMALL)
    assert ae.history_["learning_rate"] == [0.0, 0.0, 0.0]
    # Nothing moves with a zero learning rate: every epoch has the same loss.
    np.testing.assert_allclose(ae.history_["loss"], ae.history_["loss"][0], rtol=1e-6)


def test_reduce_lr_on_plateau_lowers_the_learning_rate():
    plateau = keras.callbacks.ReduceLROnPlateau(
        monitor="loss", factor=0.5, patience=0, min_delta=1e9, min_lr=0
    )
    ae = _ae(epochs=3, learning_rate=0.01, callbacks=[plateau], patience=None)
    ae.fit(X_SMALL)
    # Logged at each epoch's end, before the plateau halves it for the next.
    np.testing.assert_allclose(ae.history_["learning_rate"], [0.01, 0.01, 0.005])


def test_model_checkpoint_saves_the_trained_model(tmp_path):
    path = tmp_path / "ae.weights.h5"
    ckpt = keras.callbacks.ModelCheckpoint(path, save_weights_only=True)
    ae = _ae(callbacks=[ckpt], patience=None).fit(X_SMALL)
    copy = keras.models.clone_model(ae.model_)
    copy.load_weights(path)
    for a, b in zip(copy.trainable_variables, ae.model_.trainable_variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_callbacks_see_the_model_with_its_standardization_means(tmp_path):
    # Training holds the means at zero (data arrive centred in float64); a
    # checkpoint saved mid-fit must still be the model the estimator keeps.
    path = tmp_path / "ae.weights.h5"
    ckpt = keras.callbacks.ModelCheckpoint(path, save_weights_only=True)
    X = X_SMALL + 10.0
    ae = _ae(callbacks=[ckpt], patience=None).fit(X)
    copy = keras.models.clone_model(ae.model_)
    copy.load_weights(path)
    mean = ae.model_.get_layer("standardize").mean.numpy()
    np.testing.assert_allclose(mean, X.mean(axis=(0, 1)), rtol=1e-5)
    np.testing.assert_array_equal(copy.get_layer("standardize").mean.numpy(), mean)
    np.testing.assert_allclose(
        copy.predict(X, verbose=0), ae.model_.predict(X, verbose=0), rtol=1e-5
    )


def test_batch_hooks_see_the_means_too():
    # Batch hooks are wrapped only for callbacks that implement them; those
    # must see the real means at every step, as epoch hooks do.
    seen = []

    class Means(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(self.model.get_layer("standardize").mean.numpy().copy())

    X = X_SMALL + 10.0
    ae = _ae(callbacks=[Means()], patience=None).fit(X)
    assert seen
    for mean in seen:
        np.testing.assert_allclose(mean, X.mean(axis=(0, 1)), rtol=1e-5)
    assert ae.model_.get_layer("standardize").mean.numpy() == pytest.approx(mean)


def test_csv_logger_writes_one_row_per_epoch(tmp_path):
    path = tmp_path / "log.csv"
    ae = _ae(epochs=3, patience=None, callbacks=[keras.callbacks.CSVLogger(path)])
    ae.fit(X_SMALL)
    with open(path) as f:
        rows = list(csv.DictReader(f))
    assert [int(r["epoch"]) for r in rows] == [0, 1, 2]
    np.testing.assert_allclose([float(r["loss"]) for r in rows], ae.history_["loss"])


def test_keras_early_stopping_stops_and_restores_best_weights():
    stop = keras.callbacks.EarlyStopping(
        monitor="loss", patience=1, min_delta=1e9, restore_best_weights=True
    )
    rec = Recorder()
    ae = _ae(epochs=10, patience=None, callbacks=[stop, rec]).fit(X_SMALL)
    assert ae.n_iter_ == 2 and len(ae.history_["loss"]) == 2
    assert stop.best_weights is not None
    for a, variable in zip(stop.best_weights, ae.model_.weights):
        if variable.trainable:  # (scaling weights are data, not training)
            np.testing.assert_array_equal(a, variable.numpy())


def test_tensorboard_writes_train_and_validation_events(tmp_path):
    pytest.importorskip("tensorboard", reason="TensorBoard writes need tensorboard")
    board = keras.callbacks.TensorBoard(
        tmp_path, update_freq="batch", write_graph=False
    )
    _ae(epochs=2, validation_fraction=0.25, callbacks=[board]).fit(X_SMALL)
    assert list((tmp_path / "train").glob("events.out.tfevents*"))
    assert list((tmp_path / "validation").glob("events.out.tfevents*"))


def _fit_in_thread(fn, timeout=120):
    errors, thread = [], None

    def target():
        try:
            fn()
        except BaseException as exc:  # reported by the caller
            errors.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), "fit did not finish: deadlock"
    if errors:
        raise errors[0]


class FitsInside(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.inner = []

    def on_epoch_end(self, epoch, logs=None):
        self.inner.append(_ae(random_state=epoch).fit(X_SMALL))


def test_a_callback_can_fit_the_same_architecture():
    inside = FitsInside()
    outer = _ae(random_state=0, callbacks=[inside])
    _fit_in_thread(lambda: outer.fit(X_SMALL))
    assert outer.n_iter_ == 2 and len(inside.inner) == 2
    # Fits are unaffected by what ran inside the callback.
    alone = _ae(random_state=0).fit(X_SMALL)
    for a, b in zip(_weights(outer.model_), _weights(alone.model_)):
        np.testing.assert_array_equal(a, b)


class Rendezvous(keras.callbacks.Callback):
    """Each fit waits, mid-training, until the other fit is training too."""

    def __init__(self, mine, other):
        super().__init__()
        self.mine, self.other, self.met = mine, other, False

    def on_train_batch_end(self, batch, logs=None):
        self.mine.set()
        self.met = self.met or self.other.wait(timeout=30)


def test_fits_in_threads_run_at_the_same_time_and_match_serial_fits():
    events = threading.Event(), threading.Event()
    recs = Rendezvous(events[0], events[1]), Rendezvous(events[1], events[0])
    models = [_ae(random_state=i, callbacks=[recs[i]]) for i in (0, 1)]
    threads = [threading.Thread(target=m.fit, args=(X_SMALL,)) for m in models]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert all(r.met for r in recs)  # both trained while the other was training
    for i, m in enumerate(models):
        alone = _ae(random_state=i).fit(X_SMALL)
        for a, b in zip(_weights(m.model_), _weights(alone.model_)):
            np.testing.assert_array_equal(a, b)


# ---------------------------------------------------- partial_fit, warm_start


def test_partial_fit_once_equals_a_one_epoch_fit():
    one = _ae(epochs=1, validation_fraction=None, patience=None).fit(X_SMALL)
    part = _ae().partial_fit(X_SMALL)
    assert part.n_iter_ == 1 and part.history_["loss"] == one.history_["loss"]
    for a, b in zip(_weights(one.model_), _weights(part.model_)):
        np.testing.assert_array_equal(a, b)


def test_partial_fit_over_chunks_is_close_to_one_fit_with_as_many_passes():
    X = sine_batch(96, 12, n_features=1, seed=3)
    kw = dict(units=6, learning_rate=0.01, batch_size=16, random_state=0)
    whole = _ae(epochs=8, validation_fraction=None, patience=None, **kw).fit(X)
    chunked = _ae(**kw)
    for _ in range(8):
        for chunk in np.array_split(X, 3):
            chunked.partial_fit(chunk)
    start = _ae(epochs=1, validation_fraction=None, patience=None, **kw).fit(X)
    loss = {
        name: -m.score(X)
        for name, m in [("whole", whole), ("chunked", chunked), ("start", start)]
    }
    assert chunked.n_iter_ == 24
    assert loss["chunked"] < 0.5 * loss["start"]
    assert loss["chunked"] < 1.5 * loss["whole"]
    # Adam's state went on across calls: one step per batch, 2 per chunk.
    assert chunked._optimizer_state["values"][0] == 48


def test_partial_fit_keeps_the_first_chunks_scaling_and_checks_features():
    ae = _ae().partial_fit(X_SMALL)
    mean = ae.model_.get_layer("standardize").mean.numpy().copy()
    ae.partial_fit(X_SMALL + 100.0)
    np.testing.assert_array_equal(ae.model_.get_layer("standardize").mean.numpy(), mean)
    with pytest.raises(ValueError, match="feature"):
        ae.partial_fit(X_SMALL[:, :, :1])
    assert ae.n_iter_ == 2


def test_composite_partial_fit_with_and_without_future():
    model = CompositeLSTMAutoencoder(n_future=2, units=4, random_state=0)
    model.partial_fit(X_SMALL).partial_fit(X_SMALL[:, :8], future=X_SMALL[:, 8:])
    assert model.n_iter_ == 2 and len(model.history_["future_loss"]) == 2
    assert model.predict(X_SMALL).shape == (24, 2, 2)


def test_composite_partial_fit_scores_the_task_it_was_fitted_on():
    context, future = X_SMALL[:, :8], X_SMALL[:, 8:]
    model = CompositeLSTMAutoencoder(n_future=2, units=4, random_state=0)
    model.partial_fit(context, future=future)
    # Like fit(X, future=F): scoring X alone would split it, another task.
    with pytest.raises(ValueError, match="future=F"):
        model.score(context)
    assert np.isfinite(model.score(context, future=future))
    model.partial_fit(X_SMALL)  # now fitted by splitting X: scores that
    assert np.isfinite(model.score(X_SMALL))


def _smooth_sines(n, length, seed=0):
    """Sine waves of 1-4 periods per sequence and random phase."""
    rng = np.random.default_rng(seed)
    t = np.arange(length)[None, :, None]
    periods = rng.uniform(1, 4, (n, 1, 1))
    phase = rng.uniform(0, 2 * np.pi, (n, 1, 1))
    return np.sin(2 * np.pi * periods * t / length + phase).astype(np.float32)


def test_relu_lstms_train_without_exploding():
    # A small, faster-diverging version of the seed tutorial's relu setup
    # (there: 512 sequences, 100 units, rate 1e-3, loss 6e5 in epoch 3).
    # Unclipped relu LSTMs reached a loss of 5e9 in epoch 1 and 5,506 after
    # epoch 3 here; with the cell state clipped the loss stays near the
    # data's variance (1 in standardized units) and ends at 1.0.
    ae = LSTMAutoencoderTransformer(
        units=32,
        activation="relu",
        learning_rate=0.03,
        epochs=3,
        random_state=2,
        patience=None,
    ).fit(_smooth_sines(64, 60))
    losses = np.array(ae.history_["loss"])
    assert np.all(np.isfinite(losses))
    assert losses.max() < 100
    assert losses[-1] < 1.1


def test_warm_start_continues_training():
    ae = _ae(epochs=3, learning_rate=0.01, warm_start=True, patience=None)
    ae.fit(X_SMALL)
    first = list(ae.history_["loss"])
    ae.fit(X_SMALL)
    assert ae.n_iter_ == 6 and ae.history_["loss"][:3] == first
    assert ae.history_["loss"][3] < first[-1]  # no restart from scratch
    assert ae._optimizer_state["values"][0] == 6 * 3  # 3 batches per epoch
    cold = _ae(epochs=3, learning_rate=0.01, patience=None).fit(X_SMALL).fit(X_SMALL)
    assert cold.n_iter_ == 3 and cold.history_["loss"] == first


def test_warm_start_restarts_when_the_architecture_changes():
    ae = _ae(warm_start=True, patience=None).fit(X_SMALL)
    ae.set_params(units=5).fit(X_SMALL)
    assert ae.n_iter_ == 2 and ae.model_.get_layer("encoder_lstm_0").units == 5


class Boom(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        raise RuntimeError("boom")


def test_failed_continued_training_changes_nothing():
    ae = _ae(warm_start=True).fit(X_SMALL)
    weights, state, n_iter = _weights(ae.model_), ae._optimizer_state, ae.n_iter_
    with pytest.raises(RuntimeError, match="boom"):
        ae.set_params(callbacks=[Boom()]).fit(X_SMALL)
    assert ae.n_iter_ == n_iter and ae._optimizer_state is state
    for a, b in zip(weights, _weights(ae.model_)):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("batch_size, expected", [(8, True), (16, False)])
def test_fit_traces_one_decoder_input_path_fixed_by_its_batch_size(
    batch_size, expected
):
    # units=4, bidirectional last/mean/max: a 24-wide code, 16 gates. Batches
    # of at most 8 rows all take the batch identity; 16 rows never do. The
    # fit's traced step holds that one path: no per-batch branch to trace.
    X = np.sin(np.arange(40 * 12).reshape(40, 12, 1) / 5.0)
    ae = LSTMAutoencoderTransformer(
        units=4, epochs=1, batch_size=batch_size, random_state=0
    ).fit(X)
    arch = architecture(ae._spec)
    assert ("adam", expected) in arch._steps

    def branches(steps):
        types = {op.type for op in steps.train_step.graph.get_operations()}
        return types & {"If", "StatelessIf"}

    assert not branches(arch.steps("adam", expected))
    assert branches(arch.steps("adam", None))  # a Keras call's per-batch choice
