"""Forecasting with the composite autoencoder on real data
=======================================================

ItalyPowerDemand holds 1,096 days of Italian electrical power demand, 24
hourly values a day. The composite model reads the first 20 hours of a day
and predicts the last 4; we compare it with repeating the last observed
value. Training uses 80% of the days; the score is on the other 20%.

Run: python examples/forecasting.py  (writes forecasting.png to ./skseqae-examples/)
"""

import os
from pathlib import Path

import numpy as np
from sklearn.model_selection import train_test_split

from skseqae import CompositeLSTMAutoencoder
from skseqae.datasets import load_dataset

# The documentation build runs this example; with SKSEQAE_DOCS_QUICK=1 or CI
# set it trains briefly, so its numbers there are those of a short run.
QUICK = bool(os.environ.get("SKSEQAE_DOCS_QUICK") or os.environ.get("CI"))

N_FUTURE = 4
out_dir = Path("skseqae-examples")

X_train, _, X_test, _ = load_dataset("italypowerdemand")
days = np.concatenate([X_train, X_test])
train, test = train_test_split(days, test_size=0.2, random_state=0)

model = CompositeLSTMAutoencoder(
    n_future=N_FUTURE, units=32, epochs=10 if QUICK else 100, random_state=0
)
model.fit(train)  # each day: first 20 hours are context, last 4 the future

context, truth = test[:, :-N_FUTURE], test[:, -N_FUTURE:]
forecast = model.predict(context)
naive = np.repeat(context[:, -1:], N_FUTURE, axis=1)

mse_model = float(np.mean((forecast - truth) ** 2))
mse_naive = float(np.mean((naive - truth) ** 2))
print(f"epochs run: {model.n_iter_}")
print(f"test MSE, composite autoencoder:  {mse_model:.4f}")
print(f"test MSE, repeat last value:      {mse_naive:.4f}")
print(f"composite / naive:                {mse_model / mse_naive:.3f}")

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("pip install matplotlib to draw the picture")
else:
    fig, axes = plt.subplots(1, 4, figsize=(14, 3), sharey=True)
    hours = np.arange(24)
    for ax, i in zip(axes, range(4)):
        ax.plot(hours, test[i, :, 0], color="0.6", label="observed")
        ax.plot(hours[-N_FUTURE:], forecast[i, :, 0], "o-", label="composite")
        ax.plot(hours[-N_FUTURE:], naive[i, :, 0], "x--", label="last value")
        ax.set_xlabel("hour")
    axes[0].set_ylabel("demand (standardized)")
    axes[0].legend()
    fig.suptitle("ItalyPowerDemand: forecasting the last 4 hours of a day")
    fig.tight_layout()
    out_dir.mkdir(exist_ok=True)
    fig.savefig(out_dir / "forecasting.png", dpi=100)
    print(f"picture: {out_dir / 'forecasting.png'}")
