"""Classification accuracy of autoencoder features against plain baselines.

For each bundled data set it reports, side by side in one run, the test
accuracy of

- ``LSTMAutoencoderTransformer()`` with its default parameters, followed by
  a standardized logistic regression (what a user gets without tuning);
- the same pipeline tuned by ``GridSearchCV`` over a few autoencoder
  parameters, cross-validated on the training split only;
- logistic regression on the raw values (sequences of different lengths
  resampled to one length first);
- 1-NN with the Euclidean distance on the same raw values;
- 1-NN with unconstrained (dependent, multivariate) dynamic time warping,
  computed here in NumPy (with ``--quick``: quoted from the data sets'
  README, and marked as quoted).

The test split is only ever used to report accuracy. Fit times are wall-clock
seconds of ``fit`` on the training split (for the tuned pipeline: the whole
grid search, refit included).

Usage: python benchmarks/accuracy.py [--quick] [--datasets gunpoint,...]
"""

import argparse
import time

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skseqae import LSTMAutoencoderTransformer
from skseqae.datasets import list_datasets, load_dataset

#: 1-NN DTW test accuracies from skseqae/datasets/data/README.md (UCR/UEA).
QUOTED_DTW = {
    "gunpoint": 0.907,
    "italypowerdemand": 0.950,
    "basicmotions": 0.975,
    "japanesevowels": 0.949,
}

#: Autoencoder parameters searched by GridSearchCV: alternatives to the defaults
#: that came closest in our measurements (which hidden states form the features;
#: whether early stopping watches a validation split, only 4-27 sequences here).
#: Units, learning rate, batch size, dropout and longer training did not help.
GRID = {"encoding": ["mean_max", "last_mean_max"], "validation_fraction": [0.1, None]}
QUICK_GRID = {"encoding": ["mean_max", "last_mean_max"]}


def classifier_steps():
    """The downstream classifier used after every feature extractor."""
    return [StandardScaler(), LogisticRegression(max_iter=5000)]


def autoencoder_pipeline(**params):
    ae = LSTMAutoencoderTransformer(random_state=0, **params)
    return make_pipeline(ae, *classifier_steps())


def sequence_lengths(X):
    """Real length of each NaN-padded sequence."""
    return (~np.isnan(X).all(axis=2)).sum(axis=1)


def resample(X, n_steps):
    """Flatten NaN-padded sequences after resampling each to ``n_steps`` steps."""
    lengths = sequence_lengths(X)
    if np.all(lengths == X.shape[1]) and X.shape[1] == n_steps:
        return X.reshape(len(X), -1)
    grid = np.linspace(0.0, 1.0, n_steps)
    out = np.empty((len(X), n_steps, X.shape[2]))
    for i, (x, n) in enumerate(zip(X, lengths)):
        t = np.linspace(0.0, 1.0, n)
        for f in range(X.shape[2]):
            out[i, :, f] = np.interp(grid, t, x[:n, f])
    return out.reshape(len(X), -1)


def dtw_distances(A, B):
    """Unconstrained DTW between all pairs of NaN-padded sequences.

    Dependent multivariate DTW: the local cost is the squared Euclidean
    distance between time steps. Vectorized over all pairs; the loop runs
    over the time steps of both sequences.
    """
    la, lb = sequence_lengths(A), sequence_lengths(B)
    A, B = np.nan_to_num(A.astype(np.float64)), np.nan_to_num(B.astype(np.float64))
    n, m, n_steps_b = len(A), len(B), B.shape[1]
    b_sq = (B**2).sum(axis=2).T  # (T_b, m)
    out = np.empty((n, m))
    prev = np.full((n_steps_b + 1, n, m), np.inf)
    prev[0] = 0.0
    cur = np.empty_like(prev)
    for i in range(A.shape[1]):
        a = A[:, i]
        cost = (a**2).sum(axis=1)[None, :, None] + b_sq[:, None, :]
        cost -= 2 * np.einsum("nf,mtf->tnm", a, B)
        np.maximum(cost, 0.0, out=cost)
        cur[0] = np.inf
        best = np.minimum(prev[:-1], prev[1:])  # min(D[i-1, j-1], D[i-1, j])
        for j in range(n_steps_b):
            np.minimum(best[j], cur[j], out=cur[j + 1])
            cur[j + 1] += cost[j]
        prev, cur = cur, prev
        done = np.flatnonzero(la == i + 1)
        if len(done):
            out[done] = prev[lb[None, :], done[:, None], np.arange(m)[None, :]]
    return out


def timed_fit(estimator, X, y):
    start = time.perf_counter()
    estimator.fit(X, y)
    return time.perf_counter() - start


def autoencoder_results(X_train, y_train, X_test, y_test, grid, n_splits):
    default = autoencoder_pipeline()
    default_s = timed_fit(default, X_train, y_train)
    search = GridSearchCV(
        autoencoder_pipeline(),
        {f"lstmautoencodertransformer__{k}": v for k, v in grid.items()},
        cv=StratifiedKFold(n_splits, shuffle=True, random_state=0),
    )
    tuned_s = timed_fit(search, X_train, y_train)
    best = {k.split("__")[1]: v for k, v in search.best_params_.items()}
    return {
        "default": default.score(X_test, y_test),
        "default_s": default_s,
        "tuned": search.score(X_test, y_test),
        "tuned_cv": search.best_score_,
        "tuned_s": tuned_s,
        "best": best,
    }


def baseline_results(name, X_train, y_train, X_test, y_test, quick):
    n_steps = X_train.shape[1]
    R_train, R_test = resample(X_train, n_steps), resample(X_test, n_steps)
    results = {
        "raw_lr": make_pipeline(*classifier_steps())
        .fit(R_train, y_train)
        .score(R_test, y_test)
    }
    nn = KNeighborsClassifier(n_neighbors=1).fit(R_train, y_train)
    results["nn_euclid"] = nn.score(R_test, y_test)
    if quick:
        results["nn_dtw"], results["dtw_s"] = f"{QUOTED_DTW[name]:.3f} (quoted)", None
    else:
        start = time.perf_counter()
        nearest = dtw_distances(X_test, X_train).argmin(axis=1)
        results["nn_dtw"] = f"{np.mean(y_train[nearest] == y_test):.3f}"
        results["dtw_s"] = time.perf_counter() - start
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smaller grid, 3 CV folds, DTW accuracies quoted instead of computed",
    )
    parser.add_argument("--datasets", default=",".join(list_datasets()))
    args = parser.parse_args(argv)
    grid, n_splits = (QUICK_GRID, 3) if args.quick else (GRID, 5)
    print(f"Grid searched over (CV on the training split, {n_splits} folds): {grid}")
    print()
    print(
        "| data set | AE default | AE tuned (CV) | raw + LR | 1-NN Euclid. "
        "| 1-NN DTW | fit s: default / tuned / DTW | tuned parameters |"
    )
    print("|---|---|---|---|---|---|---|---|")
    start = time.perf_counter()
    for name in args.datasets.split(","):
        data = load_dataset(name)
        ae = autoencoder_results(*data, grid, n_splits)
        base = baseline_results(name, *data, args.quick)
        dtw_s = "-" if base["dtw_s"] is None else f"{base['dtw_s']:.0f}"
        print(
            f"| {name} | {ae['default']:.3f} | {ae['tuned']:.3f} "
            f"({ae['tuned_cv']:.3f}) | {base['raw_lr']:.3f} | {base['nn_euclid']:.3f} "
            f"| {base['nn_dtw']} | {ae['default_s']:.0f} / {ae['tuned_s']:.0f} / "
            f"{dtw_s} | {ae['best']} |",
            flush=True,
        )
    print()
    print(f"Total time: {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
