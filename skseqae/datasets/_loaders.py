"""Loaders for the small data sets bundled in ``skseqae/datasets/data``.

The files ship inside the package (see ``data/README.md`` for their
provenance and citations), so loading never touches the network.
"""

from importlib import resources

import numpy as np

#: Bundled data sets, by name, with a one-line description each.
DATASETS = {
    "gunpoint": (
        "GunPoint (UCR): univariate, equal length. 50 train / 150 test "
        "sequences of 150 steps, 1 feature, 2 classes. Test accuracy of plain "
        "baselines: 1-NN Euclidean 0.913, 1-NN DTW 0.907, logistic regression "
        "on raw values 0.853."
    ),
    "italypowerdemand": (
        "ItalyPowerDemand (UCR): univariate, equal length. 67 train / 1029 "
        "test sequences of 24 steps, 1 feature, 2 classes. Baselines: 1-NN "
        "Euclidean 0.955, 1-NN DTW 0.950, logistic regression 0.963."
    ),
    "basicmotions": (
        "BasicMotions (UEA): multivariate, equal length. 40 train / 40 test "
        "sequences of 100 steps, 6 features, 4 classes. Baselines: 1-NN DTW "
        "(dependent) 0.975, ridge on raw values 0.800."
    ),
    "japanesevowels": (
        "JapaneseVowels (UEA): multivariate, variable length. 270 train / 370 "
        "test sequences of 7-29 steps, 12 features, 9 classes. Baselines: "
        "1-NN DTW 0.949, logistic regression on resampled series 0.992."
    ),
}

LAYOUTS = ("padded", "list")


def list_datasets():
    """Names of the bundled data sets, for :func:`load_dataset`.

    Returns
    -------
    names : list of str
        ``["gunpoint", "italypowerdemand", "basicmotions", "japanesevowels"]``.

    See Also
    --------
    load_dataset : Load one of them.

    Examples
    --------
    >>> from skseqae.datasets import list_datasets
    >>> list_datasets()
    ['gunpoint', 'italypowerdemand', 'basicmotions', 'japanesevowels']
    """
    return list(DATASETS)


def load_dataset(name, *, layout="padded"):
    """Load a bundled time-series classification data set, split as published.

    Four small public sets ship with skseqae (no download, ever):

    - ``"gunpoint"``: univariate, 50 train / 150 test sequences of 150
      steps, 2 classes. Logistic regression on raw values: 0.853.
    - ``"italypowerdemand"``: univariate, 67 / 1029 sequences of 24 steps,
      2 classes. Logistic regression: 0.963.
    - ``"basicmotions"``: 6 features, 40 / 40 sequences of 100 steps,
      4 classes. Ridge on raw values: 0.800; 1-NN DTW: 0.975.
    - ``"japanesevowels"``: 12 features, variable length (7 to 29 steps),
      270 / 370 sequences, 9 classes. Logistic regression on resampled
      series: 0.992.

    ``skseqae/datasets/data/README.md`` gives their sources and the papers
    to cite.

    Parameters
    ----------
    name : str
        One of :func:`list_datasets` (case-insensitive).
    layout : {"padded", "list"}, default="padded"
        ``"padded"``: float32 arrays of shape (n_sequences, max_length,
        n_features), shorter sequences padded at the end with NaN.
        ``"list"``: lists of float32 arrays of shape (length_i, n_features),
        each with its sequence's true length. Both layouts are accepted by
        the estimators.

    Returns
    -------
    X_train : ndarray of shape (n_train, max_length, n_features) or list
        Training sequences.
    y_train : ndarray of shape (n_train,) of str
        Training labels.
    X_test : ndarray of shape (n_test, max_length, n_features) or list
        Test sequences.
    y_test : ndarray of shape (n_test,) of str
        Test labels.

    See Also
    --------
    list_datasets : The available names.

    Examples
    --------
    >>> from skseqae.datasets import load_dataset
    >>> X_train, y_train, X_test, y_test = load_dataset("gunpoint")
    >>> X_train.shape, X_test.shape, y_train[:3].tolist()
    ((50, 150, 1), (150, 150, 1), ['2', '2', '1'])
    >>> X_train, _, _, _ = load_dataset("japanesevowels", layout="list")
    >>> len(X_train), X_train[0].shape
    (270, (20, 12))
    """
    key = _check_name(name)
    if layout not in LAYOUTS:
        raise ValueError(
            f"load_dataset got layout={layout!r}; use 'padded' for NaN-padded "
            "3-D arrays or 'list' for a list of arrays with their true lengths."
        )
    with resources.files(__package__).joinpath("data", f"{key}.npz").open("rb") as f:
        with np.load(f, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    X_train, X_test = (
        arrays[k].astype(np.float32, copy=False) for k in ("X_train", "X_test")
    )
    if layout == "list":
        X_train = _unpad(X_train, arrays["lengths_train"])
        X_test = _unpad(X_test, arrays["lengths_test"])
    return X_train, arrays["y_train"], X_test, arrays["y_test"]


def _check_name(name):
    key = str(name).lower()
    if key not in DATASETS:
        raise ValueError(
            f"Unknown data set {name!r}. The bundled data sets are: "
            f"{', '.join(DATASETS)}. For your own data, pass arrays to the "
            "estimators directly."
        )
    return key


def _unpad(X, lengths):
    return [np.array(x[:n]) for x, n in zip(X, lengths)]
