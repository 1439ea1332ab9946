"""The seed tutorial's reconstruction autoencoder, through skseqae
===============================================================

The tutorial built LSTM(100, relu) -> RepeatVector -> LSTM(100, relu) ->
TimeDistributed(Dense(1)) in Keras, trained it 300 epochs to reproduce
[0.1, ..., 0.9], printed the reconstruction (0.110, 0.207, ..., 0.906), then
cut the model at the encoder to get a (1, 100) feature vector. Here the same
model is one scikit-learn estimator.

Run: python examples/seed_autoencoder.py
"""

import os

import numpy as np

from skseqae import LSTMAutoencoderTransformer

# The documentation build runs this example; with SKSEQAE_DOCS_QUICK=1 or CI
# set it trains briefly, so its numbers there are those of a short run.
QUICK = bool(os.environ.get("SKSEQAE_DOCS_QUICK") or os.environ.get("CI"))

sequence = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9])
sequence = sequence.reshape((1, len(sequence), 1))  # [samples, timesteps, features]

autoencoder = LSTMAutoencoderTransformer(
    units=100,
    encoding="last",  # the tutorial's encoder output: the last hidden state
    bidirectional=False,  # the tutorial's encoder reads forward only
    activation="relu",  # the tutorial's choice; the default is tanh
    epochs=30 if QUICK else 300,
    patience=None,  # train every epoch, as the tutorial does
    scale=False,  # the tutorial feeds the raw values
    random_state=0,
)
autoencoder.fit(sequence)

reconstruction = autoencoder.predict(sequence)
print("reconstruction:", np.round(reconstruction[0, :, 0], 3))
print("max |error|:", float(np.abs(reconstruction - sequence).max()))

# The standalone encoder: the tutorial's Model(inputs, model.layers[0].output).
features = autoencoder.encoder_.predict(sequence, verbose=0)
print("feature vector shape:", features.shape)
print(
    "transform() gives the same:",
    np.allclose(features, autoencoder.transform(sequence)),
)

autoencoder.model_.summary()
