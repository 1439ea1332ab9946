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
    "arrowhead": (
        "ArrowHead (UCR): univariate, equal length. 36 train / 175 test "
        "sequences of 251 steps, 3 classes. Baselines: 1-NN Euclidean 0.800, "
        "logistic regression 0.731."
    ),
    "osuleaf": (
        "OSULeaf (UCR): univariate, equal length. 200 train / 242 test "
        "sequences of 427 steps, 6 classes. Baselines: 1-NN Euclidean 0.521, "
        "logistic regression 0.459."
    ),
    "acsf1": (
        "ACSF1 (UCR): univariate, long. 100 train / 100 test sequences of "
        "1460 steps, 10 classes. Baselines: 1-NN Euclidean 0.540, logistic "
        "regression 0.620."
    ),
    "coffee": (
        "Coffee (UCR): univariate, equal length. 28 train / 28 test sequences "
        "of 286 steps, 2 classes. Baselines: 1-NN Euclidean 1.000, logistic "
        "regression 1.000."
    ),
    "plaid": (
        "PLAID (UCR): univariate, variable length. 537 train / 537 test "
        "sequences of 100-1344 steps, 11 classes. Baselines: 1-NN Euclidean on "
        "series resampled to 1344 steps 0.730, logistic regression 0.361."
    ),
    "covid3month": (
        "Covid3Month (TSER): regression, univariate. 140 train / 61 test "
        "sequences of 84 steps; target a float from 0 to 0.18. Test RMSE of "
        "RidgeCV on raw values 0.0430, of the train mean 0.0447."
    ),
    "cardanosentiment": (
        "CardanoSentiment (TSER): regression, 2 features. 74 train / 33 test "
        "sequences of 24 steps; target a float from -0.49 to 0.98. Test RMSE "
        "of RidgeCV 0.298, of the train mean 0.300."
    ),
}

#: Bundled regression data sets (float targets); the others are classification.
REGRESSION = ("covid3month", "cardanosentiment")

#: Bundled long series for anomaly detection, for :func:`load_series`.
SERIES = {
    "kddtsad135_internalbleeding16": (
        "UCR anomaly archive (KDD Cup 2021) series 135, InternalBleeding16: "
        "7,501 points, 1 feature; the first 1,200 are normal (training part); "
        "one anomalous run of 12 points (4187-4198)."
    ),
    "ecg_diff_count_3": (
        "Synthetic ECG-like series (GutenTAG, TimeEval): 20,000 points, 1 "
        "feature; the first 10,000 are normal (training part); 300 anomalous "
        "points in 3 runs. Training and test parts were generated separately "
        "(a seam at index 10,000)."
    ),
}

LAYOUTS = ("padded", "list")


def list_datasets():
    """Names of the bundled data sets, for :func:`load_dataset`.

    Returns
    -------
    names : list of str
        Nine classification sets (``"gunpoint"``, ``"italypowerdemand"``,
        ``"basicmotions"``, ``"japanesevowels"``, ``"arrowhead"``,
        ``"osuleaf"``, ``"acsf1"``, ``"coffee"``, ``"plaid"``) then two
        regression sets (``"covid3month"``, ``"cardanosentiment"``). The long
        anomaly series are listed by ``list_series``.

    See Also
    --------
    load_dataset : Load one of them.

    Examples
    --------
    >>> from skseqae.datasets import list_datasets
    >>> list_datasets()[:4]
    ['gunpoint', 'italypowerdemand', 'basicmotions', 'japanesevowels']
    >>> len(list_datasets())
    11
    """
    return list(DATASETS)


def load_dataset(name, *, layout="padded"):
    """Load a bundled time-series data set, split as published.

    Eleven small public sets ship with skseqae (no download, ever); the
    first four are the smallest and quickest:

    - ``"gunpoint"``: univariate, 50 train / 150 test sequences of 150
      steps, 2 classes. Logistic regression on raw values: 0.853.
    - ``"italypowerdemand"``: univariate, 67 / 1029 sequences of 24 steps,
      2 classes. Logistic regression: 0.963.
    - ``"basicmotions"``: 6 features, 40 / 40 sequences of 100 steps,
      4 classes. Ridge on raw values: 0.800; 1-NN DTW: 0.975.
    - ``"japanesevowels"``: 12 features, variable length (7 to 29 steps),
      270 / 370 sequences, 9 classes. Logistic regression on resampled
      series: 0.992.

    Five more classification sets (``"arrowhead"``, ``"osuleaf"``,
    ``"acsf1"``, ``"coffee"``, ``"plaid"``, the last of variable length)
    and two regression sets (``"covid3month"``, ``"cardanosentiment"``,
    with float targets) complete the list; ``DATASETS`` describes each.
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
    y_train : ndarray of shape (n_train,) of str, or of float64
        Training labels (class names), or targets for the regression sets.
    X_test : ndarray of shape (n_test, max_length, n_features) or list
        Test sequences.
    y_test : ndarray of shape (n_test,) of str, or of float64
        Test labels or targets.

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
    arrays = _read(key)
    X_train, X_test = (
        arrays[k].astype(np.float32, copy=False) for k in ("X_train", "X_test")
    )
    if layout == "list":
        X_train = _unpad(X_train, arrays["lengths_train"])
        X_test = _unpad(X_test, arrays["lengths_test"])
    return X_train, arrays["y_train"], X_test, arrays["y_test"]


def list_series():
    """Names of the bundled long series for anomaly detection.

    Returns
    -------
    names : list of str

    See Also
    --------
    load_series : Load one of them.

    Examples
    --------
    >>> from skseqae.datasets import list_series
    >>> list_series()
    ['kddtsad135_internalbleeding16', 'ecg_diff_count_3']
    """
    return list(SERIES)


def load_series(name):
    """Load a bundled long series with per-step anomaly labels.

    Parameters
    ----------
    name : str
        One of :func:`list_series` (case-insensitive).

    Returns
    -------
    X : ndarray of shape (n_timesteps, n_features), float32
        The whole series.
    y : ndarray of shape (n_timesteps,), int8
        1 at anomalous steps, 0 elsewhere.
    train_end : int
        ``X[:train_end]`` holds no anomaly (the training part); the rest is
        the test part.

    See Also
    --------
    list_series : The available names.

    Examples
    --------
    >>> from skseqae.datasets import load_series
    >>> X, y, train_end = load_series("kddtsad135_internalbleeding16")
    >>> X.shape, int(y.sum()), train_end
    ((7501, 1), 12, 1200)
    """
    key = _check_name(name, SERIES, "series", "list_series")
    arrays = _read(key)
    return (
        arrays["X"].astype(np.float32, copy=False),
        arrays["y"],
        int(arrays["train_end"]),
    )


def _read(key):
    with resources.files(__package__).joinpath("data", f"{key}.npz").open("rb") as f:
        with np.load(f, allow_pickle=False) as npz:
            return {k: npz[k] for k in npz.files}


def _check_name(name, known=DATASETS, what="data set", lister="list_datasets"):
    key = str(name).lower()
    if key not in known:
        raise ValueError(
            f"Unknown {what} {name!r}. The bundled ones ({lister}()) are: "
            f"{', '.join(known)}. For your own data, pass arrays to the "
            "estimators directly."
        )
    return key


def _unpad(X, lengths):
    return [np.array(x[:n]) for x, n in zip(X, lengths)]
