import numpy as np
import pytest

import skseqae
from skseqae import LSTMAutoencoderTransformer, WindowAnomalyDetector
from skseqae._anomaly import (
    FALLBACK_WINDOW,
    MAX_WINDOW,
    _dominant_period,
    find_events,
)

PERIOD = 20


def _tiny_autoencoder():
    return LSTMAutoencoderTransformer(units=4, epochs=2, batch_size=16, random_state=0)


def _sine(n_timesteps=600, seed=0):
    t = np.arange(n_timesteps)
    noise = 0.05 * np.random.default_rng(seed).normal(size=n_timesteps)
    return np.sin(2 * np.pi * t / PERIOD) + noise


def _with_anomaly(series, start=400, length=10):
    broken = series.copy()
    broken[start : start + length] = 0.0  # the signal stops for half a period
    return broken


@pytest.fixture(scope="module")
def fitted():
    detector = WindowAnomalyDetector(_tiny_autoencoder(), random_state=0)
    return detector.fit(_sine())


def test_auto_window_is_the_period(fitted):
    assert fitted.window_ == PERIOD


def test_lowest_score_is_at_the_injected_anomaly(fitted):
    test = _with_anomaly(_sine(seed=1))
    scores = fitted.score_samples(test)
    assert scores.shape == (len(test),)
    assert 400 - PERIOD <= int(np.argmin(scores)) < 410 + PERIOD


def test_events_cover_the_anomaly_and_match_predict(fitted):
    test = _with_anomaly(_sine(seed=1))
    labels = fitted.predict(test)
    events = fitted.events(test)
    assert events, "the stopped signal must be found"
    start, end, score = events[0]
    assert start < 410 and end > 400  # the most anomalous event overlaps it
    assert score == pytest.approx(fitted.decision_function(test)[start:end].min())
    flagged = np.zeros(len(test), bool)
    for a, b, _ in events:
        flagged[a:b] = True
    np.testing.assert_array_equal(flagged, labels == -1)


def test_normal_series_has_no_or_few_anomalous_steps(fitted):
    labels = fitted.predict(_sine(seed=2))
    assert np.mean(labels == -1) < 0.05


def test_decision_function_is_scores_minus_offset(fitted):
    test = _sine(seed=3)
    np.testing.assert_allclose(
        fitted.decision_function(test), fitted.score_samples(test) - fitted.offset_
    )


def test_chunked_scoring_gives_the_same_scores(fitted):
    test = _with_anomaly(_sine(seed=1))
    whole = fitted.score_samples(test)
    try:
        chunked = fitted.set_params(chunk_size=37).score_samples(test)
    finally:
        fitted.set_params(chunk_size=16384)
    np.testing.assert_allclose(chunked, whole, rtol=1e-5)


def test_list_of_series_in_and_out():
    series = [_sine(300, seed=0), _sine(250, seed=1)[:, None]]
    detector = WindowAnomalyDetector(_tiny_autoencoder(), window=10, random_state=0)
    scores = detector.fit(series).score_samples(series)
    assert isinstance(scores, list)
    assert [len(s) for s in scores] == [300, 250]
    assert detector.n_features_in_ == 1


def test_multivariate_series_and_max_windows():
    X = np.column_stack([_sine(300), np.cos(2 * np.pi * np.arange(300) / PERIOD)])
    detector = WindowAnomalyDetector(
        _tiny_autoencoder(), max_windows=50, aggregation="max", trim=0, random_state=0
    ).fit(X)
    assert detector.n_features_in_ == 2
    assert len(detector._reference) == 50  # fitted on 50 random windows
    assert detector.score_samples(X).shape == (300,)


def test_reconstruction_error_alone_also_finds_the_anomaly():
    detector = WindowAnomalyDetector(
        LSTMAutoencoderTransformer(units=8, epochs=30, random_state=0),
        distance_weight=0.0,
        normalize="series",
        random_state=0,
    ).fit(_sine())
    scores = detector.score_samples(_with_anomaly(_sine(seed=1)))
    assert 400 - PERIOD <= int(np.argmin(scores)) < 410 + PERIOD


def test_higher_contamination_flags_more_steps():
    detector = WindowAnomalyDetector(_tiny_autoencoder(), random_state=0)
    test = _sine(seed=4)
    flagged = []
    for contamination in [0.01, 0.2]:
        detector.set_params(contamination=contamination).fit(_sine())
        flagged.append(np.sum(detector.predict(test) == -1))
    assert flagged[0] < flagged[1]


def _periodic(*periods, n_timesteps=5000):
    t = np.arange(n_timesteps)
    return sum(np.sin(2 * np.pi * t / p) for p in periods)


@pytest.mark.parametrize(
    "series, expected",
    [
        (_sine(600), PERIOD),
        (_periodic(37), 37),
        # a series that repeats every 40 steps, not every 10
        (_periodic(10, 40), 40),
        # a fast period on a slow one longer than any window: the fast one
        (_periodic(25, 1000), 25),
        (np.ones(100), None),
        (np.arange(100.0), None),
    ],
)
def test_dominant_period(series, expected):
    assert _dominant_period(series[:, None], MAX_WINDOW) == expected


@pytest.mark.parametrize(
    "series",
    [
        np.random.default_rng(0).normal(size=600),  # white noise
        np.random.default_rng(1).normal(size=5000),
        np.cumsum(np.random.default_rng(0).normal(size=200)),  # a random walk
    ],
)
def test_series_without_period_gets_the_fallback_window(series):
    detector = WindowAnomalyDetector(_tiny_autoencoder(), max_windows=64)
    assert detector.fit(series).window_ == FALLBACK_WINDOW == 32


def test_contamination_is_the_fraction_flagged_on_the_training_series():
    detector = WindowAnomalyDetector(
        _tiny_autoencoder(), contamination=0.2, random_state=0
    )
    flagged = detector.fit_predict(_sine()) == -1
    assert flagged.mean() == pytest.approx(0.2, abs=0.01)


def test_training_steps_score_like_fresh_normal_steps(fitted):
    # A training window is not matched with itself: its score means what a
    # new window's score means.
    on_training = np.median(fitted.score_samples(_sine()))
    on_fresh = np.median(fitted.score_samples(_sine(seed=5)))
    assert on_training == pytest.approx(on_fresh, rel=0.15)


def test_fit_does_not_touch_numpys_global_generator():
    state = np.random.get_state()[1].copy()
    WindowAnomalyDetector(_tiny_autoencoder(), window=8).fit(_sine(100))
    np.testing.assert_array_equal(np.random.get_state()[1], state)


@pytest.mark.parametrize(
    "fit_data, score_data, message",
    [
        (_sine(100), _sine(100)[:5], "at least window_=20 steps, got one of 5"),
        (np.ones((100, 2)), np.ones(100), r"Reshape your data to \(n_timesteps, 2\)"),
    ],
)
def test_scoring_errors_say_how_to_fix(fit_data, score_data, message):
    detector = WindowAnomalyDetector(_tiny_autoencoder(), window=20).fit(fit_data)
    with pytest.raises(ValueError, match=message):
        detector.score_samples(score_data)


@pytest.mark.parametrize(
    "X, message",
    [
        (np.ones(10), "window=20, longer than the shortest training series"),
        (
            [np.ones((50, 1)), np.ones((50, 2))],
            "X has 2 features, but WindowAnomalyDetector is expecting 1",
        ),
        ([], "empty list of series"),
    ],
)
def test_fit_errors_say_how_to_fix(X, message):
    with pytest.raises(ValueError, match=message):
        WindowAnomalyDetector(_tiny_autoencoder(), window=20).fit(X)


def test_find_events_sorts_most_anomalous_first():
    assert find_events([1.0, -0.5, -2.0, 1.0, -1.0, -1.5]) == [
        (1, 3, -2.0),
        (4, 6, -1.5),
    ]


@pytest.mark.parametrize("trim, anomalous_kept", [(0.05, 0), (0.0, 27)])
def test_trim_leaves_the_anomalous_windows_out(trim, anomalous_kept):
    # Fitted on a series with its anomaly inside (steps 400-409), the refit
    # leaves out the 5% worst windows (29 of 581), among them the 27 with at
    # least 2 of their 20 steps in the anomaly.
    detector = WindowAnomalyDetector(_tiny_autoencoder(), window=20, trim=trim)
    detector.fit(_with_anomaly(_sine()))
    starts = detector._reference_where[1]
    assert np.sum((starts >= 400 - 18) & (starts <= 408)) == anomalous_kept


def test_fit_predict_on_a_series_with_its_anomaly_inside_finds_it():
    detector = WindowAnomalyDetector(_tiny_autoencoder(), random_state=0)
    series = _with_anomaly(_sine())
    events = find_events(detector.fit(series).decision_function(series))
    start, end, _ = events[0]
    assert start < 410 and end > 400
    np.testing.assert_array_equal(
        detector.fit_predict(series), detector.predict(series)
    )


def test_events_of_a_list_are_the_events_of_each_series(fitted):
    series = [_with_anomaly(_sine(seed=1)), _sine(seed=2)]
    events = fitted.events(series)
    assert events == [fitted.events(s) for s in series]
    assert events[0][0][0] <= 400 < events[0][0][1]  # the stopped signal


@pytest.mark.parametrize("bad, kind", [(np.nan, "NaN"), (np.inf, "infinity")])
def test_nan_in_a_series_gets_the_detectors_advice(fitted, bad, kind):
    series = _sine()
    series[[50, 51, 70]] = bad
    for call in (fitted.score_samples, WindowAnomalyDetector(window=20).fit):
        with pytest.raises(ValueError, match=f"{kind} at 3 time step.*step 50") as e:
            call(series)
        assert "HistGradientBoosting" not in str(e.value)
        assert "split the series at them" in str(e.value)


def test_a_loaded_detector_still_knows_its_training_windows(fitted, tmp_path):
    # The training windows' fingerprints are saved: the training series
    # scores as before, its windows still not matched with themselves.
    fitted.save(tmp_path / "detector.skseqae")
    loaded = skseqae.load(tmp_path / "detector.skseqae")
    np.testing.assert_allclose(
        loaded.score_samples(_sine()), fitted.score_samples(_sine()), rtol=1e-6
    )
