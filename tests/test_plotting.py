import sys

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from skseqae import LSTMAutoencoderTransformer  # noqa: E402
from skseqae.plotting import (  # noqa: E402
    plot_feature_map,
    plot_loss,
    plot_reconstructions,
)

RNG = np.random.default_rng(0)
LENGTHS = [12, 7, 10, 5, 12, 9]
LABELS = np.array(["a", "b", "a", "b", "a", "b"])


def _sequences(layout):
    """Six small sequences in ``layout``: 3-D padded, 2-D, or a ragged list."""
    if layout == "tabular":
        return RNG.normal(size=(6, 12))
    seqs = [RNG.normal(size=(n, 2)) for n in LENGTHS]
    if layout == "list":
        return seqs
    X = np.full((6, 12, 2), np.nan)
    for i, s in enumerate(seqs):
        X[i, : len(s)] = s
    return X


@pytest.fixture(scope="module", params=["padded", "tabular", "list"])
def fitted(request):
    X = _sequences(request.param)
    ae = LSTMAutoencoderTransformer(units=4, epochs=2, random_state=0).fit(X)
    return ae, X


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_plot_reconstructions_returns_figure_and_saves_png(fitted, tmp_path):
    ae, X = fitted
    path = tmp_path / "reconstructions.png"
    fig = plot_reconstructions(ae, X, n=3, path=path)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 3
    assert path.read_bytes()[:4] == b"\x89PNG"


def test_plot_reconstructions_draws_only_real_steps(fitted):
    ae, X = fitted
    fig = plot_reconstructions(ae, X, n=4, max_features=1)
    expected = [12] * 4 if isinstance(X, np.ndarray) and X.ndim == 2 else LENGTHS
    for ax, length in zip(fig.axes, expected):
        original, rebuilt = ax.get_lines()
        assert len(original.get_ydata()) == len(rebuilt.get_ydata()) == length
        assert np.isfinite(rebuilt.get_ydata()).all()


def test_plot_reconstructions_names_each_sequence_and_its_class(fitted):
    ae, X = fitted
    fig = plot_reconstructions(ae, X, n=2, y=list(LABELS))
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[0].startswith("sequence 0 (class a)")
    assert titles[1].startswith("sequence 1 (class b)")


def test_plot_reconstructions_draws_one_line_pair_per_feature():
    X = _sequences("padded")
    ae = LSTMAutoencoderTransformer(units=4, epochs=1, random_state=0).fit(X)
    fig = plot_reconstructions(ae, X, n=2)
    assert len(fig.axes[0].get_lines()) == 2 * X.shape[2]
    fig = plot_reconstructions(ae, X, n=2, max_features=1)
    assert len(fig.axes[0].get_lines()) == 2
    assert "first 1 of 2 features" in fig.axes[1].get_xlabel()


def test_plot_reconstructions_draws_into_given_axes(fitted):
    ae, X = fitted
    fig, axes = plt.subplots(1, 2)
    assert plot_reconstructions(ae, X, n=2, ax=axes) is fig
    with pytest.raises(ValueError, match="pass at least 3 Axes"):
        plot_reconstructions(ae, X, n=3, ax=axes)


def test_plot_reconstructions_rejects_bad_n(fitted):
    ae, X = fitted
    with pytest.raises(ValueError, match="int >= 1"):
        plot_reconstructions(ae, X, n=0)


def test_plot_loss_draws_every_history_curve(fitted, tmp_path):
    ae, _ = fitted
    path = tmp_path / "loss.png"
    fig = plot_loss(ae, path=path)
    assert isinstance(fig, Figure)
    assert path.read_bytes()[:4] == b"\x89PNG"
    (ax,) = fig.axes
    assert {line.get_label() for line in ax.get_lines()} == set(ae.history_)


def test_plot_loss_draws_extra_curves_like_the_composites(fitted):
    ae, _ = fitted
    history = {
        "loss": [3.0, 2.0],
        "val_loss": [3.5, 2.5],
        "reconstruction_loss": [2.0, 1.5],
        "future_loss": [1.0, 0.5],
    }
    ax = plt.figure().add_subplot()
    saved = ae.history_
    try:
        ae.history_ = history
        plot_loss(ae, ax=ax)
    finally:
        ae.history_ = saved
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert list(lines) == ["loss", "val_loss", "future_loss", "reconstruction_loss"]
    # A validation curve is dashed in its training curve's colour; others differ.
    assert lines["val_loss"].get_color() == lines["loss"].get_color()
    assert lines["val_loss"].get_linestyle() == "--"
    colors = {
        lines[k].get_color() for k in ("loss", "future_loss", "reconstruction_loss")
    }
    assert len(colors) == 3


def test_plot_feature_map_colours_each_class(fitted, tmp_path):
    ae, X = fitted
    path = tmp_path / "features.png"
    fig = plot_feature_map(ae, X, LABELS, path=path)
    assert isinstance(fig, Figure)
    assert path.read_bytes()[:4] == b"\x89PNG"
    legend = fig.axes[0].get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["a", "b"]


def test_plot_feature_map_needs_one_label_per_sequence(fitted):
    ae, X = fitted
    with pytest.raises(ValueError, match="one label per sequence"):
        plot_feature_map(ae, X, LABELS[:3])


def test_unfitted_estimator_is_refused():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        plot_loss(LSTMAutoencoderTransformer())


def test_missing_matplotlib_says_how_to_install(fitted, monkeypatch):
    ae, _ = fitted
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"pip install skseqae\[plot\]"):
        plot_loss(ae)


def test_plot_anomalies_draws_series_score_and_events(tmp_path):
    from skseqae import WindowAnomalyDetector
    from skseqae.plotting import plot_anomalies

    t = np.arange(300)
    series = np.sin(2 * np.pi * t / 20)
    test = series.copy()
    test[200:210] = 0.0
    labels = np.zeros(300, int)
    labels[200:210] = 1
    ae = LSTMAutoencoderTransformer(units=4, epochs=2, random_state=0)
    detector = WindowAnomalyDetector(ae, random_state=0).fit(series)
    path = tmp_path / "anomalies.png"
    fig = plot_anomalies(detector, test, labels, start=1000, path=path)
    assert path.read_bytes()[:4] == b"\x89PNG"
    series_ax, score_ax = fig.axes
    names = [t.get_text() for t in series_ax.get_legend().get_texts()]
    assert names == ["labelled", "found"]  # the stop is found as an event
    drawn = score_ax.lines[0].get_ydata()
    np.testing.assert_allclose(drawn, -detector.score_samples(test))
    assert score_ax.lines[0].get_xdata()[0] == 1000
    plt.close(fig)
