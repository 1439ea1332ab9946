import numpy as np
import pytest

from skseqae import sliding_windows
from skseqae._windows import windows_to_steps


def test_windows_are_a_view_of_the_series():
    series = np.arange(20.0).reshape(10, 2)
    windows = sliding_windows(series, window=4)
    assert windows.shape == (7, 4, 2)
    assert np.shares_memory(windows, series)
    np.testing.assert_array_equal(windows[3], series[3:7])


@pytest.mark.parametrize("stride, expected_starts", [(1, range(7)), (3, [0, 3, 6])])
def test_stride_sets_the_window_starts(stride, expected_starts):
    series = np.arange(10.0)
    windows = sliding_windows(series, window=4, stride=stride)
    assert windows.shape == (len(expected_starts), 4, 1)
    np.testing.assert_array_equal(windows[:, 0, 0], list(expected_starts))


def test_a_list_becomes_one_univariate_series():
    windows = sliding_windows([1.0, 2.0, 3.0], window=3)
    np.testing.assert_array_equal(windows, [[[1.0], [2.0], [3.0]]])


@pytest.mark.parametrize(
    "series, window, stride, message",
    [
        (np.zeros(5), 6, 1, "window=6; pass an int between 1 and 5"),
        (np.zeros(5), 2, 0, "stride=0; pass an int >= 1"),
        (np.zeros((2, 5, 1)), 2, 1, "not a batch of series"),
    ],
)
def test_bad_arguments_say_what_to_pass(series, window, stride, message):
    with pytest.raises(ValueError, match=message):
        sliding_windows(series, window, stride)


def _brute_force(scores, n_timesteps, window, stride, how):
    out = []
    for t in range(n_timesteps):
        covering = [
            s for i, s in enumerate(scores) if i * stride <= t < i * stride + window
        ]
        out.append(getattr(np, how)(covering) if covering else np.nan)
    out = np.array(out)
    for t in range(1, n_timesteps):  # uncovered steps take the previous score
        if np.isnan(out[t]):
            out[t] = out[t - 1]
    return out


@pytest.mark.parametrize("how", ["max", "mean", "median"])
@pytest.mark.parametrize(
    "n_timesteps, window, stride", [(30, 5, 1), (31, 6, 4), (9, 9, 1)]
)
def test_each_step_combines_the_windows_that_cover_it(how, n_timesteps, window, stride):
    n_windows = (n_timesteps - window) // stride + 1
    scores = np.random.default_rng(0).normal(size=n_windows)
    got = windows_to_steps(scores, n_timesteps, window, stride, how)
    np.testing.assert_allclose(
        got, _brute_force(scores, n_timesteps, window, stride, how)
    )


def test_steps_between_distant_windows_take_the_previous_score():
    # stride > window leaves gaps; they must not take some far-away score
    got = windows_to_steps([1.0, 9.0, 2.0], n_timesteps=8, window=2, stride=3)
    np.testing.assert_array_equal(got, [1, 1, 1, 9, 9, 9, 2, 2])
