import numpy as np
import pytest

from skseqae._demo_data import load_demo_data, raw_features, sequence_lengths


def test_bundled_set_comes_with_its_description():
    X_train, y_train, X_test, y_test, description = load_demo_data(
        "BasicMotions", None, 0
    )
    assert X_train.shape == (40, 100, 6) and len(y_test) == 40
    assert description.startswith("BasicMotions (UEA)")


def test_csv_rows_of_different_lengths_become_nan_padded_sequences(tmp_path):
    path = tmp_path / "seqs.csv"
    rows = ["1,2,3,4,up", "4,3,,,down", "# a comment", "1,2,3,,up", "9,8,7,6,down"]
    rows += ["2,3,4,5,up", "5,4,3,,down", "3,4,,,up", "8,7,6,5,down"]
    path.write_text("\n".join(rows) + "\n")
    X_train, y_train, X_test, y_test, _ = load_demo_data(None, path, 0)
    X = np.concatenate([X_train, X_test])
    assert X.shape == (8, 4, 1) and X.dtype == np.float32
    assert sorted(sequence_lengths(X)) == [2, 2, 3, 3, 4, 4, 4, 4]
    assert len(X_test) == 2 and sorted(y_test) == ["down", "up"]  # stratified


def test_npy_labels_in_the_last_column(tmp_path):
    table = np.column_stack([np.arange(24.0).reshape(8, 3), [0, 1] * 4])
    np.save(tmp_path / "seqs.npy", table)
    X_train, y_train, _, y_test, _ = load_demo_data(None, tmp_path / "seqs.npy", 0)
    assert X_train.shape == (6, 3, 1)
    assert set(y_train) | set(y_test) == {"0", "1"}


def test_npz_with_a_split_is_used_as_it_is(tmp_path):
    X = np.random.default_rng(0).normal(size=(5, 7, 2))
    np.savez(
        tmp_path / "d.npz",
        X_train=X,
        y_train=list("aabba"),
        X_test=X[:2],
        y_test=list("ab"),
    )
    X_train, y_train, X_test, y_test, _ = load_demo_data(None, tmp_path / "d.npz", 0)
    np.testing.assert_allclose(X_test, X[:2])
    assert y_train.tolist() == list("aabba")


def test_missing_file_is_named(tmp_path):
    with pytest.raises(ValueError, match="no such file"):
        load_demo_data(None, tmp_path / "nothing.npz", 0)


def test_raw_features_resample_to_one_length_without_nan():
    equal = np.arange(12.0).reshape(2, 3, 2)
    np.testing.assert_array_equal(raw_features(equal, 3), equal.reshape(2, -1))
    ragged = np.array([[0.0, 1.0, 2.0, 3.0], [0.0, 3.0, np.nan, np.nan]])
    features = raw_features(ragged, 4)
    np.testing.assert_allclose(features[1], [0.0, 1.0, 2.0, 3.0])
