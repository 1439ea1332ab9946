"""Variable-length sequences: JapaneseVowels as ragged arrays, into a classifier
=============================================================================

Each of the 640 utterances is a (T_i, 12) array of LPC cepstrum coefficients
with T_i between 7 and 29. The autoencoder reads the list of arrays as it
is (no resampling, no truncation, padding never affects the result) and its
features feed a logistic regression. Baselines on the same test split, from
the data's README: 1-NN DTW 0.949, logistic regression on resampled series
0.992.

Run: python examples/japanese_vowels.py
"""

import os
import time

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skseqae import LSTMAutoencoderTransformer
from skseqae.datasets import load_dataset

# The documentation build runs this example; with SKSEQAE_DOCS_QUICK=1 or CI
# set it trains briefly, so its numbers there are those of a short run.
QUICK = bool(os.environ.get("SKSEQAE_DOCS_QUICK") or os.environ.get("CI"))

X_train, y_train, X_test, y_test = load_dataset("japanesevowels", layout="list")
lengths = [len(x) for x in X_train]
print(
    f"{len(X_train)} training utterances, lengths {min(lengths)}-{max(lengths)}, "
    f"{X_train[0].shape[1]} features per step"
)

pipe = make_pipeline(
    LSTMAutoencoderTransformer(epochs=10 if QUICK else 100, random_state=0),
    StandardScaler(),
    LogisticRegression(max_iter=2000),
)
start = time.perf_counter()
pipe.fit(X_train, y_train)
seconds = time.perf_counter() - start
accuracy = pipe.score(X_test, y_test)
print(
    f"autoencoder features + logistic regression: test accuracy {accuracy:.3f} "
    f"(fit {seconds:.0f} s)"
)
print("baselines (README): 1-NN DTW 0.949, logistic regression on resampled 0.992")

# The same features whether an utterance is encoded alone or in a padded batch:
ae = pipe[0]
alone = ae.transform(X_test[:1])
padded = np.full((2, 60, 12), np.nan, np.float32)
padded[0, : len(X_test[0])] = X_test[0]
padded[1, : len(X_test[1])] = X_test[1]
print(
    "alone vs padded to 60 steps, max |difference|:",
    float(np.abs(alone - ae.transform(padded)[:1]).max()),
)
