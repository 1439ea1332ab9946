"""Compiled TensorFlow code per architecture, shared by all fits and predictions.

Tracing a TensorFlow function costs seconds, far more than an epoch on small
data, and scikit-learn fits the same architecture again and again
(cross-validation folds, grid-search candidates, refits). So the traced
functions live here, one :class:`Architecture` per :class:`NetworkSpec`, in
a small cache, and never in an estimator:

- inference functions take the weights as arguments (Keras'
  ``stateless_call``), so every fitted or unpickled estimator of that
  architecture runs the same compiled code with its own weights;
- training uses a template model under a lock: each fit copies its freshly
  initialised weights in, trains, and copies the result back out
  (see ``_training``).

Estimators never share weights; they share compiled code.
"""

import threading
from collections import OrderedDict

from ._backend import tf
from ._models import build_networks

_CACHE_SIZE = 8
_cache = OrderedDict()
_cache_lock = threading.Lock()


def architecture(spec):
    """The (cached) :class:`Architecture` of ``spec``."""
    with _cache_lock:
        arch = _cache.pop(spec, None) or Architecture(spec)
        _cache[spec] = arch
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return arch


class Architecture:
    """A template of the networks of ``spec`` and its traced functions.

    Attributes
    ----------
    networks : Networks
        Template models; their variables are scratch space for training.
    lock : threading.Lock
        Held while a fit uses the template's variables.
    trainers : dict
        Traced training steps, one per optimizer (filled by ``_training``).
    """

    def __init__(self, spec):
        self.spec = spec
        self.networks = build_networks(spec, seed=0, n_timesteps=1)
        self.lock = threading.Lock()
        self.trainers = {}
        self._encode = _stateless(self.networks.encoder, spec.n_features)
        self._predict = _stateless(self.networks.model, spec.n_features)

    def encode(self, model, x):
        """The encoder's vectors for ``x``, with the weights of ``model``."""
        return self._encode(x, *_values(model))

    def predict(self, model, x):
        """All outputs of the autoencoder ``model`` for ``x``."""
        return self._predict(x, *_values(model))


def _stateless(model, n_features):
    signature = [
        tf.TensorSpec((None, None, n_features), tf.float32),
        [tf.TensorSpec(v.shape, v.dtype) for v in model.trainable_variables],
        [tf.TensorSpec(v.shape, v.dtype) for v in model.non_trainable_variables],
    ]

    def call(x, trainable, non_trainable):
        outputs, _ = model.stateless_call(trainable, non_trainable, x, training=False)
        return outputs

    return traced_once(call, signature)


def traced_once(fn, signature):
    """``tf.function`` with a fixed signature: traced exactly once.

    TensorFlow counts traces per Python code object, so one function per
    architecture (each traced once) looks like "frequent retracing" after five
    architectures and logs a warning. Ours never retrace; that check is off.
    """
    traced = tf.function(fn, input_signature=signature)
    traced._omit_frequent_tracing_warning = True  # private; absent = warning only
    return traced


def _values(model):
    return (
        [v.value for v in model.trainable_variables],
        [v.value for v in model.non_trainable_variables],
    )
