"""LSTM autoencoders as scikit-learn estimators.

Turn sequences (equal or variable length, univariate or multivariate) into
fixed-length feature vectors learned without labels, reconstruct them, score
them for anomaly detection, and forecast them.
"""

from ._anomaly import WindowAnomalyDetector
from ._autoencoder import LSTMAutoencoderTransformer
from ._composite import CompositeLSTMAutoencoder
from ._files import load, save
from ._onnx import to_onnx
from ._sequences import from_channels_first
from ._threads import set_tensorflow_threads
from ._version import __version__ as __version__
from ._windows import sliding_windows

__all__ = [
    "CompositeLSTMAutoencoder",
    "LSTMAutoencoderTransformer",
    "WindowAnomalyDetector",
    "from_channels_first",
    "load",
    "save",
    "set_tensorflow_threads",
    "sliding_windows",
    "to_onnx",
]
