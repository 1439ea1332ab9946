"""Pickling fitted estimators, and the check that stored networks are whole.

Two ways out of a process share one representation of the networks: the
:class:`NetworkSpec` as a dict, and each layer's variables as NumPy arrays,
keyed by the layer's name. Loading rebuilds the networks from the spec with
``_models.build_networks`` (importing ``_models`` registers the custom Keras
layers) and assigns the arrays, so the autoencoder, its encoder and its
decoders share their layers again, and nothing needs importing first.

``pickle``, ``joblib``, ``cloudpickle``, ``copy.deepcopy`` and skops go
through the estimator's ``__getstate__``/``__setstate__`` (:class:`Persistent`):
the state holds only Python and NumPy values, never a Keras or TensorFlow
object. Files (``_files``) store the same state as JSON, arrays and a
``.keras`` model. Both end in :func:`skseqae._state.restore`, which checks the
parameters as ``fit`` does, the fitted attributes against what the class
declares, and (:func:`attach_networks`) that the stored networks are the
ones the parameters build.

TensorFlow is imported only when networks are built, never on
``import skseqae``.
"""

import dataclasses
import warnings

import numpy as np

from ._state import ANYTIME, StateError, is_fitted, restore

#: Fitted attributes that hold the Keras networks (rebuilt, never stored).
_NETWORK_ATTRIBUTES = ("model_", "encoder_", "_decoders", "_spec")
#: Where the pickled state keeps the networks' spec and variables.
NETWORKS_KEY = "_skseqae_networks"
#: Objects of these packages are live runtime state (models, optimizers,
#: tensors, traced functions): they are dropped from the pickled state.
_LIVE_PACKAGES = frozenset({"keras", "tensorflow", "tf_keras"})


class Persistent:
    """Mixin: ``save``, and pickling through the one loading path.

    A class using it declares ``_fitted_attributes`` (and may declare
    ``_optional_attributes`` and ``_legacy_defaults``, see
    :mod:`skseqae._state`) and is registered with ``_state.register``.
    """

    _optional_attributes = {}
    _legacy_defaults = {}

    def save(self, path):
        """Save the fitted estimator to one file, safe to load anywhere.

        The file (a zip archive) holds the parameters and fitted attributes
        as JSON and NumPy arrays, each autoencoder in Keras' ``.keras``
        format and the versions of skseqae, Keras and TensorFlow that wrote
        it. Load it with :func:`skseqae.load`, which executes no pickled
        code. The file is written next to ``path`` and renamed into place,
        so an interrupted save never leaves a partial file under ``path``.

        Parameters that are objects are stored through Keras serialization
        when it can (an optimizer instance); others (Keras' built-in
        callbacks, a ``RandomState``) are left out with a warning naming
        them, and the loaded estimator has their default values.

        Parameters
        ----------
        path : str or path-like
            Where to write the file (replaced if it exists).

        Raises
        ------
        sklearn.exceptions.NotFittedError
            If the estimator is not fitted.
        ValueError
            If a parameter was changed after ``fit`` in a way that changes
            the network (refit first), or a fitted part has no safe form
            (an autoencoder that is not skseqae's).

        See Also
        --------
        skseqae.load : Load a saved estimator.

        Examples
        --------
        >>> import os, tempfile
        >>> import numpy as np
        >>> import skseqae
        >>> X = np.sin(np.linspace(0, 3, 12))[None, :] * np.arange(1, 7)[:, None]
        >>> model = skseqae.CompositeLSTMAutoencoder(units=3, epochs=1).fit(X)
        >>> path = os.path.join(tempfile.mkdtemp(), "model.skseqae")
        >>> model.save(path)
        >>> type(skseqae.load(path)).__name__
        'CompositeLSTMAutoencoder'
        """
        from ._files import save

        save(self, path)

    def __getstate__(self):
        # Plain values only (the networks as a spec and arrays), so that
        # pickle, joblib and skops need no Keras object to load.
        return portable_state(self, super().__getstate__())

    def __setstate__(self, state):
        if not isinstance(state, dict):
            raise ValueError(
                f"A pickled {type(self).__name__} holds a {type(state).__name__} "
                "instead of its attributes; it was not written by skseqae."
            )
        state, networks = split_networks(state)
        where = f"A pickled {type(self).__name__}"
        restore(self, state, where, _pickled_networks(networks, where))

    def _check_restored(self, networks):
        """Check that the restored parts agree; hook for subclasses."""
        if networks is not None:
            raise StateError("it holds networks, which it does not use")


# ----------------------------------------------------------- pickle state


def portable_state(estimator, state):
    """``state`` (the estimator's ``__dict__``) with the networks as plain values.

    The Keras models become ``{"spec", "n_timesteps", "variables"}`` under one
    key. Attributes the class does not declare are dropped: live Keras or
    TensorFlow objects (caches such as an optimizer) silently, since they
    cannot outlive the process, others with a warning, since loading would
    refuse them. Parameters are kept as the user set them.
    """
    cls = type(estimator)
    state = dict(state)
    if is_fitted(estimator) and "model_" in state:
        check_unchanged_since_fit(estimator)
    model = state.get("model_")
    for name in _NETWORK_ATTRIBUTES:
        state.pop(name, None)
    known = {
        *estimator.get_params(deep=False),
        *cls._fitted_attributes,
        *cls._optional_attributes,
        *ANYTIME,
        "_sklearn_version",
    }
    unknown = [n for n in state if n not in known]
    dropped = [n for n in unknown if not is_live(state[n])]
    if dropped:
        warnings.warn(
            f"{cls.__name__}: the attribute(s) {dropped} are not part of a "
            f"fitted {cls.__name__}, so saving and pickling leave them out.",
            UserWarning,
            stacklevel=3,
        )
    for name in unknown:
        del state[name]
    if model is not None:
        state[NETWORKS_KEY] = {
            "spec": dataclasses.asdict(estimator._spec),
            "n_timesteps": int(estimator.n_timesteps_),
            "variables": layer_values(model, all_variables),
        }
    return state


def split_networks(state):
    """Split an unpickled state into the attributes and the networks' part."""
    state = dict(state)
    return state, state.pop(NETWORKS_KEY, None)


class StoredNetworks:
    """The stored description of an autoencoder's networks, not yet built.

    ``spec`` is the stored NetworkSpec dict and ``n_timesteps`` the stored
    length; ``assign(model)`` sets the stored variables on a model built for
    the checked spec, or raises ValueError before assigning anything.
    """

    def __init__(self, spec, n_timesteps, assign):
        self.spec, self.n_timesteps, self.assign = spec, n_timesteps, assign


def _pickled_networks(networks, where):
    if networks is None:
        return None
    if not isinstance(networks, dict) or set(networks) != {
        "spec",
        "n_timesteps",
        "variables",
    }:
        raise ValueError(f"{where}: its stored networks are damaged.")
    variables = networks["variables"]

    def assign(model):
        check_values(variables, where)
        assign_values(model, variables, all_variables, where)

    return StoredNetworks(networks["spec"], networks["n_timesteps"], assign)


def check_values(values, where):
    ok = isinstance(values, dict) and all(
        isinstance(k, str)
        and isinstance(v, (list, tuple))
        and all(isinstance(a, np.ndarray) and a.dtype.kind in "biuf" for a in v)
        for k, v in values.items()
    )
    if not ok:
        raise ValueError(
            f"{where}: its stored variables are not lists of numeric arrays by "
            "layer name; it is damaged or was edited."
        )


def check_unchanged_since_fit(estimator):
    """Raise ValueError if the parameters now build another network than ``_spec``."""
    problem = _spec_difference(estimator, estimator._spec)
    if problem:
        raise ValueError(
            f"This {type(estimator).__name__} cannot be saved or pickled: its "
            f"parameters were changed after fit ({problem}), so they no longer "
            "describe its network. Refit it, or set them back."
        )


def attach_networks(estimator, stored):
    """Check ``stored`` (:class:`StoredNetworks`) against ``estimator``; build it.

    The one check that a restored autoencoder is whole: its parameters and
    fitted attributes build exactly the stored network (same spec, same
    length), the stored variables fit that network, and the optimizer state
    fits its weights. Raises StateError (or ValueError) otherwise.
    """
    fitted = is_fitted(estimator)
    if not fitted:
        if stored is not None:
            raise StateError("it holds networks but no fitted attributes")
        return
    if stored is None:
        raise StateError("it holds fitted attributes but no networks")
    spec = _stored_spec(stored.spec)
    problem = _spec_difference(estimator, spec)
    if problem:
        raise StateError(f"its parameters do not build its stored network: {problem}")
    n_timesteps = stored.n_timesteps
    if isinstance(n_timesteps, bool) or n_timesteps != estimator.n_timesteps_:
        raise StateError(
            f"n_timesteps_={estimator.n_timesteps_}, but its stored network was "
            f"built for {n_timesteps!r} steps"
        )
    if estimator._fit_layout != "tabular" and (
        estimator.n_features_in_ != estimator._n_step_features
    ):
        raise StateError(
            f"n_features_in_={estimator.n_features_in_} differs from the "
            f"{estimator._n_step_features} features per step of sequence input"
        )
    networks = _build(_derived_spec(estimator), estimator.n_timesteps_)
    _check_optimizer_state(
        estimator._optimizer_state, networks.model, estimator.optimizer
    )
    stored.assign(networks.model)
    _attach(estimator, networks, _derived_spec(estimator))


def _derived_spec(estimator):
    """The NetworkSpec that ``estimator``'s parameters and attributes build."""
    return dataclasses.replace(
        estimator._network_spec(estimator._n_step_features, estimator._check_units()),
        **estimator._encoder_options(estimator.n_timesteps_),
    )


def _spec_difference(estimator, spec):
    """Which fields of ``spec`` the parameters would build otherwise, or ''."""
    try:
        derived = _derived_spec(estimator)
    except ValueError as exc:
        raise StateError(str(exc)) from None
    fields = [f.name for f in dataclasses.fields(derived)]
    return ", ".join(
        f"{f}: parameters give {getattr(derived, f)!r}, network has "
        f"{getattr(spec, f)!r}"
        for f in fields
        if not _same(getattr(derived, f), getattr(spec, f))
    )


def _same(a, b):
    """Equal, and of the same type (2 is not 2.0 or True here)."""
    if isinstance(a, tuple):
        return isinstance(b, tuple) and len(a) == len(b) and all(map(_same, a, b))
    return type(a) is type(b) and a == b


def _stored_spec(values):
    from ._models import NetworkSpec

    if not isinstance(values, dict) or not all(isinstance(k, str) for k in values):
        raise StateError("its stored network description is not a dict")
    # JSON and some pickle-like formats turn tuples into lists; the spec is
    # hashable (it keys the compiled-code cache), so back to tuples.
    fields = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
    known = {f.name for f in dataclasses.fields(NetworkSpec)}
    if not set(fields) <= known:
        raise StateError(
            f"its stored network description has field(s) "
            f"{sorted(set(fields) - known)} that this version of skseqae does not "
            "know; load it with the skseqae version that wrote it"
        )
    try:
        return NetworkSpec(**fields)
    except TypeError as exc:
        raise StateError(
            f"its stored network description is incomplete ({exc})"
        ) from None


#: (optimizer key, weight shapes) -> the optimizer's variables' shapes, dtypes.
_OPTIMIZER_VARIABLES = {}


def _check_optimizer_state(state, model, optimizer):
    """The stored optimizer state fits the optimizer training would resume.

    A state of another optimizer than the ``optimizer`` parameter is never
    resumed from, so only one of the same is compared (shapes and dtypes of
    each variable of that optimizer built for ``model``).
    """
    from ._compiled import make_optimizer, optimizer_key

    if state is None or state["key"] != optimizer_key(optimizer):
        return
    weights = tuple((tuple(v.shape), v.dtype) for v in model.trainable_variables)
    key = (repr(state["key"]), weights)
    if key not in _OPTIMIZER_VARIABLES:  # building one takes long: once per process
        fresh = make_optimizer(optimizer)
        fresh.build(model.trainable_variables)
        _OPTIMIZER_VARIABLES[key] = [
            (tuple(v.shape), np.dtype(v.dtype)) for v in fresh.variables
        ]
    needed = _OPTIMIZER_VARIABLES[key]
    given = [(np.shape(a), a.dtype) for a in state["values"]]
    if needed != given:
        raise StateError(
            f"its optimizer state holds arrays {given[:4]}..., but its optimizer "
            f"needs {needed[:4]}... (shape, dtype)"
        )


def _build(spec, n_timesteps):
    from ._models import build_networks

    # The seed only fixes initial values, which are overwritten.
    return build_networks(spec, seed=0, n_timesteps=int(n_timesteps))


def _attach(estimator, networks, spec):
    estimator.model_ = networks.model
    estimator.encoder_ = networks.encoder
    estimator._decoders = networks.decoders
    estimator._spec = spec


def all_variables(layer):
    return list(layer.variables)


def weight_variables(layer):
    return list(layer.weights)


def seed_variables(layer):
    """Variables that are not weights: the dropout seed generators' states."""
    weights = {id(w) for w in layer.weights}
    return [v for v in layer.variables if id(v) not in weights]


def layer_values(model, select):
    """``{layer name: [arrays]}`` of the variables ``select`` picks, per layer."""
    return {
        layer.name: [np.array(v.numpy()) for v in select(layer)]
        for layer in model.layers
        if select(layer)
    }


def assign_values(model, values, select, where, what="the stored variables"):
    """Assign ``values`` (from :func:`layer_values`) to ``model``'s layers.

    Raises ValueError, before assigning anything, unless the layers, the
    number of variables of each and their shapes and kinds all match.
    """
    from ._models import layer_mismatch

    layers = {layer.name: select(layer) for layer in model.layers if select(layer)}
    problem = layer_mismatch(expected=layers, given=values)
    if problem:
        raise ValueError(
            f"{where}: {what} do not match the network its parameters build "
            f"({problem}). It is damaged or was edited."
        )
    for layer, variables in layers.items():
        # Shapes, and whether floating point (weights) or not (seed states).
        needed = [(tuple(v.shape), np.dtype(v.dtype).kind == "f") for v in variables]
        given = [(np.shape(a), np.asarray(a).dtype.kind == "f") for a in values[layer]]
        if needed != given:
            raise ValueError(
                f"{where}: {what} of layer {layer!r} have shapes {given}, but "
                f"the network its parameters build needs {needed} (shape, "
                "floating point). It is damaged or was edited."
            )
    for layer, variables in layers.items():
        for variable, value in zip(variables, values[layer]):
            variable.assign(value)


def is_live(value, _depth=0):
    """Whether ``value`` holds a Keras or TensorFlow object (searched deeply)."""
    if _depth > 20:
        return False
    if isinstance(value, dict):
        return any(is_live(v, _depth + 1) for v in value.values())
    if isinstance(value, (list, tuple, set, frozenset)):
        return any(is_live(v, _depth + 1) for v in value)
    if any(c.__module__.split(".")[0] in _LIVE_PACKAGES for c in type(value).__mro__):
        return True
    # Our own helper objects may wrap live objects; those that define their
    # own pickled state (a nested estimator) make it portable themselves.
    cls = type(value)
    if (
        cls.__module__.startswith("skseqae.")
        and hasattr(value, "__dict__")
        and cls.__getstate__ is object.__getstate__
    ):
        return is_live(vars(value), _depth + 1)
    return False
