"""LSTM autoencoders as scikit-learn estimators.

Turn sequences (equal or variable length, univariate or multivariate) into
fixed-length feature vectors learned without labels, reconstruct them, score
them for anomaly detection, and forecast them.
"""

from ._anomaly import WindowAnomalyDetector
from ._autoencoder import LSTMAutoencoderTransformer
from ._composite import CompositeLSTMAutoencoder
from ._onnx import to_onnx
from ._persistence import load
from ._sequences import from_channels_first
from ._threads import set_tensorflow_threads
from ._windows import sliding_windows

__all__ = [
    "CompositeLSTMAutoencoder",
    "LSTMAutoencoderTransformer",
    "WindowAnomalyDetector",
    "from_channels_first",
    "load",
    "set_tensorflow_threads",
    "sliding_windows",
    "to_onnx",
]
__version__ = "0.1.0"
