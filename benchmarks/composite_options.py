"""Measure the composite's decoder options: reversed reconstruction, conditioning.

For each combination of ``reverse_reconstruction`` and ``conditional`` it
reports, side by side in one run:

- forecast error on held-out noisy sine waves of random frequency and phase
  (relative to the repeat-the-last-value baseline; lower is better);
- 5-fold cross-validated accuracy of a logistic regression on the encoder's
  features, on the GunPoint training split (higher is better);
- fit time.

Usage: python benchmarks/composite_options.py [--seeds 3]
"""

import argparse
import itertools
import time

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skseqae import CompositeLSTMAutoencoder


def sine_waves(n, length, rng):
    t = np.arange(length)
    freq = rng.uniform(0.1, 0.3, (n, 1))
    phase = rng.uniform(0, 2 * np.pi, (n, 1))
    waves = np.sin(freq * t + phase) + 0.05 * rng.standard_normal((n, length))
    return waves[:, :, None]  # 3-D: forecast from contexts of any length


def gunpoint_train():
    from skseqae.datasets import load_dataset

    X, y, _, _ = load_dataset("gunpoint")
    return X, y


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    train, test = sine_waves(400, 50, rng), sine_waves(200, 50, rng)
    n_future = 10
    naive = np.mean((test[:, -n_future:] - test[:, [-n_future - 1]]) ** 2)
    X_gp, y_gp = gunpoint_train()
    print("| reverse | conditional | forecast MSE / naive | GunPoint CV acc | fit s |")
    print("|---|---|---|---|---|")
    for reverse, conditional in itertools.product([True, False], [False, True]):
        ratios, accs, times = [], [], []
        for seed in range(args.seeds):
            params = dict(
                n_future=n_future,
                reverse_reconstruction=reverse,
                conditional=conditional,
                units=32,
                epochs=60,
                random_state=seed,
            )
            start = time.perf_counter()
            model = CompositeLSTMAutoencoder(**params).fit(train)
            times.append(time.perf_counter() - start)
            forecast = model.predict(test[:, :-n_future])
            ratios.append(np.mean((forecast - test[:, -n_future:]) ** 2) / naive)
            clf = make_pipeline(
                CompositeLSTMAutoencoder(**{**params, "n_future": 15}),
                StandardScaler(),
                LogisticRegression(max_iter=1000),
            )
            accs.append(cross_val_score(clf, X_gp, y_gp, cv=5).mean())
        print(
            f"| {reverse} | {conditional} | {np.mean(ratios):.3f} "
            f"± {np.std(ratios):.3f} | {np.mean(accs):.3f} ± {np.std(accs):.3f} "
            f"| {np.mean(times):.1f} |"
        )


if __name__ == "__main__":
    main()
