"""Tune an LSTM autoencoder for classification with GridSearchCV
=============================================================

The autoencoder learns features without labels; a logistic regression
classifies them. GridSearchCV picks the autoencoder's size and what its
code is made of (the last LSTM state alone, as in the seed tutorial, or
with the mean and max over time) by 3-fold cross-validation on the training
split only, then the
best pipeline, refitted on the whole training split, is scored once on the
test split. Runs in well under a minute on two CPU cores.

Run: python examples/classification_gridsearch.py
"""

import os
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # write files only, never open a window

from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import GridSearchCV, StratifiedKFold  # noqa: E402
from sklearn.pipeline import Pipeline, make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from skseqae import LSTMAutoencoderTransformer  # noqa: E402
from skseqae.datasets import load_dataset  # noqa: E402
from skseqae.plotting import plot_feature_map  # noqa: E402

# The documentation build runs this example; with SKSEQAE_DOCS_QUICK=1 or CI
# set it trains briefly, so its numbers there are those of a short run.
QUICK = bool(os.environ.get("SKSEQAE_DOCS_QUICK") or os.environ.get("CI"))

OUT = Path("skseqae-examples")

X_train, y_train, X_test, y_test = load_dataset("italypowerdemand")
print(f"ItalyPowerDemand: {len(X_train)} training, {len(X_test)} test sequences")

pipeline = Pipeline(
    [
        (
            "ae",
            LSTMAutoencoderTransformer(epochs=5 if QUICK else 50, random_state=0),
        ),
        ("clf", make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))),
    ]
)
grid = {"ae__units": [16, 64], "ae__encoding": ["last", "last_mean_max"]}
search = GridSearchCV(
    pipeline, grid, cv=StratifiedKFold(3, shuffle=True, random_state=0)
)

start = time.perf_counter()
search.fit(X_train, y_train)
print(
    f"Grid search: {len(search.cv_results_['params'])} candidates x 3 folds "
    f"in {time.perf_counter() - start:.0f} s"
)
for params, mean, std in zip(
    search.cv_results_["params"],
    search.cv_results_["mean_test_score"],
    search.cv_results_["std_test_score"],
):
    print(f"  {params}: cross-validated accuracy {mean:.3f} +/- {std:.3f}")
print(f"Best: {search.best_params_}")
print(f"Test accuracy of the best pipeline: {search.score(X_test, y_test):.3f}")

OUT.mkdir(exist_ok=True)
path = OUT / "gridsearch_feature_map.png"
plot_feature_map(search.best_estimator_.named_steps["ae"], X_test, y_test, path=path)
print(f"Picture of the best autoencoder's test features: {path}")
