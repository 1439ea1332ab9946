"""Saving and loading: pickle, joblib, cloudpickle, skops and skseqae.save/load.

Every format is loaded in a fresh interpreter (a subprocess that starts with
nothing imported) and must give bitwise the outputs of the estimator that was
saved, with the encoder, decoders and autoencoder sharing their layers.
"""

import io
import json
import os
import pickle
import pickletools
import subprocess
import sys
import textwrap
import warnings
import zipfile

import cloudpickle
import joblib
import numpy as np
import pytest
import skops.io as sio
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold, cross_validate
from sklearn.pipeline import make_pipeline

import skseqae
from skseqae import CompositeLSTMAutoencoder, LSTMAutoencoderTransformer

TINY = dict(units=3, epochs=1, batch_size=16, random_state=0)
ESTIMATORS = {
    "transformer": lambda: LSTMAutoencoderTransformer(**TINY),
    "composite": lambda: CompositeLSTMAutoencoder(n_future=2, **TINY),
}
#: "wide": sizes over six orders of magnitude, so scale="auto" standardizes
#: each sequence on its own (its moments and features must load too).
INPUTS = ("2d", "3d", "ragged", "wide")
FORMATS = ("pickle", "joblib", "cloudpickle", "skops", "skseqae")
#: One fresh interpreter per group; each group's first format loads first.
GROUPS = (("pickle", "joblib", "cloudpickle"), ("skops", "skseqae"))


def _dump(fmt, estimator, path):
    if fmt == "pickle":
        with open(path, "wb") as f:
            pickle.dump(estimator, f)
    elif fmt == "joblib":
        joblib.dump(estimator, path)
    elif fmt == "cloudpickle":
        with open(path, "wb") as f:
            cloudpickle.dump(estimator, f)
    elif fmt == "skops":
        sio.dump(estimator, path)
    else:
        estimator.save(path)


# Runs in a subprocess: loads every file of its formats, then computes the
# outputs and checks that the Keras models share their layers.
LOADER = textwrap.dedent(
    """
    import json, pickle, sys

    jobs, inputs_path, out_path = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
    imported = sorted(
        m for m in ("skseqae", "keras", "tensorflow") if m in sys.modules
    )

    def load(fmt, path):
        if fmt in ("pickle", "cloudpickle"):
            with open(path, "rb") as f:
                return pickle.load(f)
        if fmt == "joblib":
            import joblib
            return joblib.load(path)
        if fmt == "skops":
            import skops.io as sio
            return sio.load(path, trusted=sio.get_untrusted_types(file=path))
        import skseqae
        return skseqae.load(path)

    loaded = {key: load(fmt, path) for key, fmt, path in jobs}

    import numpy as np

    with open(inputs_path, "rb") as f:
        inputs = pickle.load(f)

    def shares_layers(est):
        models = [est.encoder_, est.decoder_]
        if hasattr(est, "future_decoder_"):
            models.append(est.future_decoder_)
        return all(
            layer is est.model_.get_layer(layer.name)
            for m in models for layer in m.layers if layer.weights
        )

    def encoder_edit_reaches_model(est, X):
        before = est.transform(X)
        est.encoder_.set_weights([np.zeros_like(w) for w in est.encoder_.get_weights()])
        zeroed = all(
            not est.model_.get_layer(layer.name).get_weights()[0].any()
            for layer in est.encoder_.layers if layer.weights
        )
        return zeroed and not np.array_equal(before, est.transform(X))

    results = {}
    for key, est in loaded.items():
        X = inputs[key.split("/")[1]]
        results[key] = {
            "class": type(est).__name__,
            "transform": est.transform(X),
            "predict": est.predict(X),
            "score_samples": est.score_samples(X),
            "shares_layers": shares_layers(est),
            "encoder_edit_reaches_model": encoder_edit_reaches_model(est, X),
        }
    with open(out_path, "wb") as f:
        pickle.dump({"imported_first": imported, "results": results}, f)
    """
)


@pytest.fixture(scope="module")
def inputs(X2d, X3d, ragged):
    wide = X3d[:16] * np.logspace(-3, 3, 16)[:, None, None]
    return {"2d": X2d[:16], "3d": X3d[:16], "ragged": ragged[:12], "wide": wide}


def test_the_wide_input_is_fitted_standardizing_each_sequence(fitted):
    for (_, kind), est in fitted.items():
        assert est.sequence_scaling_ is (kind == "wide")


@pytest.fixture(scope="module")
def fitted(inputs):
    return {
        (name, kind): make().fit(inputs[kind])
        for name, make in ESTIMATORS.items()
        for kind in INPUTS
    }


@pytest.fixture(scope="module")
def loaded_elsewhere(fitted, inputs, tmp_path_factory):
    """What fresh interpreters computed from each saved file, per group."""
    folder = tmp_path_factory.mktemp("persistence")
    inputs_path = folder / "inputs.pkl"
    with open(inputs_path, "wb") as f:
        pickle.dump(inputs, f)
    groups = []
    for i, formats in enumerate(GROUPS):
        jobs = []
        for fmt in formats:
            for (name, kind), est in fitted.items():
                path = folder / f"{name}-{kind}.{fmt}"
                _dump(fmt, est, path)
                jobs.append((f"{name}/{kind}/{fmt}", fmt, str(path)))
        out = folder / f"out{i}.pkl"
        args = [sys.executable, "-c", LOADER, json.dumps(jobs), inputs_path, out]
        groups.append((subprocess.Popen(args, stderr=subprocess.PIPE), out))
    report = {"imported_first": [], "results": {}}
    for process, out in groups:
        _, stderr = process.communicate(timeout=600)
        assert process.returncode == 0, stderr.decode()[-3000:]
        with open(out, "rb") as f:
            part = pickle.load(f)
        report["imported_first"] += part["imported_first"]
        report["results"].update(part["results"])
    return report


def _assert_same(a, b):
    if isinstance(a, list):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x, y, strict=True)
    else:
        np.testing.assert_array_equal(a, b, strict=True)


def test_fresh_interpreters_start_with_nothing_imported(loaded_elsewhere):
    assert loaded_elsewhere["imported_first"] == []


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("kind", INPUTS)
@pytest.mark.parametrize("name", ESTIMATORS)
def test_loaded_in_a_new_process_gives_bitwise_equal_outputs(
    loaded_elsewhere, fitted, inputs, name, kind, fmt
):
    result = loaded_elsewhere["results"][f"{name}/{kind}/{fmt}"]
    est, X = fitted[name, kind], inputs[kind]
    assert result["class"] == type(est).__name__
    _assert_same(result["transform"], est.transform(X))
    _assert_same(result["predict"], est.predict(X))
    _assert_same(result["score_samples"], est.score_samples(X))
    assert result["shares_layers"]
    assert result["encoder_edit_reaches_model"]


@pytest.mark.parametrize("name", ESTIMATORS)
def test_pickled_state_names_no_keras_or_tensorflow_object(fitted, name):
    # Unpickling needs no Keras class to be registered: the state holds only
    # Python and NumPy values.
    data = pickle.dumps(fitted[name, "3d"])
    # Module names appear as string arguments of the pickle's opcodes.
    strings = {arg for _, arg, _ in pickletools.genops(data) if isinstance(arg, str)}
    named = {s for s in strings if s.split(".")[0] in ("keras", "tensorflow")}
    assert not named
    assert any(s.startswith("skseqae.") for s in strings)


@pytest.mark.parametrize("name", ESTIMATORS)
def test_skops_trusts_only_skseqae_types_alone_and_in_a_pipeline(
    fitted, inputs, name, tmp_path
):
    est = fitted[name, "3d"]
    X = inputs["3d"]
    y = np.arange(len(X)) % 2
    pipe = make_pipeline(est, LogisticRegression()).fit(X, y)
    for obj, path in ((est, tmp_path / "est.skops"), (pipe, tmp_path / "pipe.skops")):
        sio.dump(obj, path)
        untrusted = sio.get_untrusted_types(file=path)
        assert untrusted == [f"{type(est).__module__}.{type(est).__name__}"]
        restored = sio.load(path, trusted=untrusted)
        np.testing.assert_array_equal(restored.predict(X), obj.predict(X))


def test_in_process_round_trips_restore_shared_layers(fitted, inputs):
    est, X = fitted["composite", "ragged"], inputs["ragged"]
    for restored in (pickle.loads(pickle.dumps(est)), joblib.load(_joblib(est))):
        for decoder in (restored.decoder_, restored.future_decoder_):
            for layer in decoder.layers:
                if layer.weights:
                    assert layer is restored.model_.get_layer(layer.name)
        assert restored.get_params() == est.get_params()
        _assert_same(restored.predict(X), est.predict(X))


def _joblib(est):
    buffer = io.BytesIO()
    joblib.dump(est, buffer)
    buffer.seek(0)
    return buffer


def test_cross_validate_in_worker_processes_returns_usable_pipelines(X3d):
    X, y = X3d[:24], (X3d[:24, 0, 0] > 0).astype(int)
    pipe = make_pipeline(LSTMAutoencoderTransformer(**TINY), LogisticRegression())
    cv = KFold(2)
    result = cross_validate(pipe, X, y, cv=cv, return_estimator=True, n_jobs=2)
    for fitted_pipe, score, (_, test) in zip(
        result["estimator"], result["test_score"], cv.split(X)
    ):
        assert fitted_pipe.score(X[test], y[test]) == score
        ae = fitted_pipe[0]
        assert ae.encoder_.get_layer("readout") is ae.model_.get_layer("readout")


def test_attributes_the_class_does_not_have_are_left_out(fitted, inputs):
    # Caches of live Keras objects (alone or inside our own helper objects)
    # cannot outlive the process: left out silently. Other attributes that
    # are not part of the estimator are left out with a warning (loading
    # would refuse them); the declared state (the optimizer's) is kept.
    from skseqae._backend import keras
    from skseqae._models import Networks

    est = pickle.loads(pickle.dumps(fitted["transformer", "2d"]))
    est._optimizer_cache = keras.optimizers.Adam()
    est._networks_cache = Networks(est.model_, est.encoder_, est._decoders, None, ())
    est._nested = fitted["composite", "ragged"]
    with pytest.warns(UserWarning, match=r"attribute\(s\) \['_nested'\] are not part"):
        restored = pickle.loads(pickle.dumps(est))
    for name in ("_optimizer_cache", "_networks_cache", "_nested"):
        assert not hasattr(restored, name)
    assert restored._optimizer_state["key"] == est._optimizer_state["key"]
    for a, b in zip(
        restored._optimizer_state["values"], est._optimizer_state["values"]
    ):
        np.testing.assert_array_equal(a, b, strict=True)
    X = inputs["2d"]
    _assert_same(restored.transform(X), est.transform(X))


@pytest.mark.parametrize("fmt", ["pickle", "skops", "skseqae"])
def test_training_continues_identically_after_loading(inputs, tmp_path, fmt):
    # The optimizer's state (moments, step count) and the dropout generators'
    # states are saved too: partial_fit after loading takes the same step.
    X = inputs["3d"]
    est = CompositeLSTMAutoencoder(n_future=2, **{**TINY, "dropout": 0.2}).fit(X)
    path = tmp_path / f"m.{fmt}"
    _dump(fmt, est, path)
    if fmt == "pickle":
        with open(path, "rb") as f:
            loaded = pickle.load(f)
    elif fmt == "skops":
        loaded = sio.load(path, trusted=sio.get_untrusted_types(file=path))
    else:
        loaded = skseqae.load(path)
    expected = est.partial_fit(X).transform(X)
    np.testing.assert_array_equal(loaded.partial_fit(X).transform(X), expected)


# ------------------------------------------------------------ native format


@pytest.fixture(scope="module")
def saved(fitted, tmp_path_factory):
    path = tmp_path_factory.mktemp("saved") / "model.skseqae"
    fitted["composite", "3d"].save(path)
    return path


def test_load_returns_the_saved_class_params_and_attributes(fitted, saved):
    est = fitted["composite", "3d"]
    loaded = skseqae.load(saved)
    assert type(loaded) is CompositeLSTMAutoencoder
    assert loaded.get_params() == est.get_params()
    assert loaded.history_ == est.history_
    assert (loaded.n_iter_, loaded.n_timesteps_) == (est.n_iter_, est.n_timesteps_)
    assert loaded.n_features_in_ == est.n_features_in_


def test_saved_file_records_versions_and_holds_a_keras_model(saved):
    with zipfile.ZipFile(saved) as archive:
        manifest = json.loads(archive.read("skseqae.json"))
        inner = zipfile.ZipFile(io.BytesIO(archive.read("model.keras")))
    assert manifest["format_version"] == 2
    assert set(manifest["versions"]) >= {"skseqae", "keras", "tensorflow"}
    assert "config.json" in inner.namelist()


def test_save_and_load_keep_plain_attributes_and_column_names(inputs, tmp_path):
    pd = pytest.importorskip(
        "pandas", reason="set_output and DataFrame input need pandas (test extra)"
    )
    X = pd.DataFrame(inputs["2d"], columns=[f"t{i}" for i in range(10)])
    est = LSTMAutoencoderTransformer(**TINY).fit(X)
    est.save(tmp_path / "m")
    loaded = skseqae.load(tmp_path / "m")
    np.testing.assert_array_equal(loaded.feature_names_in_, est.feature_names_in_)
    assert loaded.feature_names_in_.dtype == object
    assert loaded._optimizer_state["key"] == est._optimizer_state["key"]
    for a, b in zip(loaded._optimizer_state["values"], est._optimizer_state["values"]):
        np.testing.assert_array_equal(a, b, strict=True)
    assert loaded.history_ == est.history_
    np.testing.assert_array_equal(loaded.transform(X), est.transform(X))


def test_optimizer_instance_is_stored_callbacks_are_left_out(inputs, tmp_path):
    from skseqae._backend import keras

    est = LSTMAutoencoderTransformer(
        **TINY,
        optimizer=keras.optimizers.RMSprop(learning_rate=0.01, rho=0.8),
        callbacks=[keras.callbacks.TerminateOnNaN()],
    ).fit(inputs["2d"])
    # Not pytest.warns: it would re-emit Keras' own DeprecationWarnings.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est.save(tmp_path / "m")
    ours = [str(w.message) for w in caught if w.category is UserWarning]
    assert len(ours) == 1
    assert "left out parameter(s) callbacks=[<" in ours[0]
    assert "TerminateOnNaN" in ours[0]
    loaded = skseqae.load(tmp_path / "m")
    assert type(loaded.optimizer) is keras.optimizers.RMSprop
    assert loaded.optimizer.get_config() == est.optimizer.get_config()
    assert loaded.callbacks is None


def test_unfitted_estimator_cannot_be_saved(tmp_path):
    with pytest.raises(NotFittedError, match="not fitted yet"):
        LSTMAutoencoderTransformer().save(tmp_path / "m")
    assert os.listdir(tmp_path) == []


def test_interrupted_save_leaves_the_previous_file(
    saved, fitted, tmp_path, monkeypatch
):
    path = tmp_path / "m.skseqae"
    path.write_bytes(saved.read_bytes())
    real = zipfile.ZipFile.writestr

    def fail_on_model(self, name, data, *args, **kwargs):
        if name == "model.keras":
            raise OSError("No space left on device")
        return real(self, name, data, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", fail_on_model)
    with pytest.raises(OSError, match="No space"):
        fitted["transformer", "2d"].save(path)
    assert os.listdir(tmp_path) == ["m.skseqae"]
    assert path.read_bytes() == saved.read_bytes()


# ---------------------------------------------------------------- bad files


def _rewrite(source, target, replace):
    """Copy the zip ``source`` to ``target`` with members replaced."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w") as dst:
        for name in src.namelist():
            dst.writestr(name, replace.get(name, src.read(name)))


def test_missing_or_unreadable_file_raises_oserror(tmp_path):
    with pytest.raises(FileNotFoundError):
        skseqae.load(tmp_path / "nothing-here")
    with pytest.raises(OSError):
        skseqae.load(tmp_path)  # a directory


def test_files_that_are_not_skseqae_models_are_refused(fitted, tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(ValueError, match="not an skseqae model file.*not a zip"):
        skseqae.load(text)
    keras_file = tmp_path / "model.keras"
    fitted["transformer", "2d"].model_.save(keras_file)
    with pytest.raises(ValueError, match="not an skseqae model.*keras.saving.load"):
        skseqae.load(keras_file)
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("skseqae.json", json.dumps({"format": "something-else"}))
    with pytest.raises(ValueError, match="not an skseqae model file"):
        skseqae.load(other)


def test_truncated_file_is_refused(saved, tmp_path):
    data = saved.read_bytes()
    for size in (len(data) // 2, len(data) - 10):
        path = tmp_path / f"cut{size}"
        path.write_bytes(data[:size])
        with pytest.raises(ValueError, match="truncated or corrupted"):
            skseqae.load(path)


def test_corrupted_file_is_refused(saved, tmp_path):
    data = bytearray(saved.read_bytes())
    with zipfile.ZipFile(saved) as archive:
        info = archive.getinfo("model.keras")
    # Flip bytes inside the compressed Keras model (past its local header).
    start = info.header_offset + 30 + len(info.filename) + 100
    data[start : start + 8] = bytes(255 - b for b in data[start : start + 8])
    path = tmp_path / "flipped"
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="truncated or corrupted"):
        skseqae.load(path)


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda m: "{not json", "truncated or corrupted"),
        (lambda m: json.dumps({**m, "network": None}), "attributes but no networks"),
    ],
)
def test_damaged_description_is_refused(saved, tmp_path, edit, message):
    # A file whose checksums are fine but whose manifest was edited.
    with zipfile.ZipFile(saved) as archive:
        manifest = json.loads(archive.read("skseqae.json"))
    path = tmp_path / "edited"
    _rewrite(saved, path, {"skseqae.json": edit(manifest)})
    with pytest.raises(ValueError, match=message):
        skseqae.load(path)


def test_newer_format_version_asks_for_an_upgrade(saved, tmp_path):
    with zipfile.ZipFile(saved) as archive:
        manifest = json.loads(archive.read("skseqae.json"))
    manifest["format_version"] = 3
    path = tmp_path / "newer"
    _rewrite(saved, path, {"skseqae.json": json.dumps(manifest)})
    with pytest.raises(ValueError, match="newer skseqae.*Upgrade skseqae"):
        skseqae.load(path)


@pytest.mark.parametrize(
    "units, other_units, message",
    [
        ((3,), (3, 2), r"not the network its parameters build \(unexpected layer"),
        ((3, 2), (3,), r"not the network its parameters build \(missing layer"),
        ((3,), (4,), "layer 'encoder_lstm_0' has other sizes"),
    ],
)
def test_keras_model_with_other_weights_is_refused(
    inputs, tmp_path, units, other_units, message
):
    X = inputs["2d"]
    a, b = tmp_path / "a", tmp_path / "b"
    LSTMAutoencoderTransformer(**{**TINY, "units": units}).fit(X).save(a)
    LSTMAutoencoderTransformer(**{**TINY, "units": other_units}).fit(X).save(b)
    with zipfile.ZipFile(b) as archive:
        other_model = archive.read("model.keras")
    path = tmp_path / "swapped"
    _rewrite(a, path, {"model.keras": other_model})
    with pytest.raises(ValueError, match=message):
        skseqae.load(path)


def test_keras_model_with_python_code_is_refused(saved, tmp_path, monkeypatch):
    # A Lambda layer carries Python bytecode: its layers are not the ones the
    # parameters build, and were they checked no more, safe mode refuses it.
    from skseqae import _files
    from skseqae._backend import keras

    sequences = keras.Input((None, 2))
    doubled = keras.layers.Lambda(lambda x: x * 2.0)(sequences)
    keras.Model(sequences, doubled).save(tmp_path / "code.keras")
    path = tmp_path / "with-code"
    _rewrite(saved, path, {"model.keras": (tmp_path / "code.keras").read_bytes()})
    with pytest.raises(ValueError, match="not the network.*unexpected.*'lambda'"):
        skseqae.load(path)
    monkeypatch.setattr(_files, "_check_keras_file", lambda *args: None)
    with pytest.raises(ValueError, match="cannot be loaded in safe mode.*Lambda"):
        skseqae.load(path)


def test_loading_a_valid_file_warns_nothing(saved):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        skseqae.load(saved)


# ------------------------------------- every estimator kind, in a new process

# Loads every file and pickle it is given, and computes each one's outputs.
KINDS_LOADER = textwrap.dedent(
    """
    import json, pickle, sys

    jobs, inputs_path, out_path = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
    import skseqae

    with open(inputs_path, "rb") as f:
        inputs = pickle.load(f)
    results = {}
    for key, fmt, path in jobs:
        if fmt == "pickle":
            with open(path, "rb") as f:
                est = pickle.load(f)
        else:
            est = skseqae.load(path)
        X = inputs[key]
        methods = [
            m
            for m in ("score_samples", "predict", "predict_proba", "transform")
            if hasattr(est, m)
        ]
        results[f"{key}/{fmt}"] = {
            "class": type(est).__name__,
            **{m: getattr(est, m)(X) for m in methods},
        }
    with open(out_path, "wb") as f:
        pickle.dump(results, f)
    """
)


def _series(n=240, seed=0):
    t = np.arange(n)
    noise = 0.05 * np.random.default_rng(seed).normal(size=n)
    return np.sin(2 * np.pi * t / 20) + noise


def _kinds(X3d):
    """``{name: (fitted estimator or pipeline, its input)}``: one of each kind."""
    from sklearn.decomposition import PCA
    from sklearn.preprocessing import StandardScaler

    from skseqae import WindowAnomalyDetector

    X, y = X3d[:20], np.arange(20) % 2
    series = _series()
    ae = dict(units=2, epochs=1, batch_size=16, random_state=0)
    models = {
        "pooled": (LSTMAutoencoderTransformer(**ae, max_steps=4), X),
        "stacked": (LSTMAutoencoderTransformer(**{**ae, "units": (3, 2)}), X),
        "unidirectional": (LSTMAutoencoderTransformer(**ae, bidirectional=False), X),
        "conditional": (
            CompositeLSTMAutoencoder(**ae, n_future=2, conditional=True),
            X,
        ),
        "detector": (
            WindowAnomalyDetector(
                CompositeLSTMAutoencoder(**ae, n_future=2),
                max_windows=64,
                random_state=0,
            ),
            series,
        ),
        "detector-default": (
            WindowAnomalyDetector(max_windows=32, random_state=0).set_params(
                autoencoder=LSTMAutoencoderTransformer(**ae)
            ),
            series,
        ),
    }
    fitted = {k: (m.fit(x), x) for k, (m, x) in models.items()}
    pipe = make_pipeline(
        LSTMAutoencoderTransformer(**ae), StandardScaler(), PCA(2), LogisticRegression()
    ).fit(X, y)
    fitted["pipeline"] = (pipe, X)
    return fitted


@pytest.fixture(scope="module")
def kinds_elsewhere(X3d, tmp_path_factory):
    folder = tmp_path_factory.mktemp("kinds")
    fitted = _kinds(X3d)
    jobs = []
    # Every attribute a fit sets must be declared, or saving leaves it out
    # with a warning: here an error.
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        for key, (est, _) in fitted.items():
            path = folder / f"{key}.skseqae"
            skseqae.save(est, path)
            jobs.append((key, "skseqae", str(path)))
        for key in ("detector", "detector-default"):
            path = folder / f"{key}.pkl"
            path.write_bytes(pickle.dumps(fitted[key][0]))
            jobs.append((key, "pickle", str(path)))
    inputs_path, out = folder / "inputs.pkl", folder / "out.pkl"
    inputs_path.write_bytes(pickle.dumps({k: x for k, (_, x) in fitted.items()}))
    args = [sys.executable, "-c", KINDS_LOADER, json.dumps(jobs), inputs_path, out]
    done = subprocess.run(args, capture_output=True, timeout=600)
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    return fitted, pickle.loads(out.read_bytes())


@pytest.mark.parametrize(
    "key, fmt",
    [
        ("pooled", "skseqae"),
        ("stacked", "skseqae"),
        ("unidirectional", "skseqae"),
        ("conditional", "skseqae"),
        ("detector", "skseqae"),
        ("detector", "pickle"),
        ("detector-default", "skseqae"),
        ("detector-default", "pickle"),
        ("pipeline", "skseqae"),
    ],
)
def test_every_kind_loads_in_a_new_process_with_bitwise_equal_outputs(
    kinds_elsewhere, key, fmt
):
    fitted, results = kinds_elsewhere
    est, X = fitted[key]
    result = results[f"{key}/{fmt}"]
    assert result["class"] == type(est).__name__
    methods = [
        m
        for m in ("score_samples", "predict", "predict_proba", "transform")
        if hasattr(est, m)
    ]
    assert set(result) == {"class", *methods}
    for method in methods:
        _assert_same(result[method], getattr(est, method)(X))


def _double(x):
    return 2 * x


def test_pipeline_file_refuses_types_skops_does_not_trust(X3d, tmp_path):
    from sklearn.preprocessing import FunctionTransformer

    X, y = X3d[:20], np.arange(20) % 2
    pipe = make_pipeline(
        LSTMAutoencoderTransformer(**TINY),
        FunctionTransformer(_double),  # a function: skops does not trust it
        LogisticRegression(),
    ).fit(X, y)
    skseqae.save(pipe, tmp_path / "p")
    with pytest.raises(ValueError, match="holds type\\(s\\) \\[.*_double'\\]"):
        skseqae.load(tmp_path / "p")


def test_edited_detector_file_is_refused_for_what_was_edited(X3d, tmp_path):
    from skseqae import WindowAnomalyDetector

    detector = WindowAnomalyDetector(
        LSTMAutoencoderTransformer(**TINY), max_windows=32, random_state=0
    ).fit(_series())
    detector.save(tmp_path / "d")
    with zipfile.ZipFile(tmp_path / "d") as archive:
        manifest = json.loads(archive.read("skseqae.json"))
    assert manifest["estimator"] == "WindowAnomalyDetector"
    manifest["attributes"]["window_"] = 7
    _rewrite(tmp_path / "d", tmp_path / "e", {"skseqae.json": json.dumps(manifest)})
    with pytest.raises(ValueError, match="'_reference': an array of shape"):
        skseqae.load(tmp_path / "e")
    manifest["attributes"]["window_"] = detector.window_
    manifest["params"]["distance_weight"] = -1.0
    _rewrite(tmp_path / "d", tmp_path / "e", {"skseqae.json": json.dumps(manifest)})
    with pytest.raises(ValueError, match="fit refuses.*'distance_weight'"):
        skseqae.load(tmp_path / "e")


def test_failed_refit_leaves_the_detector_as_it_was():
    from skseqae import WindowAnomalyDetector

    series = _series()
    detector = WindowAnomalyDetector(
        LSTMAutoencoderTransformer(**TINY), max_windows=32, random_state=0
    ).fit(series)
    before = detector.score_samples(series)
    detector.set_params(window=50)
    with pytest.raises(ValueError, match="longer than the shortest"):
        detector.fit(np.zeros((30, 3)))  # validated (3 features), then refused
    detector.set_params(window="auto")
    assert detector.n_features_in_ == 1
    np.testing.assert_array_equal(detector.score_samples(series), before)
