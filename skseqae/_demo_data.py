"""The demo's data: bundled sets, the user's own files, and the raw baseline."""

from pathlib import Path

import numpy as np
from sklearn.model_selection import train_test_split

from .datasets import load_dataset
from .datasets._loaders import DATASETS

#: What ``skseqae demo --data FILE`` reads (shown in ``--help``).
DATA_FORMATS = """\
--data FILE reads your own labelled sequences:
  .npz  arrays X_train, y_train, X_test, y_test (the bundled sets' format),
        or X and y. X is (n_sequences, n_timesteps, n_features), or
        (n_sequences, n_timesteps) for univariate sequences; shorter
        sequences are padded at the end with NaN. y holds one label each.
  .csv  one univariate sequence per row, numbers separated by commas, its
        label in the last column; shorter sequences leave trailing cells
        empty (1.5,2.0,0.7,,,walk). No header; lines starting with # are
        skipped.
  .npy  a 2-D numeric array laid out like the .csv (NaN for empty cells).
Without a train/test split in the file, a stratified quarter of the
sequences (seeded by --random-state) is held out for testing."""


def load_demo_data(dataset, data, random_state):
    """``(X_train, y_train, X_test, y_test, description)`` for the demo."""
    if data is None:
        return (*load_dataset(dataset), DATASETS[dataset.lower()])
    path = Path(data)
    if not path.is_file():
        raise ValueError(f"--data {data}: no such file.")
    readers = {".npz": _read_npz, ".csv": _read_csv, ".npy": _read_npy}
    reader = readers.get(path.suffix.lower())
    if reader is None:
        raise ValueError(
            f"--data {data}: unknown file type {path.suffix!r}; "
            "use a .npz, .csv or .npy file (see skseqae demo --help)."
        )
    arrays = reader(path)
    if len(arrays) == 2:
        arrays = _split(*arrays, random_state, data)
    X_train, y_train, X_test, y_test = arrays
    return X_train, y_train, X_test, y_test, f"your data from {data}"


def _load(path, kind):
    """``np.load`` of a ``kind`` file, its failures as a ValueError naming it."""
    try:
        loaded = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        # A file that is neither a zip nor a .npy reaches NumPy's pickle path,
        # whose message (allow_pickle) would mislead: say what the file is not.
        writer = (
            "numpy.savez (a zip of .npy arrays)" if kind == ".npz" else "numpy.save"
        )
        raise ValueError(
            f"--data {path}: not a readable {kind} file; write it with {writer[kind]}."
        ) from exc
    found = ".npz" if isinstance(loaded, np.lib.npyio.NpzFile) else ".npy"
    if found != kind:
        raise ValueError(
            f"--data {path}: the file holds a {found} file's contents, not a "
            f"{kind} file's; rename it to {found}."
        )
    return loaded


def _read_npz(path):
    with _load(path, ".npz") as npz:
        names = set(npz.files)
        split = ["X_train", "y_train", "X_test", "y_test"]
        for keys in (split, ["X", "y"]):
            if names.issuperset(keys):
                arrays = [npz[k] for k in keys]
                break
        else:
            raise ValueError(
                f"--data {path}: the .npz file holds {sorted(names)}; it needs "
                "X_train, y_train, X_test and y_test, or X and y."
            )
    for X, y in zip(arrays[::2], arrays[1::2]):
        _check_pair(X, y, path)
    return [X.astype(np.float32) if i % 2 == 0 else X for i, X in enumerate(arrays)]


def _read_csv(path):
    try:
        table = np.genfromtxt(
            path, delimiter=",", dtype=str, comments="#", autostrip=True, ndmin=2
        )
        values = np.where(table[:, :-1] == "", "nan", table[:, :-1]).astype(float)
    except ValueError as exc:
        raise ValueError(
            f"--data {path}: could not read the .csv as numbers with a label in "
            f"the last column ({exc}). Remove any header line."
        ) from exc
    return _table(values, table[:, -1], path)


def _read_npy(path):
    table = _load(path, ".npy")
    if table.ndim != 2 or table.dtype.kind not in "fiu":
        raise ValueError(
            f"--data {path}: expected a 2-D numeric array (one sequence per row, "
            f"label in the last column), got shape {table.shape}, dtype {table.dtype}."
        )
    labels = table[:, -1]
    if np.all(labels == np.round(labels)):
        labels = labels.astype(np.int64)
    return _table(table[:, :-1].astype(float), labels.astype(str), path)


def _table(values, labels, path):
    if values.shape[1] == 0:
        raise ValueError(
            f"--data {path}: each row needs the sequence's values and then its "
            "label, but found a single column."
        )
    return values.astype(np.float32)[:, :, None], labels


def _check_pair(X, y, path):
    if X.ndim not in (2, 3) or y.ndim != 1 or len(X) != len(y):
        raise ValueError(
            f"--data {path}: X must be (n_sequences, n_timesteps[, n_features]) "
            f"with one label per sequence in y; got X {X.shape} and y {y.shape}."
        )


def _split(X, y, random_state, data):
    try:
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=0.25, stratify=y, random_state=random_state
        )
    except ValueError as exc:
        raise ValueError(
            f"--data {data}: cannot hold out a stratified test set ({exc}). "
            "Give each class at least two sequences, or put X_train, y_train, "
            "X_test and y_test in a .npz file."
        ) from exc
    return X_train, y_train, X_test, y_test


# --------------------------------------------------------------------------
# The raw-values baseline.


def raw_features(X, length):
    """Each sequence resampled to ``length`` steps and flattened.

    Equal-length sequences of ``length`` steps come back unchanged (only
    flattened); shorter or longer ones are linearly interpolated, so that
    NaN padding never reaches the classifier.
    """
    X = np.asarray(X, dtype=np.float64)
    X = X[:, :, None] if X.ndim == 2 else X
    grid = np.linspace(0.0, 1.0, length)
    out = np.empty((len(X), length, X.shape[2]))
    for i, seq in enumerate(X):
        seq = seq[~np.isnan(seq).all(axis=1)]
        steps = np.linspace(0.0, 1.0, len(seq))
        for j in range(X.shape[2]):
            out[i, :, j] = np.interp(grid, steps, seq[:, j])
    return out.reshape(len(X), -1)


def sequence_lengths(X):
    """Real length of each sequence of a NaN-padded 2-D or 3-D array."""
    X = np.asarray(X)
    return (~np.isnan(X.reshape(len(X), X.shape[1], -1)).all(axis=2)).sum(axis=1)
