import re
import subprocess
import sys

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from skseqae.__main__ import main  # noqa: E402

PICTURES = ["reconstructions.png", "loss.png", "feature_map.png"]
FAST = ["--epochs", "1", "--units", "4"]


def _accuracies(text):
    found = re.findall(r"^\s+(\d\.\d{3})\s+(.+)$", text, flags=re.MULTILINE)
    return {name: float(acc) for acc, name in found}


def _check_pictures(out):
    for name in PICTURES:
        assert (out / name).read_bytes()[:4] == b"\x89PNG"


def test_demo_prints_both_accuracies_and_writes_three_pictures(tmp_path, capsys):
    out = tmp_path / "pictures"
    status = main(["demo", "--dataset", "ItalyPowerDemand", *FAST, "--out", out])
    assert status == 0
    text = capsys.readouterr().out
    accuracies = _accuracies(text)
    assert set(accuracies) == {
        "autoencoder features + logistic regression",
        "raw values + logistic regression (baseline)",
    }
    # The data README's logistic regression on raw values.
    assert accuracies["raw values + logistic regression (baseline)"] == 0.963
    assert "from random weights" in text  # 4 units: no pretrained weights fit
    assert f"Pictures written to {out}/" in text
    _check_pictures(out)


def test_demo_says_when_it_starts_from_the_pretrained_weights(tmp_path, capsys):
    args = ["--epochs", "1", "--units", "64", "--out", tmp_path]
    assert main(["demo", "--dataset", "ItalyPowerDemand", *args]) == 0
    assert "Trained 1 epochs in" in (text := capsys.readouterr().out)
    assert "from the pretrained weights" in text


def test_demo_with_the_composite_autoencoder(tmp_path, capsys):
    main(
        ["demo", "--dataset", "italypowerdemand", "--estimator", "composite"]
        + FAST
        + ["--n-future", "2", "--out", tmp_path]
    )
    text = capsys.readouterr().out
    assert "CompositeLSTMAutoencoder(n_future=2" in text
    assert len(_accuracies(text)) == 2
    _check_pictures(tmp_path)


def _labelled_rows(n=24, length=10, seed=0):
    """Sequences of two classes (rising, falling) of lengths 6 to 10."""
    rng = np.random.default_rng(seed)
    rows, labels = np.full((n, length), np.nan), []
    for i in range(n):
        steps = rng.integers(6, length + 1)
        sign = 1 if i % 2 else -1
        rows[i, :steps] = sign * np.linspace(0, 1, steps) + 0.1 * rng.normal(size=steps)
        labels.append("up" if sign > 0 else "down")
    return rows, np.array(labels)


def test_demo_on_a_csv_of_variable_length_sequences(tmp_path, capsys):
    rows, labels = _labelled_rows()
    lines = [
        ",".join("" if np.isnan(v) else f"{v:.4f}" for v in row) + f",{label}"
        for row, label in zip(rows, labels)
    ]
    path = tmp_path / "mine.csv"
    path.write_text("# my sequences\n" + "\n".join(lines) + "\n")
    main(["demo", "--data", path, *FAST, "--out", tmp_path / "out"])
    text = capsys.readouterr().out
    assert f"your data from {path}" in text
    assert "Test accuracy on 6 sequences" in text  # a quarter held out
    _check_pictures(tmp_path / "out")


@pytest.mark.parametrize(
    "contents, message",
    [
        (
            {"X": np.zeros((4, 5))},
            "needs X_train, y_train, X_test and y_test, or X and y",
        ),
        ({"X": np.zeros((4, 5)), "y": np.zeros(3)}, "one label per sequence"),
    ],
)
def test_demo_explains_a_bad_npz(tmp_path, capsys, contents, message):
    path = tmp_path / "bad.npz"
    np.savez(path, **contents)
    with pytest.raises(SystemExit) as exc:
        main(["demo", "--data", path])
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_demo_explains_an_unknown_file_type(tmp_path, capsys):
    path = tmp_path / "seqs.txt"
    path.write_text("1,2,3")
    with pytest.raises(SystemExit):
        main(["demo", "--data", path])
    assert "use a .npz, .csv or .npy file" in capsys.readouterr().err


def test_unknown_dataset_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["demo", "--dataset", "iris"])
    assert exc.value.code == 2
    assert "gunpoint" in capsys.readouterr().err


def test_demo_without_matplotlib_says_how_to_install_it(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(SystemExit) as exc:
        main(["demo"])
    assert exc.value.code == 1
    assert "pip install skseqae[plot]" in capsys.readouterr().err


def test_no_command_prints_help(capsys):
    assert main([]) == 2
    assert "demo" in capsys.readouterr().out


def test_help_documents_the_data_formats():
    # As a user runs it; also checks that the help needs no TensorFlow.
    result = subprocess.run(
        [sys.executable, "-m", "skseqae", "demo", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "label in the last column" in result.stdout
    assert "X_train, y_train, X_test, y_test" in result.stdout


def test_demo_anomaly_scores_a_long_series_and_draws_it(tmp_path, capsys):
    status = main(["demo", "anomaly", *FAST, "--out", tmp_path])
    assert status == 0
    text = capsys.readouterr().out
    auc = _accuracies(text)["ROC AUC per step, WindowAnomalyDetector"]
    assert auc > 0.9  # 0.996 measured with these tiny settings; 0.267 by z-score
    assert "window_=183" in text  # the period of the training part
    assert "Labelled anomalies (start, end): [(4187, 4199)]" in text
    assert (tmp_path / "anomalies.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    "contents, message",
    [(b"hello, not a zip", "not a readable .npz file"), (None, "rename it to .npy")],
)
def test_demo_names_an_unreadable_npz(tmp_path, capsys, contents, message):
    path = tmp_path / "broken.npz"
    if contents is None:  # a .npy written under a .npz name
        with open(path, "wb") as f:
            np.save(f, np.zeros((4, 5)))
    else:
        path.write_bytes(contents)
    with pytest.raises(SystemExit) as exc:
        main(["demo", "--data", path])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert str(path) in err and message in err
    assert "allow_pickle" not in err


def test_out_naming_a_file_is_a_clear_error(tmp_path, capsys):
    taken = tmp_path / "taken"
    taken.write_text("")
    with pytest.raises(SystemExit) as exc:
        main(["demo", "--dataset", "italypowerdemand", *FAST, "--out", taken])
    assert exc.value.code == 2
    assert f"--out {taken}: a file of that name exists" in capsys.readouterr().err
    assert taken.read_text() == ""


def test_version(capsys):
    from skseqae import __version__

    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"skseqae {__version__}"


@pytest.mark.parametrize("given", [["--dataset", "gunpoint"], ["--data", "x.npz"]])
def test_anomaly_refuses_a_classification_data_set(capsys, given):
    with pytest.raises(SystemExit) as exc:
        main(["demo", "anomaly", *given, *FAST])
    assert exc.value.code == 2
    assert f"demo anomaly reads a bundled long series (--series), not {given[0]}" in (
        capsys.readouterr().err
    )


def test_units_help_gives_the_default_number_of_features(capsys):
    from skseqae import LSTMAutoencoderTransformer

    with pytest.raises(SystemExit):
        main(["demo", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    X = np.random.default_rng(0).normal(size=(4, 5, 1))
    ae = LSTMAutoencoderTransformer(units=2, epochs=1, random_state=0).fit(X)
    ratio = ae.transform(X).shape[1] // 2
    assert f"{ratio} x units" in help_text
