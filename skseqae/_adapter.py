"""What the aeon and sktime adapters share: parameters, the wrapped estimator, docs.

An adapter takes :class:`LSTMAutoencoderTransformer`'s parameters as they
are, under the same names and defaults, and passes them through unchanged
to the plain estimator it fits; so its features are the plain estimator's.
The parameter list is read from the plain estimator's ``__init__`` here,
once, rather than copied: ``get_params`` in scikit-learn, aeon and sktime
(scikit-base) all read it from the signature of ``__init__``, which
:class:`ParametersMixin` declares to be this one.
"""

import inspect

from ._autoencoder import LSTMAutoencoderTransformer

#: ``LSTMAutoencoderTransformer.__init__``'s signature: the adapters' own.
SIGNATURE = inspect.signature(LSTMAutoencoderTransformer.__init__)
NAMES = tuple(SIGNATURE.parameters)[1:]  # without self


def store_parameters(adapter, params):
    """Store each of ``params`` on ``adapter`` under its name, defaults filled in.

    Raises the ``TypeError`` Python raises for a call to
    ``LSTMAutoencoderTransformer`` with an unknown or positional argument.
    """
    try:
        bound = SIGNATURE.bind(adapter, **params)
    except TypeError as exc:
        raise TypeError(f"{type(adapter).__name__}: {exc}") from None
    bound.apply_defaults()
    for name in NAMES:
        setattr(adapter, name, bound.arguments[name])


class ParametersMixin:
    """The plain estimator's parameters as the adapter's own ``__init__``.

    Put it to the left of the library's base class, whose ``__init__`` it
    calls once the parameters are stored (both libraries' convention).
    """

    def __init__(self, **params):
        store_parameters(self, params)
        super().__init__()

    __init__.__signature__ = SIGNATURE


def plain_estimator(adapter):
    """A new ``LSTMAutoencoderTransformer`` with ``adapter``'s parameters."""
    return LSTMAutoencoderTransformer(
        **{name: getattr(adapter, name) for name in NAMES}
    )


def parameters_doc():
    """The plain estimator's numpydoc ``Parameters`` section, word for word."""
    doc = inspect.cleandoc(LSTMAutoencoderTransformer.__doc__)
    start = doc.index("Parameters\n----------\n")
    end = doc.index("Attributes\n----------\n")
    return doc[start:end].rstrip()


def compose_doc(intro, rest):
    """A class docstring: ``intro``, the shared Parameters, then ``rest``.

    ``intro`` and ``rest`` are written without indentation.
    """
    return "\n\n".join(
        (inspect.cleandoc(intro), parameters_doc(), inspect.cleandoc(rest))
    )


#: Fast settings for the libraries' conformance suites: tiny networks, one or
#: two epochs, random initial weights (the pretrained ones need 64 units).
TEST_PARAMS = [
    {"units": 4, "epochs": 1, "pretrained": False, "random_state": 0},
    {
        "units": 2,
        "epochs": 2,
        "encoding": "last",
        "bidirectional": False,
        "pretrained": False,
        "random_state": 1,
    },
]
