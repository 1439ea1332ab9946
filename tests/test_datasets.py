import numpy as np
import pytest

from skseqae.datasets import list_datasets, list_series, load_dataset, load_series

SHAPES = {
    # name: (n_train, n_test, n_features, n_classes)
    "gunpoint": (50, 150, 1, 2),
    "italypowerdemand": (67, 1029, 1, 2),
    "basicmotions": (40, 40, 6, 4),
    "japanesevowels": (270, 370, 12, 9),
    "arrowhead": (36, 175, 1, 3),
    "osuleaf": (200, 242, 1, 6),
    "acsf1": (100, 100, 1, 10),
    "coffee": (28, 28, 1, 2),
    "plaid": (537, 537, 1, 11),
}
REGRESSION_SHAPES = {"covid3month": (140, 61, 1), "cardanosentiment": (74, 33, 2)}


def test_list_datasets_names_every_bundled_set():
    assert list_datasets() == list(SHAPES) + list(REGRESSION_SHAPES)
    assert list_series() == ["kddtsad135_internalbleeding16", "ecg_diff_count_3"]


@pytest.mark.parametrize("name", list(REGRESSION_SHAPES))
def test_regression_sets_have_float_targets(name):
    X_train, y_train, X_test, y_test = load_dataset(name)
    n_train, n_test, n_features = REGRESSION_SHAPES[name]
    assert X_train.shape[::2] == (n_train, n_features)
    assert X_test.shape[::2] == (n_test, n_features)
    assert y_train.dtype == y_test.dtype == np.float64
    assert np.isfinite(y_train).all() and y_train.std() > 0


@pytest.mark.parametrize(
    "name, n_steps, train_end, n_anomalous",
    [
        ("kddtsad135_internalbleeding16", 7501, 1200, 12),
        ("ECG_diff_count_3", 20000, 10000, 300),
    ],
)
def test_load_series_gives_a_labelled_long_series(
    name, n_steps, train_end, n_anomalous
):
    X, y, end = load_series(name)
    assert X.shape == (n_steps, 1) and X.dtype == np.float32
    assert y.shape == (n_steps,) and int(y.sum()) == n_anomalous
    assert end == train_end and not y[:end].any()  # the training part is normal


def test_unknown_series_names_the_bundled_ones():
    with pytest.raises(ValueError, match="Unknown series 'x'.*ecg_diff_count_3"):
        load_series("x")


@pytest.mark.parametrize("name", list(SHAPES))
def test_padded_layout_shapes_dtypes_and_labels(name):
    X_train, y_train, X_test, y_test = load_dataset(name)
    n_train, n_test, n_features, n_classes = SHAPES[name]
    assert X_train.dtype == X_test.dtype == np.float32
    assert X_train.ndim == X_test.ndim == 3
    assert (len(X_train), len(y_train)) == (n_train, n_train)
    assert (len(X_test), len(y_test)) == (n_test, n_test)
    assert X_train.shape[2] == X_test.shape[2] == n_features
    assert y_train.dtype.kind == "U"
    assert len(np.unique(y_train)) == n_classes
    assert set(y_test) <= set(y_train)


@pytest.mark.parametrize("name", list(SHAPES))
def test_nan_only_as_trailing_padding(name):
    for X in load_dataset(name)[::2]:
        pad = np.isnan(X).all(axis=2)
        assert np.array_equal(np.isnan(X).any(axis=2), pad)  # whole steps only
        assert not pad[:, 0].any()
        # Once a step is padding, every later step is padding too.
        assert not (pad[:, :-1] & ~pad[:, 1:]).any()


@pytest.mark.parametrize("name", list(SHAPES))
def test_list_layout_agrees_with_padded(name):
    padded = load_dataset(name)
    listed = load_dataset(name, layout="list")
    for X, seqs in zip(padded[::2], listed[::2]):
        assert isinstance(seqs, list) and len(seqs) == len(X)
        for x, s in zip(X, seqs):
            assert s.dtype == np.float32 and s.shape[1] == X.shape[2]
            assert not np.isnan(s).any()
            np.testing.assert_array_equal(s, x[: len(s)])
            assert np.isnan(x[len(s) :]).all()
    for y_padded, y_listed in zip(padded[1::2], listed[1::2]):
        np.testing.assert_array_equal(y_padded, y_listed)


def test_variable_lengths_of_japanesevowels():
    X_train, _, X_test, _ = load_dataset("japanesevowels", layout="list")
    lengths = [len(s) for s in X_train + X_test]
    assert min(lengths) == 7 and max(lengths) == 29
    assert len(set(lengths)) > 10


def test_name_is_case_insensitive():
    X_upper = load_dataset("GunPoint")[0]
    np.testing.assert_array_equal(X_upper, load_dataset("gunpoint")[0])


def test_unknown_name_lists_the_available_sets():
    with pytest.raises(ValueError, match="Unknown data set 'iris'.*gunpoint.*"):
        load_dataset("iris")


def test_unknown_layout_says_which_layouts_exist():
    with pytest.raises(ValueError, match="'padded'.*'list'"):
        load_dataset("gunpoint", layout="ragged")


def test_loading_returns_fresh_arrays():
    X_train = load_dataset("italypowerdemand")[0]
    X_train[:] = 0
    assert load_dataset("italypowerdemand")[0].any()
