"""The seed tutorial's composite autoencoder, through skseqae
==========================================================

One encoder, two decoders: one reconstructs [0.1, ..., 0.9], the other
predicts the sequence shifted by one step, [0.2, ..., 0.9] (the tutorial
passes these future targets explicitly).

Run: python examples/seed_composite.py
"""

import os

import numpy as np

from skseqae import CompositeLSTMAutoencoder

# The documentation build runs this example; with SKSEQAE_DOCS_QUICK=1 or CI
# set it trains briefly, so its numbers there are those of a short run.
QUICK = bool(os.environ.get("SKSEQAE_DOCS_QUICK") or os.environ.get("CI"))

sequence = np.linspace(0.1, 0.9, 9).reshape(1, 9, 1)
future = sequence[:, 1:, :]  # the tutorial's seq_out: 8 steps

model = CompositeLSTMAutoencoder(
    n_future=8,
    units=100,
    encoding="last",  # the tutorial's encoder output: the last hidden state
    bidirectional=False,  # the tutorial's encoder reads forward only
    activation="relu",
    epochs=30 if QUICK else 300,
    patience=None,
    scale=False,
    random_state=0,
)
model.fit(sequence, future=future)

print("reconstruction:", np.round(model.reconstruct(sequence)[0, :, 0], 3))
print("prediction:    ", np.round(model.predict(sequence)[0, :, 0], 3))
print("feature vector shape:", model.transform(sequence).shape)
model.model_.summary()
