"""What a fitted estimator's state may hold, and the one check of a loaded state.

Every way back into a process (``skseqae.load``, ``pickle``, ``joblib``,
``cloudpickle``, ``copy.deepcopy``, skops) ends in :func:`restore`, which
refuses, with a ValueError that says what is wrong, a state that this
version of skseqae did not write or could not have written:

- the parameters are exactly the class's, and pass the checks ``fit`` runs
  (``_parameter_constraints``); parameters that did not exist when an older
  version wrote the state take the value that reproduces what that
  version did (``_legacy_defaults``);
- the fitted attributes are the ones the class declares
  (``_fitted_attributes``: a name and a :func:`check` of its type and
  shape, the shape in terms of other attributes), all of them or none;
- then the class's ``_check_restored`` hook checks that the parts agree
  with each other (for an autoencoder: the network its parameters build is
  the stored one) and rebuilds what is not stored as it is.

Classes are found by name in :data:`REGISTRY` (``@register``), never by
importing the package, so that loading needs no import of its own.
"""

import contextlib
import functools
from numbers import Integral, Real

import numpy as np
from sklearn.utils._metadata_requests import MetadataRequest

#: Estimator classes that files may name: ``{class name: class}``.
REGISTRY = {}
#: Attributes that scikit-learn itself may set on any estimator.
_SKLEARN_ATTRIBUTES = ("_sklearn_version",)


def register(cls):
    """Class decorator: ``cls`` may be named by a saved file."""
    REGISTRY[cls.__name__] = cls
    return cls


def estimator_class(name, where):
    """The registered class called ``name``; ValueError if there is none."""
    cls = REGISTRY.get(name) if isinstance(name, str) else None
    if cls is None:
        from ._version import __version__

        raise ValueError(
            f"{where} holds a {name!r}, which is not an estimator skseqae "
            f"{__version__} can load (it loads {sorted(REGISTRY)})."
        )
    return cls


class StateError(ValueError):
    """A stored state that cannot be an estimator's; says what is wrong."""


# ------------------------------------------------------------------ checks
# Each check is ``check(value, state) -> None``, raising StateError with a
# description of the value's problem; ``state`` holds the other attributes,
# which shapes may refer to by name.


def integer(low=None, high=None):
    """An int (not a bool) in ``[low, high]``."""

    def check(value, state):
        if not isinstance(value, Integral) or isinstance(value, (bool, np.bool_)):
            raise StateError(f"{_show(value)} is not an int")
        if (low is not None and value < low) or (high is not None and value > high):
            raise StateError(f"{value} is outside [{low}, {high}]")

    return check


def real(finite=True):
    """A float (or int), finite unless ``finite=False``."""

    def check(value, state):
        if not isinstance(value, Real) or isinstance(value, (bool, np.bool_)):
            raise StateError(f"{_show(value)} is not a number")
        if finite and not np.isfinite(value):
            raise StateError(f"{value} is not finite")

    return check


def boolean():
    def check(value, state):
        if not isinstance(value, (bool, np.bool_)):
            raise StateError(f"{_show(value)} is not a bool")

    return check


def one_of(*options):
    def check(value, state):
        if not isinstance(value, str) or value not in options:
            raise StateError(f"{_show(value)} is not one of {list(options)}")

    return check


def optional(inner):
    """None, or what ``inner`` accepts."""

    def check(value, state):
        if value is not None:
            inner(value, state)

    return check


def array(kinds, *shape, finite=False):
    """An ndarray of a dtype kind in ``kinds`` (``"f"``, ``"iu"``, ``"OU"``...).

    Each of ``shape`` is an int, None (any size), the name of an int
    attribute, or a function of the state; ``...`` alone allows any shape.
    """

    def check(value, state):
        if not isinstance(value, np.ndarray):
            raise StateError(f"{_show(value)} is not an array")
        if value.dtype.kind not in kinds:
            raise StateError(f"an array of dtype {value.dtype} is not of kind {kinds}")
        if value.dtype.kind == "O" and not all(type(v) is str for v in value.flat):
            raise StateError("an object array holds something other than str")
        if shape == (...,):
            return
        expected = tuple(_size(dim, state) for dim in shape)
        if value.ndim != len(shape) or any(
            e is not None and e != n for e, n in zip(expected, value.shape)
        ):
            wanted = tuple("any" if e is None else e for e in expected)
            raise StateError(
                f"an array of shape {value.shape} is not of shape {wanted}"
            )
        if finite and not np.isfinite(value).all():
            raise StateError("an array holds values that are not finite")

    return check


def list_of(inner, container=list):
    def check(value, state):
        if not isinstance(value, container):
            raise StateError(f"{_show(value)} is not a {container.__name__}")
        for i, item in enumerate(value):
            _at(inner, item, state, f"item {i}")

    return check


def dict_of(inner):
    """A dict with str keys and values that ``inner`` accepts."""

    def check(value, state):
        if not isinstance(value, dict):
            raise StateError(f"{_show(value)} is not a dict")
        for key, item in value.items():
            if not isinstance(key, str):
                raise StateError(f"key {_show(key)} is not a str")
            _at(inner, item, state, f"key {key!r}")

    return check


def record(**fields):
    """A dict with exactly these keys, each checked by its own check."""

    def check(value, state):
        if not isinstance(value, dict) or set(value) != set(fields):
            keys = sorted(value) if isinstance(value, dict) else _show(value)
            raise StateError(f"{keys} are not the keys {sorted(fields)}")
        for key, inner in fields.items():
            _at(inner, value[key], state, f"key {key!r}")

    return check


def tuple_of(*items):
    def check(value, state):
        if not isinstance(value, tuple) or len(value) != len(items):
            raise StateError(f"{_show(value)} is not a tuple of {len(items)}")
        for i, (inner, item) in enumerate(zip(items, value)):
            _at(inner, item, state, f"item {i}")

    return check


def any_of(*checks):
    def check(value, state):
        problems = []
        for inner in checks:
            try:
                inner(value, state)
                return
            except StateError as exc:
                problems.append(str(exc))
        raise StateError(" and ".join(problems))

    return check


def fitted(*class_names):
    """A fitted estimator of one of the registered classes ``class_names``."""

    def check(value, state):
        name = type(value).__name__
        if name not in class_names or type(value) is not REGISTRY.get(name):
            raise StateError(f"a {name} is not one of {list(class_names)}")
        if not is_fitted(value):
            raise StateError(f"the {name} is not fitted")

    return check


def has_methods(*names):
    """An object with these methods (a fitted part of the user's choosing)."""

    def check(value, state):
        missing = [n for n in names if not callable(getattr(value, n, None))]
        if missing:
            raise StateError(f"a {type(value).__name__} has no {missing}")
        if REGISTRY.get(type(value).__name__) is type(value) and not is_fitted(value):
            raise StateError(f"the {type(value).__name__} is not fitted")

    return check


def instance(cls):
    def check(value, state):
        if not isinstance(value, cls):
            raise StateError(f"{_show(value)} is not a {cls.__name__}")

    return check


def _size(dim, state):
    if dim is None or isinstance(dim, int):
        return dim
    return dim(state) if callable(dim) else int(state[dim])


def _at(check, value, state, where):
    try:
        check(value, state)
    except StateError as exc:
        raise StateError(f"{where}: {exc}") from None


def _show(value):
    text = repr(value)
    text = text if len(text) <= 60 else text[:57] + "..."
    return f"{text} (a {type(value).__name__})"


def is_fitted(estimator):
    """Whether ``estimator`` holds every fitted attribute its class declares."""
    return all(k in vars(estimator) for k in type(estimator)._fitted_attributes)


# ----------------------------------------------------------------- restore


def restore(estimator, state, where, extra=None, may_lack=()):
    """Check ``state`` and make it ``estimator``'s (a new, empty instance).

    Parameters
    ----------
    estimator : estimator instance
        Made with ``cls.__new__(cls)`` (or being unpickled): its state is
        replaced.
    state : dict
        Parameters and fitted attributes by name (``__dict__`` as pickled).
    where : str
        What to call the source in errors (a file's name, "a pickle").
    extra : object, optional
        Passed to the class's ``_check_restored`` hook (an autoencoder's
        stored networks).
    may_lack : collection of str
        Parameters that may be missing: they take their default values
        (those that ``save`` could not store).

    Returns
    -------
    estimator

    Raises
    ------
    ValueError
        Naming ``where``, the class, the offending name and what is wrong.
    """
    cls = type(estimator)
    name = f"{where}: the {cls.__name__} it holds"
    state = dict(state)
    params = _params(cls, state, name, may_lack)
    attributes = _attributes(cls, state, params, name)
    vars(estimator).clear()
    vars(estimator).update({**params, **attributes})
    try:
        estimator._validate_params()
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{name} has parameters that fit refuses: {exc}") from None
    except RecursionError:
        raise ValueError(f"{name} has parameters nested too deeply.") from None
    try:
        estimator._check_restored(extra)
    except StateError as exc:
        raise ValueError(f"{name} is inconsistent: {exc}.") from None
    return estimator


def _params(cls, state, name, may_lack):
    names = cls._get_param_names()
    legacy = getattr(cls, "_legacy_defaults", {})
    defaults = cls().get_params(deep=False)
    for key in names:
        if key not in state and key in legacy:
            state[key] = legacy[key]
        elif key not in state and key in may_lack:
            state[key] = defaults[key]
    missing = [k for k in names if k not in state]
    if missing:
        raise ValueError(
            f"{name} lacks the parameter(s) {missing}; it was edited or not "
            "written by skseqae."
        )
    return {k: state.pop(k) for k in names}


def _attributes(cls, state, params, name):
    """The attributes of ``state`` (all but the parameters), checked."""
    for key in _SKLEARN_ATTRIBUTES:
        state.pop(key, None)
    required = cls._fitted_attributes
    optional = {**ANYTIME, **cls._optional_attributes}
    unknown = sorted(k for k in state if k not in required and k not in optional)
    if unknown:
        raise ValueError(
            f"{name} has attribute(s) {unknown}, which a {cls.__name__} does not "
            f"have (it may have {sorted({**required, **optional})}); it was "
            "edited or not written by skseqae."
        )
    if any(k in state for k in (*required, *cls._optional_attributes)):
        for key, value in getattr(cls, "_legacy_defaults", {}).items():
            if key in required:
                state.setdefault(key, value)
        missing = [k for k in required if k not in state]
        if missing:
            raise ValueError(
                f"{name} lacks the fitted attribute(s) {missing}: it is neither "
                "fitted nor unfitted. It was edited, or written by an skseqae "
                "version this one cannot read."
            )
    checks = {**required, **optional}
    for key, value in state.items():
        try:
            checks[key](value, {**params, **state})
        except StateError as exc:
            raise ValueError(
                f"{name} has a damaged attribute {key!r}: {exc}."
            ) from None
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            raise ValueError(
                f"{name} has an attribute {key!r} whose shape refers to another "
                f"attribute that is damaged ({type(exc).__name__}: {exc})."
            ) from None
    return state


#: Attributes that scikit-learn's ``set_output`` and metadata routing may set
#: on any estimator, fitted or not.
ANYTIME = {
    "_sklearn_output_config": dict_of(optional(instance(str))),
    "_metadata_request": instance(MetadataRequest),
}


# ---------------------------------------------------------- failed refits


@contextlib.contextmanager
def unchanged_on_error(estimator):
    """Restore ``estimator.__dict__`` if the body raises: failed fits change nothing."""
    saved = dict(estimator.__dict__)
    try:
        yield
    except BaseException:
        estimator.__dict__.clear()
        estimator.__dict__.update(saved)
        raise


def keeps_state_on_error(method):
    """Decorator: a method (``fit``) that raises leaves the estimator as it was."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with unchanged_on_error(self):
            return method(self, *args, **kwargs)

    return wrapper
