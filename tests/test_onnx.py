"""ONNX export: the exported graph computes what the estimators compute."""

import copy
import dataclasses
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from sklearn.decomposition import PCA, TruncatedSVD
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from skseqae import CompositeLSTMAutoencoder, LSTMAutoencoderTransformer, to_onnx
from skseqae._models import NetworkSpec
from skseqae._sequences import padded

onnx = pytest.importorskip("onnx", reason="to_onnx needs the 'onnx' extra")
ort = pytest.importorskip("onnxruntime", reason="running exports needs onnxruntime")

# float32 against float32: the graphs differ only in summation order, and the
# measured differences are about 1e-7.
RTOL, ATOL = 1e-5, 1e-6
ENCODINGS = ["last", "mean", "max", "mean_max", "last_mean_max"]
TINY = {"units": 4, "epochs": 1, "random_state": 0}


@pytest.fixture(scope="module")
def tiny(ragged):
    """One small fitted autoencoder for the tests that need any."""
    return LSTMAutoencoderTransformer(**TINY).fit(ragged)


def _run(model, X, **kwargs):
    proto = to_onnx(model, **kwargs)
    session = ort.InferenceSession(
        proto.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    dtype = np.float64 if kwargs.get("input_dtype") == "float64" else np.float32
    return session.run(None, {"sequences": np.asarray(X, dtype)})


def _check_same(estimator, inputs, score_samples=True):
    """Features (and scores) of the export equal transform's on every input."""
    for X in inputs:
        outputs = _run(estimator, X, score_samples=score_samples)
        np.testing.assert_allclose(
            outputs[0], estimator.transform(X), rtol=RTOL, atol=ATOL
        )
        if score_samples:
            assert outputs[1].dtype == np.float64
            np.testing.assert_allclose(
                outputs[1], estimator.score_samples(X), rtol=RTOL, atol=1e-9
            )


def _inputs(X3d, ragged):
    """Equal-length (2 features), NaN-padded ragged, and a batch of one."""
    return [X3d, padded(ragged), padded(ragged)[:1]]


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize(
    "Estimator, params",
    [(LSTMAutoencoderTransformer, {}), (CompositeLSTMAutoencoder, {"n_future": 2})],
)
def test_every_encoding_matches_transform(Estimator, params, encoding, X3d, ragged):
    estimator = Estimator(encoding=encoding, **params, **TINY).fit(ragged)
    _check_same(estimator, _inputs(X3d, ragged))


@pytest.mark.parametrize(
    "Estimator, params",
    [
        (LSTMAutoencoderTransformer, {"units": (5, 3)}),
        (LSTMAutoencoderTransformer, {"units": (4, 3, 2)}),
        (
            CompositeLSTMAutoencoder,
            {"units": (4, 3), "n_future": 2, "reverse_reconstruction": True},
        ),
        (LSTMAutoencoderTransformer, {"activation": "sigmoid"}),
        (CompositeLSTMAutoencoder, {"future_weight": 0.5}),
        (LSTMAutoencoderTransformer, {"scale": False}),
        # Long sequences are read pooled (without window codes, which do
        # not export); forward-only encoders.
        (
            LSTMAutoencoderTransformer,
            {"units": (4, 3), "max_steps": 4, "window_pooling": None},
        ),
        (
            CompositeLSTMAutoencoder,
            {"max_steps": 3, "reverse_reconstruction": True, "window_pooling": None},
        ),
        (CompositeLSTMAutoencoder, {"bidirectional": False, "n_future": 2}),
        (LSTMAutoencoderTransformer, {"activation": "softsign"}),
    ],
)
def test_stacked_units_and_options_match(Estimator, params, X3d, ragged):
    estimator = Estimator(**{**TINY, **params}).fit(ragged)
    _check_same(estimator, _inputs(X3d, ragged))


@pytest.mark.parametrize(
    "Estimator", [LSTMAutoencoderTransformer, CompositeLSTMAutoencoder]
)
def test_2d_input(Estimator, X2d):
    estimator = Estimator(**TINY).fit(X2d)
    ragged = X2d.copy()
    ragged[::3, 6:] = np.nan
    for X in (X2d, ragged):
        (features,) = _run(estimator, X[:, :, None])
        np.testing.assert_allclose(
            features, estimator.transform(X), rtol=RTOL, atol=ATOL
        )


@pytest.mark.parametrize("target_opset", [13, 18])
def test_other_opsets(target_opset, tiny, ragged):
    # Reductions take their axes as attributes before opset 18, inputs after.
    proto = to_onnx(tiny, target_opset=target_opset)
    assert {o.domain: o.version for o in proto.opset_import}[""] == target_opset
    (features,) = _run(tiny, padded(ragged), target_opset=target_opset)
    np.testing.assert_allclose(features, tiny.transform(ragged), rtol=RTOL, atol=ATOL)


def test_float64_input_keeps_a_large_offset(ragged):
    # Values of 1e4 + x: float32 steps there are 1e-3, x varies by about 1.
    far = [1e4 + s.astype(np.float64) for s in ragged]
    estimator = CompositeLSTMAutoencoder(n_future=2, **TINY).fit(far)
    X = np.full((len(far), max(map(len, far)), 2), np.nan)
    for i, s in enumerate(far):
        X[i, : len(s)] = s
    features, scores = _run(estimator, X, score_samples=True, input_dtype="float64")
    np.testing.assert_allclose(features, estimator.transform(X), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(scores, estimator.score_samples(X), rtol=RTOL, atol=1e-9)


@pytest.mark.parametrize(
    "Estimator, params",
    [(LSTMAutoencoderTransformer, {}), (CompositeLSTMAutoencoder, {"n_future": 2})],
)
def test_sequences_standardized_each_on_their_own_export(
    Estimator, params, X3d, ragged
):
    """scale="auto" on sizes over six orders of magnitude: each sequence's
    moments in the graph, its level and size among the features."""
    sizes = np.logspace(-3, 3, len(ragged))
    wide = [(s * k + 5 * k).astype(np.float32) for s, k in zip(ragged, sizes)]
    estimator = Estimator(**TINY, **params).fit(wide)
    assert estimator.sequence_scaling_
    X = padded(wide)
    _check_same(estimator, [X, X[:1], X3d * np.float32(1e3)])
    if params:
        forecast = _run(estimator, X, forecast=True)[1]
        np.testing.assert_allclose(forecast, estimator.predict(X), rtol=RTOL, atol=ATOL)


def test_pipeline_on_sequences_standardized_each(ragged):
    sizes = np.logspace(-3, 3, len(ragged))
    wide = [(s * k).astype(np.float32) for s, k in zip(ragged, sizes)]
    y = np.arange(len(wide)) % 2
    pipe = make_pipeline(
        LSTMAutoencoderTransformer(**TINY), StandardScaler(), LogisticRegression()
    ).fit(wide, y)
    assert pipe[0].sequence_scaling_
    labels, probabilities = _run(pipe, padded(wide))
    np.testing.assert_array_equal(labels, pipe.predict(wide))
    np.testing.assert_allclose(
        probabilities, pipe.predict_proba(wide), rtol=1e-5, atol=1e-6
    )


def test_longer_sequences_than_training(tiny):
    X = np.sin(np.linspace(0, 20, 60)).astype(np.float32)[None, :, None]
    X = np.repeat(X, 2, axis=2)
    _check_same(tiny, [X])


def test_composite_too_short_to_score_is_nan(ragged):
    estimator = CompositeLSTMAutoencoder(n_future=2, **TINY).fit(ragged)
    X = padded(ragged)[:3].copy()
    X[0, 2:] = np.nan  # two steps: no context left before the future
    features, scores = _run(estimator, X, score_samples=True)
    assert np.isnan(scores[0]) and np.isfinite(scores[1:]).all()
    np.testing.assert_allclose(
        scores[1:], estimator.score_samples(X[1:]), rtol=RTOL, atol=1e-9
    )
    np.testing.assert_allclose(features, estimator.transform(X), rtol=RTOL, atol=ATOL)


def test_classifier_pipeline(ragged):
    y = np.array([np.mean(s[:, 0]) > 0 for s in ragged], dtype=int)
    pipe = make_pipeline(
        LSTMAutoencoderTransformer(**TINY), StandardScaler(), LogisticRegression()
    ).fit(ragged, y)
    labels, probabilities, scores = _run(pipe, padded(ragged), score_samples=True)
    np.testing.assert_array_equal(labels, pipe.predict(ragged))
    np.testing.assert_allclose(
        probabilities, pipe.predict_proba(ragged), rtol=1e-5, atol=1e-6
    )
    np.testing.assert_allclose(
        scores, pipe[0].score_samples(ragged), rtol=RTOL, atol=1e-9
    )


def test_regressor_pipeline(ragged):
    y = np.array([np.mean(s[:, 1]) for s in ragged])
    pipe = make_pipeline(CompositeLSTMAutoencoder(**TINY), Ridge()).fit(ragged, y)
    (predicted,) = _run(pipe, padded(ragged))
    # skl2onnx's Ridge runs in float32: absolute round-off as for features.
    np.testing.assert_allclose(
        predicted.ravel(), pipe.predict(ragged), rtol=RTOL, atol=ATOL
    )


def test_file_passes_checker_and_runs_without_tensorflow(tmp_path, tiny, ragged):
    estimator = tiny
    path, X = tmp_path / "model.onnx", padded(ragged)
    to_onnx(estimator, path, score_samples=True)
    onnx.checker.check_model(onnx.load(path), full_check=True)
    np.save(tmp_path / "X.npy", X)
    script = textwrap.dedent(
        f"""
        import sys
        for name in ("tensorflow", "keras", "skseqae"):
            sys.modules[name] = None  # any import of them now fails
        try:
            import tensorflow
        except ImportError:
            pass
        else:
            raise SystemExit("tensorflow was importable")
        import numpy as np
        import onnxruntime as ort
        session = ort.InferenceSession({str(path)!r})
        X = np.load({str(tmp_path / "X.npy")!r})
        features, scores = session.run(None, {{"sequences": X}})
        np.save({str(tmp_path / "features.npy")!r}, features)
        np.save({str(tmp_path / "scores.npy")!r}, scores)
        assert "tensorflow" not in sys.modules or sys.modules["tensorflow"] is None
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)
    np.testing.assert_allclose(
        np.load(tmp_path / "features.npy"), estimator.transform(X), rtol=RTOL, atol=ATOL
    )
    np.testing.assert_allclose(
        np.load(tmp_path / "scores.npy"), estimator.score_samples(X), rtol=RTOL
    )


def test_conditional_decoder_raises(ragged):
    estimator = CompositeLSTMAutoencoder(conditional=True, **TINY).fit(ragged)
    with pytest.raises(ValueError, match="conditional=True"):
        to_onnx(estimator)


@pytest.mark.parametrize("activation", ["relu", "elu", "linear", "selu", "gelu"])
def test_clipped_cell_state_raises(tiny, activation):
    # Unbounded activations clip the LSTM cell state (stable training); the
    # ONNX LSTM operator's clip bounds the gates' inputs instead.
    estimator = copy.copy(tiny)
    estimator._spec = dataclasses.replace(tiny._spec, activation=activation)
    with pytest.raises(ValueError, match=f"activation='{activation}'.*cell_clip"):
        to_onnx(estimator)


def test_window_codes_raise_with_the_fix(ragged):
    # Up to 14 steps over max_steps=4: the default adds window codes.
    estimator = LSTMAutoencoderTransformer(max_steps=4, **TINY).fit(ragged)
    with pytest.raises(ValueError, match="window_pooling='mean_max'.*=None"):
        to_onnx(estimator)


def test_unknown_architecture_option_raises(tiny):
    # An option added to NetworkSpec later: exported only at its default.
    @dataclasses.dataclass(frozen=True)
    class NewSpec(NetworkSpec):
        new_option: bool = False

    estimator = copy.copy(tiny)  # the copy's _spec changes, not tiny's
    fields = dataclasses.asdict(estimator._spec)
    estimator._spec = NewSpec(**fields)
    assert to_onnx(estimator).graph.output[0].name == "features"
    estimator._spec = NewSpec(**fields, new_option=True)
    with pytest.raises(ValueError, match="new_option=True"):
        to_onnx(estimator)


def test_bad_arguments_raise(tiny):
    with pytest.raises(NotFittedError):
        to_onnx(LSTMAutoencoderTransformer())
    with pytest.raises(ValueError, match="Pipeline whose first step"):
        to_onnx(StandardScaler().fit(np.ones((2, 2))))
    with pytest.raises(ValueError, match="target_opset"):
        to_onnx(tiny, target_opset=9)
    with pytest.raises(ValueError, match="input_dtype"):
        to_onnx(tiny, input_dtype="float16")


@pytest.mark.parametrize(
    "tail, method",
    [
        (lambda: PCA(3, random_state=0), "transform"),
        (lambda: TruncatedSVD(3, random_state=0), "transform"),
        (lambda: SVC(random_state=0), "predict"),
    ],
)
def test_pipelines_whose_converters_write_an_older_opset(tail, method, ragged):
    # skl2onnx writes these in opset 9, ours is 17: merged after conversion.
    y = np.array([np.mean(s[:, 0]) > 0 for s in ragged], dtype=int)
    pipe = make_pipeline(LSTMAutoencoderTransformer(**TINY), tail()).fit(ragged, y)
    outputs = _run(pipe, padded(ragged))
    expected = getattr(pipe, method)(ragged)
    if method == "predict":
        np.testing.assert_array_equal(outputs[0], expected)
    else:
        np.testing.assert_allclose(outputs[0], expected, rtol=1e-4, atol=1e-5)


def _session(proto):
    return ort.InferenceSession(
        proto.SerializeToString(), providers=["CPUExecutionProvider"]
    )


def _nan_inside(X):
    X = X.copy()
    X[1, 2, 0] = np.nan  # one feature of one real step
    return X


def _all_nan_sequence(X):
    X = X.copy()
    X[2] = np.nan
    return X


def _with_value(value):
    def change(X):
        X = X.copy()
        X[0, 1, 1] = value
        return X

    return change


@pytest.mark.parametrize(
    "spoil, input_dtype",
    [
        (_nan_inside, "float32"),
        (_all_nan_sequence, "float32"),
        (_with_value(np.inf), "float32"),
        (_with_value(-np.inf), "float64"),
        (_with_value(1e300), "float64"),  # beyond float32: transform refuses it
    ],
)
def test_export_refuses_what_transform_refuses(tiny, ragged, spoil, input_dtype):
    X = spoil(padded(ragged).astype(np.float64))
    with pytest.raises(ValueError):
        tiny.transform(X)
    dtype = np.float64 if input_dtype == "float64" else np.float32
    with np.errstate(over="ignore"):
        X = X.astype(dtype)
    session = _session(to_onnx(tiny, score_samples=True, input_dtype=input_dtype))
    with pytest.raises(Exception, match="skseqae input check: refused input"):
        session.run(None, {"sequences": X})


def test_trailing_padding_stays_allowed(tiny, ragged):
    # Trailing all-NaN steps are padding; sequences of every length run.
    X = padded(ragged)
    assert np.isnan(X).any()
    (features,) = _session(to_onnx(tiny)).run(None, {"sequences": X})
    np.testing.assert_allclose(features, tiny.transform(X), rtol=RTOL, atol=ATOL)


def test_composite_fitted_on_explicit_futures_scores_that_task(ragged):
    rng = np.random.default_rng(0)
    X = padded(ragged)
    future = rng.normal(size=(len(ragged), 2, 2)).astype(np.float32)
    estimator = CompositeLSTMAutoencoder(n_future=2, **TINY).fit(X, future=future)
    proto = to_onnx(estimator, score_samples=True)
    assert [i.name for i in proto.graph.input] == ["sequences", "future"]
    session = _session(proto)
    features, scores = session.run(None, {"sequences": X, "future": future})
    np.testing.assert_allclose(
        scores, estimator.score_samples(X, future=future), rtol=RTOL, atol=1e-9
    )
    np.testing.assert_allclose(features, estimator.transform(X), rtol=RTOL, atol=ATOL)
    # Features alone need no future.
    (alone,) = _session(to_onnx(estimator)).run(None, {"sequences": X})
    np.testing.assert_allclose(alone, features, rtol=0, atol=0)
    spoiled = future.copy()
    spoiled[0, 1, 0] = np.nan
    with pytest.raises(Exception, match="skseqae input check"):
        session.run(None, {"sequences": X, "future": spoiled})


@pytest.mark.parametrize(
    "params", [{}, {"max_steps": 4, "units": (4, 3), "window_pooling": None}]
)
def test_forecast_output_equals_predict(ragged, params):
    estimator = CompositeLSTMAutoencoder(n_future=3, **{**TINY, **params}).fit(ragged)
    X = padded(ragged)
    proto = to_onnx(estimator, score_samples=True, forecast=True)
    assert [o.name for o in proto.graph.output] == [
        "features",
        "score_samples",
        "forecast",
    ]
    _, _, forecast = _session(proto).run(None, {"sequences": X})
    assert forecast.dtype == np.float64
    np.testing.assert_allclose(forecast, estimator.predict(X), rtol=RTOL, atol=1e-6)


def test_forecast_of_a_pipeline_comes_after_its_outputs(ragged):
    y = np.array([np.mean(s[:, 1]) for s in ragged])
    pipe = make_pipeline(CompositeLSTMAutoencoder(n_future=2, **TINY), Ridge())
    pipe.fit(ragged, y)
    predicted, forecast = _run(pipe, padded(ragged), forecast=True)
    np.testing.assert_allclose(
        predicted.ravel(), pipe.predict(ragged), rtol=RTOL, atol=ATOL
    )
    np.testing.assert_allclose(forecast, pipe[0].predict(ragged), rtol=RTOL, atol=1e-6)


def test_forecast_of_an_autoencoder_without_future_is_refused(tiny):
    with pytest.raises(ValueError, match="forecast=True exports the future decoder"):
        to_onnx(tiny, forecast=True)


@pytest.mark.parametrize("hidden", ["onnx", "skl2onnx"])
def test_missing_onnx_names_the_extra(monkeypatch, tiny, ragged, hidden):
    y = np.arange(len(ragged)) % 2
    pipe = make_pipeline(LSTMAutoencoderTransformer(**TINY), LogisticRegression())
    model = tiny if hidden == "onnx" else pipe.fit(ragged, y)
    monkeypatch.setitem(sys.modules, hidden, None)  # import raises ImportError
    with pytest.raises(ImportError, match=r"pip install skseqae\[onnx\]") as exc:
        to_onnx(model)
    assert hidden in str(exc.value)
