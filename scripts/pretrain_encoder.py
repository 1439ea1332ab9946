"""Make the pretrained weights that ``pretrained="auto"`` / ``True`` start from.

Fits ``LSTMAutoencoderTransformer(pretrained=False, random_state=0,
epochs=EPOCHS)`` (the default architecture otherwise: one bidirectional
LSTM of 64 units, codes of last, mean and max, ``max_steps=128``) on
:func:`skseqae._pretrained.pretraining_sequences`: every channel of the
training parts of every bundled data set, univariate sequences of 9-256
steps (longer ones cut into random windows of 32-256 steps), each
z-normalized. Writes ``skseqae/_weights/univariate_bilstm64.npz``
(the encoder's and the reconstruction decoder's weights) and a ``.json``
record beside it (the recipe, the fit, its losses, the versions, the
weights' SHA-256).

The same versions, machine and thread settings give the same weights; other
TensorFlow builds may differ in float32 round-off, and the record says which
made the shipped ones.

Usage::

    python scripts/pretrain_encoder.py [--epochs 300] [--out skseqae/_weights]
"""

import argparse
import hashlib
import json
import platform
import time
from pathlib import Path

import numpy as np

from skseqae import LSTMAutoencoderTransformer
from skseqae._pretrained import (
    FIT,
    RECIPE,
    WEIGHTS,
    layer_weights,
    pretraining_sequences,
)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=FIT["epochs"])
    parser.add_argument(
        "--out", default=str(Path(__file__).parents[1] / "skseqae" / "_weights")
    )
    args = parser.parse_args(argv)

    sequences = pretraining_sequences(**RECIPE)
    lengths = [len(s) for s in sequences]
    print(f"{len(sequences)} sequences of {min(lengths)}-{max(lengths)} steps")
    params = {**FIT, "epochs": args.epochs}
    ae = LSTMAutoencoderTransformer(**params)
    start = time.perf_counter()
    ae.fit(sequences)
    seconds = time.perf_counter() - start
    best = int(np.argmin(ae.history_["val_loss"]))
    print(
        f"fit {seconds:.0f} s, {ae.n_iter_} epochs, best val_loss "
        f"{ae.history_['val_loss'][best]:.4f} at epoch {best + 1}"
    )

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    weights = out / f"{WEIGHTS}.npz"
    np.savez_compressed(weights, **layer_weights(ae.model_))
    import keras
    import sklearn
    import tensorflow as tf

    record = {
        "made_by": "python scripts/pretrain_encoder.py "
        + " ".join(f"--{k} {v}" for k, v in vars(args).items() if k != "out"),
        "recipe": RECIPE,
        "n_sequences": len(sequences),
        "lengths": [min(lengths), max(lengths)],
        "estimator": {"class": "LSTMAutoencoderTransformer", **params},
        "epochs_run": ae.n_iter_,
        # Steps averaged before the encoder (max_steps=128 of the longest).
        "pool": ae._spec.pool,
        "best_epoch": best + 1,
        "best_val_loss": round(float(ae.history_["val_loss"][best]), 6),
        "last_loss": round(float(ae.history_["loss"][-1]), 6),
        "fit_seconds": round(seconds, 1),
        "versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scikit-learn": sklearn.__version__,
            "keras": keras.__version__,
            "tensorflow": tf.__version__,
        },
        "sha256": hashlib.sha256(weights.read_bytes()).hexdigest(),
    }
    (out / f"{WEIGHTS}.json").write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {weights} and {WEIGHTS}.json")


if __name__ == "__main__":
    main()
