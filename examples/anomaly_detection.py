"""Flag unusual sequences by their reconstruction error
====================================================

An LSTM autoencoder trained on one kind of sequence only reconstructs that
kind well. Its ``score_samples`` (the negative reconstruction error of each
sequence) is then an anomaly score: the lower, the more unusual.

Here the "normal" sequences are one speaker's utterances of the Japanese
vowels /ae/ (JapaneseVowels: 12 cepstrum coefficients per step, 7 to 29
steps per utterance, so this also shows variable-length input). The model
never sees the other eight speakers; on the test split we measure how well
the score separates them from the known speaker (ROC AUC), and save a
histogram of the scores. Runs in well under a minute on two CPU cores.

Run: python examples/anomaly_detection.py
"""

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # write files only, never open a window

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402

from skseqae import LSTMAutoencoderTransformer  # noqa: E402
from skseqae.datasets import load_dataset  # noqa: E402

# The documentation build runs this example; with SKSEQAE_DOCS_QUICK=1 or CI
# set it trains briefly, so its numbers there are those of a short run.
QUICK = bool(os.environ.get("SKSEQAE_DOCS_QUICK") or os.environ.get("CI"))

NORMAL = "1"  # the speaker the model learns
OUT = Path("skseqae-examples")

X_train, y_train, X_test, y_test = load_dataset("japanesevowels", layout="list")
normal_train = [x for x, y in zip(X_train, y_train) if y == NORMAL]
print(
    f"Training on speaker {NORMAL}'s {len(normal_train)} utterances "
    f"(lengths {min(map(len, normal_train))} to {max(map(len, normal_train))})"
)

ae = LSTMAutoencoderTransformer(
    units=16, epochs=30 if QUICK else 300, learning_rate=3e-3, random_state=0
).fit(normal_train)
print(f"Trained {ae.n_iter_} epochs (early stopping on a held-out tenth)")

scores = ae.score_samples(X_test)  # higher = more normal
anomalous = y_test != NORMAL
auc = roc_auc_score(anomalous, -scores)
print(
    f"Test split: {np.sum(~anomalous)} utterances of speaker {NORMAL}, "
    f"{np.sum(anomalous)} of the other speakers"
)
print(f"ROC AUC of the reconstruction error for flagging other speakers: {auc:.3f}")

OUT.mkdir(exist_ok=True)
fig, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
errors = -scores
bins = np.linspace(0, np.quantile(errors, 0.99), 40)
ax.hist(errors[~anomalous], bins, alpha=0.7, density=True, label=f"speaker {NORMAL}")
ax.hist(errors[anomalous], bins, alpha=0.7, density=True, label="other speakers")
ax.set_xlabel("reconstruction error (mean squared)")
ax.set_ylabel("density")
ax.set_title(f"Test utterances, ROC AUC {auc:.3f}")
ax.legend()
path = OUT / "anomaly_scores.png"
fig.savefig(path, dpi=110)
print(f"Histogram of the scores: {path}")
