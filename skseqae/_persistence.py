"""Saving and loading fitted estimators.

Two ways out of a process share one representation of the networks: the
:class:`NetworkSpec` as a dict, and each layer's variables as NumPy arrays,
keyed by the layer's name. Loading rebuilds the networks from the spec with
``_models.build_networks`` (importing ``_models`` registers the custom Keras
layers) and assigns the arrays, so the autoencoder, its encoder and its
decoders share their layers again, and nothing needs importing first.

- ``pickle``, ``joblib``, ``cloudpickle``, ``copy.deepcopy`` and skops go
  through the estimator's ``__getstate__``/``__setstate__``
  (:func:`portable_state`, :func:`restore_networks`): the state holds only
  Python and NumPy values, never a Keras or TensorFlow object.
- :func:`save` and :func:`load` write and read one zip file: the parameters
  and fitted attributes as JSON (arrays in an ``.npz`` read with
  ``allow_pickle=False``), the autoencoder in Keras' ``.keras`` format (read
  with ``safe_mode=True``) and the versions that wrote it. Loading executes
  no pickled code, so it is safe for files from strangers.

TensorFlow is imported only when networks are built or a file is written or
read, never on ``import skseqae``.
"""

import dataclasses
import io
import json
import os
import platform
import secrets
import tempfile
import warnings
import zipfile
import zlib

import numpy as np
from sklearn.exceptions import NotFittedError

#: What the ``format`` field of a skseqae file says.
FORMAT = "skseqae-model"
#: Increased whenever the layout of the file changes; files of a newer
#: version are refused with a request to upgrade. The fields of NetworkSpec
#: and the layer names and weight shapes that build_networks gives them are
#: part of the format too: a new field needs a default that builds the
#: network files without it describe.
FORMAT_VERSION = 1

_MANIFEST = "skseqae.json"
_ARRAYS = "arrays.npz"
_MODEL = "model.keras"

#: Fitted attributes that hold the Keras networks (rebuilt, never stored).
_NETWORK_ATTRIBUTES = ("model_", "encoder_", "_decoders", "_spec")
#: Where the pickled state keeps the networks' spec and variables.
_NETWORKS_KEY = "_skseqae_networks"
#: Objects of these packages are live runtime state (models, optimizers,
#: tensors, traced functions): they are dropped from the pickled state.
_LIVE_PACKAGES = frozenset({"keras", "tensorflow", "tf_keras"})


# ----------------------------------------------------------- pickle state


def portable_state(estimator, state):
    """``state`` (the estimator's ``__dict__``) with the networks as plain values.

    The Keras models become ``{"spec", "n_timesteps", "variables"}`` under one
    key. Fitted attributes that hold other Keras or TensorFlow objects
    (caches such as a live optimizer) are dropped: they cannot outlive the
    process. Parameters are kept as the user set them.
    """
    state = dict(state)
    model = state.get("model_")
    for name in _NETWORK_ATTRIBUTES:
        state.pop(name, None)
    params = set(estimator.get_params(deep=False))
    for name in [n for n, v in state.items() if n not in params and _is_live(v)]:
        del state[name]
    if model is not None:
        state[_NETWORKS_KEY] = {
            "spec": dataclasses.asdict(estimator._spec),
            "n_timesteps": int(estimator.n_timesteps_),
            "variables": _layer_values(model, _all_variables),
        }
    return state


def split_networks(state):
    """Split an unpickled state into the attributes and the networks' part."""
    state = dict(state)
    return state, state.pop(_NETWORKS_KEY, None)


def restore_networks(estimator, networks):
    """Rebuild the networks described by ``networks`` and attach them."""
    if networks is None:
        return
    spec = _spec_from_dict(networks["spec"], type(estimator).__name__)
    built = _build(spec, networks["n_timesteps"])
    _assign(built.model, networks["variables"], _all_variables, type(estimator))
    _attach(estimator, built, spec)


def _build(spec, n_timesteps):
    from ._models import build_networks

    # The seed only fixes initial values, which are overwritten.
    return build_networks(spec, seed=0, n_timesteps=int(n_timesteps))


def _attach(estimator, networks, spec):
    estimator.model_ = networks.model
    estimator.encoder_ = networks.encoder
    estimator._decoders = networks.decoders
    estimator._spec = spec


def _spec_from_dict(values, where):
    from ._models import NetworkSpec

    if not isinstance(values, dict):
        raise ValueError(f"{where}: the stored network description is damaged.")
    # JSON and some pickle-like formats turn tuples into lists; the spec is
    # hashable (it keys the compiled-code cache), so back to tuples.
    fields = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
    try:
        return NetworkSpec(**fields)
    except TypeError as exc:
        raise ValueError(
            f"{where}: the stored network description {values!r} does not fit "
            f"this version of skseqae ({exc}). Load it with the skseqae version "
            "that wrote it."
        ) from exc


def _all_variables(layer):
    return list(layer.variables)


def _weights(layer):
    return list(layer.weights)


def _other_variables(layer):
    """Variables that are not weights: the dropout seed generators' states."""
    weights = {id(w) for w in layer.weights}
    return [v for v in layer.variables if id(v) not in weights]


def _layer_values(model, select):
    """``{layer name: [arrays]}`` of the variables ``select`` picks, per layer."""
    return {
        layer.name: [np.array(v.numpy()) for v in select(layer)]
        for layer in model.layers
        if select(layer)
    }


def _assign(model, values, select, owner, what="the stored variables"):
    """Assign ``values`` (from :func:`_layer_values`) to ``model``'s layers.

    Raises ValueError, before assigning anything, unless the layers, the
    number of variables of each and their shapes all match.
    """
    name = getattr(owner, "__name__", owner)
    layers = {layer.name: select(layer) for layer in model.layers if select(layer)}
    missing = sorted(set(layers) - set(values))
    extra = sorted(set(values) - set(layers))
    if missing or extra:
        raise ValueError(
            f"{name}: {what} do not match the network its parameters build: "
            f"missing weights for layer(s) {missing}, extra weights for layer(s) "
            f"{extra}. The file is damaged or was edited."
        )
    for layer, variables in layers.items():
        shapes = [tuple(v.shape) for v in variables]
        given = [tuple(np.shape(a)) for a in values[layer]]
        if shapes != given:
            raise ValueError(
                f"{name}: {what} of layer {layer!r} have shapes {given}, but "
                f"the network its parameters build needs {shapes}. The file is "
                "damaged or was edited."
            )
    for layer, variables in layers.items():
        for variable, value in zip(variables, values[layer]):
            variable.assign(value)


def _is_live(value, _depth=0):
    """Whether ``value`` holds a Keras or TensorFlow object (searched deeply)."""
    if _depth > 20:
        return False
    if isinstance(value, dict):
        return any(_is_live(v, _depth + 1) for v in value.values())
    if isinstance(value, (list, tuple, set, frozenset)):
        return any(_is_live(v, _depth + 1) for v in value)
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
        return _is_live(vars(value), _depth + 1)
    return False


# ------------------------------------------------------------ native file


def save(estimator, path):
    """Write a fitted estimator to ``path`` (see ``save`` on the estimators)."""
    name = type(estimator).__name__
    if not hasattr(estimator, "model_"):
        raise NotFittedError(
            f"This {name} instance is not fitted yet, so there is nothing to "
            "save. Call 'fit' first."
        )
    manifest, arrays = _describe(estimator)
    with tempfile.TemporaryDirectory() as tmp:
        model_path = os.path.join(tmp, _MODEL)
        estimator.model_.save(model_path)
        with open(model_path, "rb") as f:
            model_bytes = f.read()
    _write_atomically(os.fspath(path), manifest, arrays, model_bytes)


def _describe(estimator):
    """The manifest (JSON-ready) and the arrays of ``estimator``."""
    name = type(estimator).__name__
    arrays = {}
    params, omitted = _encode_params(estimator, arrays)
    state = portable_state(estimator, vars(estimator))
    networks = state.pop(_NETWORKS_KEY)
    attributes = {}
    for key, value in state.items():
        if key in params or key in omitted or key == "_sklearn_version":
            continue
        try:
            attributes[key] = _encode(value, arrays)
        except _Unencodable as exc:
            warnings.warn(
                f"{name}.save left out the fitted attribute {key!r}: {exc}.",
                UserWarning,
                stacklevel=4,  # the caller of est.save
            )
    seeds = _layer_values(estimator.model_, _other_variables)
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "estimator": name,
        "versions": _versions(),
        "params": params,
        "attributes": attributes,
        "network": {
            "spec": _encode(networks["spec"], arrays),
            "n_timesteps": networks["n_timesteps"],
            "seed_states": _encode(seeds, arrays),
        },
    }
    return manifest, arrays


def _versions():
    import sklearn

    import skseqae

    from ._backend import keras, tf

    return {
        "skseqae": skseqae.__version__,
        "keras": keras.__version__,
        "tensorflow": tf.__version__,
        "numpy": np.__version__,
        "scikit-learn": sklearn.__version__,
        "python": platform.python_version(),
    }


def _encode_params(estimator, arrays):
    """JSON-ready parameters, and the names of those that cannot be stored."""
    params, omitted = {}, {}
    given = estimator.get_params(deep=False)
    for key, value in given.items():
        try:
            params[key] = _encode(value, arrays, keras_objects=True)
        except _Unencodable as exc:
            omitted[key] = exc
    if omitted:
        listed = "; ".join(f"{k}={given[k]!r} ({e})" for k, e in omitted.items())
        warnings.warn(
            f"{type(estimator).__name__}.save left out parameter(s) {listed}. "
            "skseqae.load gives them their default values; set them again "
            "after loading if you refit.",
            UserWarning,
            stacklevel=5,  # the caller of est.save
        )
    return params, omitted


def _write_atomically(path, manifest, arrays, model_bytes):
    """Write the zip to a temporary file next to ``path``, then rename it."""
    folder = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(folder, f".{os.path.basename(path)}.{secrets.token_hex(6)}.tmp")
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    try:
        # open(), not mkstemp: the file gets the usual permissions (umask).
        with open(tmp, "xb") as f:
            with zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as archive:
                archive.writestr(_MANIFEST, json.dumps(manifest, indent=1))
                archive.writestr(_ARRAYS, buffer.getvalue())
                archive.writestr(_MODEL, model_bytes)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def load(path):
    """Load an estimator written by ``save``.

    Parameters
    ----------
    path : str or path-like
        A file written by ``LSTMAutoencoderTransformer.save`` or
        ``CompositeLSTMAutoencoder.save``.

    Returns
    -------
    estimator : LSTMAutoencoderTransformer or CompositeLSTMAutoencoder
        The fitted estimator, of the class that was saved; its outputs are
        bitwise those of the estimator that was saved.

    Raises
    ------
    OSError
        If the file is missing or cannot be read.
    ValueError
        If the file is not an skseqae model, is truncated or corrupted, was
        written by a newer skseqae file format, or holds a Keras model whose
        weights do not match its parameters. Nothing is returned then.

    Notes
    -----
    Loading executes no pickled code: parameters and attributes are JSON and
    ``.npz`` arrays read with ``allow_pickle=False``, and the Keras model is
    read with ``safe_mode=True``. It is the way to load files from sources
    you do not trust (``pickle.load`` and ``joblib.load`` are not).

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> import skseqae
    >>> X = np.sin(np.linspace(0, 3, 20))[None, :] * np.arange(1, 9)[:, None]
    >>> ae = skseqae.LSTMAutoencoderTransformer(units=4, epochs=1,
    ...                                         random_state=0).fit(X)
    >>> path = os.path.join(tempfile.mkdtemp(), "ae.skseqae")
    >>> ae.save(path)
    >>> loaded = skseqae.load(path)
    >>> bool((loaded.transform(X) == ae.transform(X)).all())
    True
    """
    # Every step reads and checks; the estimator is returned only at the end.
    path = os.fspath(path)
    with open(path, "rb") as f:  # OSError for a missing or unreadable file
        data = f.read()
    archive = _open_archive(path, data)
    manifest = _read_manifest(path, archive)
    arrays = _read_arrays(path, archive)
    cls = _estimator_class(path, manifest)
    estimator = _with_params(path, cls, manifest, arrays)
    attributes, network = _fitted_state(path, manifest, arrays)
    spec = _spec_from_dict(network["spec"], repr(path))
    networks = _build(spec, network["n_timesteps"])
    stored = _layer_values(_read_keras_model(path, archive), _weights)
    what = "the weights of its Keras model"
    _assign(networks.model, stored, _weights, repr(path), what=what)
    what = "its random generator states"
    _assign(networks.model, network["seeds"], _other_variables, repr(path), what=what)
    vars(estimator).update(attributes)
    _attach(estimator, networks, spec)
    return estimator


def _fitted_state(path, manifest, arrays):
    """The fitted attributes, and the network's spec, length and seed states."""
    try:
        attributes = {k: _decode(v, arrays) for k, v in manifest["attributes"].items()}
        network = manifest["network"]
        return attributes, {
            "spec": _decode(network["spec"], arrays),
            "n_timesteps": int(network["n_timesteps"]),
            "seeds": _decode(network["seed_states"], arrays),
        }
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise _corrupted(path, f"its description is incomplete ({exc!r})") from exc


def _not_a_model(path, why):
    return ValueError(f"{path!r} is not an skseqae model file: {why}.")


def _corrupted(path, why):
    return ValueError(
        f"{path!r} is truncated or corrupted: {why}. Save the model again, or "
        "copy the file again from its source."
    )


def _open_archive(path, data):
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        if data.startswith(b"PK\x03\x04"):
            raise _corrupted(path, "its zip archive has no end") from exc
        raise _not_a_model(
            path, "it is not a zip archive (skseqae.save writes one)"
        ) from exc
    if _MANIFEST not in archive.namelist():
        hint = (
            " (it looks like a Keras model: load it with keras.saving.load_model)"
            if "config.json" in archive.namelist()
            else ""
        )
        raise _not_a_model(path, f"it has no {_MANIFEST}{hint}")
    try:
        bad = archive.testzip()
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise _corrupted(path, f"its zip archive cannot be read ({exc})") from exc
    if bad is not None:
        raise _corrupted(path, f"{bad!r} inside it fails its checksum")
    return archive


def _read_manifest(path, archive):
    try:
        manifest = json.loads(archive.read(_MANIFEST))
    except (ValueError, UnicodeDecodeError) as exc:
        raise _corrupted(path, f"{_MANIFEST} is not valid JSON ({exc})") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _not_a_model(path, f"{_MANIFEST} does not say format {FORMAT!r}")
    version = manifest.get("format_version")
    if not isinstance(version, int):
        raise _corrupted(path, f"its format version {version!r} is not a number")
    if version > FORMAT_VERSION:
        import skseqae

        raise ValueError(
            f"{path!r} was written by a newer skseqae (file format version "
            f"{version}, by skseqae {manifest.get('versions', {}).get('skseqae')}); "
            f"skseqae {skseqae.__version__} reads format versions up to "
            f"{FORMAT_VERSION}. Upgrade skseqae to load it."
        )
    return manifest


def _read_arrays(path, archive):
    if _ARRAYS not in archive.namelist():
        raise _corrupted(path, f"{_ARRAYS} is missing from it")
    try:
        with np.load(io.BytesIO(archive.read(_ARRAYS)), allow_pickle=False) as npz:
            return {key: npz[key] for key in npz.files}
    except (ValueError, OSError, zipfile.BadZipFile) as exc:
        raise _corrupted(path, f"{_ARRAYS} cannot be read ({exc})") from exc


def _estimator_class(path, manifest):
    import skseqae

    from ._base import _BaseSequenceAutoencoder

    name = manifest.get("estimator")
    cls = getattr(skseqae, name, None) if name in skseqae.__all__ else None
    if not (isinstance(cls, type) and issubclass(cls, _BaseSequenceAutoencoder)):
        raise ValueError(
            f"{path!r} holds a {name!r}, which skseqae {skseqae.__version__} does "
            "not have. Load it with the skseqae version that wrote it "
            f"({manifest.get('versions', {}).get('skseqae')})."
        )
    return cls


def _with_params(path, cls, manifest, arrays):
    """An unfitted ``cls`` with the stored parameters."""
    try:
        params = {
            k: _decode(v, arrays, path=path) for k, v in manifest["params"].items()
        }
    except (KeyError, TypeError, AttributeError) as exc:
        raise _corrupted(path, f"its parameters cannot be read ({exc!r})") from exc
    try:
        return cls(**params)
    except TypeError as exc:
        raise ValueError(
            f"{path!r}: its parameters do not fit {cls.__name__} in this version "
            f"of skseqae ({exc}). Load it with the skseqae version that wrote it "
            f"({manifest.get('versions', {}).get('skseqae')})."
        ) from exc


def _read_keras_model(path, archive):
    from . import _layers  # noqa: F401  (registers the custom layers)
    from ._backend import keras

    if _MODEL not in archive.namelist():
        raise _corrupted(path, f"{_MODEL} is missing from it")
    with tempfile.TemporaryDirectory() as tmp:
        model_path = os.path.join(tmp, _MODEL)
        with open(model_path, "wb") as f:
            f.write(archive.read(_MODEL))
        try:
            return keras.saving.load_model(model_path, compile=False, safe_mode=True)
        except Exception as exc:  # Keras raises many types for a bad model
            raise ValueError(
                f"{path!r}: its Keras model cannot be loaded in safe mode "
                f"({type(exc).__name__}: {exc}). The file is damaged or was edited."
            ) from exc


# ------------------------------------------------------- JSON with arrays


class _Unencodable(Exception):
    """A value with no plain (JSON + arrays) form."""


def _encode(value, arrays, *, keras_objects=False):
    """``value`` as JSON; arrays go into ``arrays`` under a generated key.

    JSON objects in the result are always markers (``__tuple__``,
    ``__dict__``, ``__ndarray__``, ``__scalar__``, ``__keras__``), so they
    decode unambiguously.
    """
    if value is None or type(value) in (bool, int, float, str):
        return value

    def encode(v):
        return _encode(v, arrays, keras_objects=keras_objects)

    if isinstance(value, np.generic) and value.dtype.kind in "biuf":
        return {"__scalar__": value.dtype.str, "value": value.item()}
    if isinstance(value, np.ndarray):
        return _encode_array(value, arrays)
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v) for v in value]}
    if isinstance(value, dict) and all(type(k) is str for k in value):
        return {"__dict__": {k: encode(v) for k, v in value.items()}}
    if keras_objects and _is_live(value):
        return {"__keras__": _keras_config(value)}
    raise _Unencodable(f"a {type(value).__name__} has no plain form")


def _encode_array(value, arrays):
    key = f"a{len(arrays)}"
    if value.dtype.kind in "biufcUS":
        arrays[key] = value
        return {"__ndarray__": key}
    if value.dtype == object and all(type(v) is str for v in value.flat):
        arrays[key] = value.astype(str)  # column names: object array of str
        return {"__ndarray__": key, "object": True}
    raise _Unencodable(f"an array of dtype {value.dtype} has no plain form")


def _keras_config(value):
    from ._backend import keras

    try:
        config = keras.saving.serialize_keras_object(value)
        restored = keras.saving.deserialize_keras_object(config, safe_mode=True)
        json.dumps(config)
    except Exception as exc:  # Keras raises TypeError, ValueError, ...
        raise _Unencodable(f"Keras cannot serialize it: {exc}") from exc
    if type(restored) is not type(value):
        raise _Unencodable("Keras serialization does not give it back")
    return config


def _decode(value, arrays, *, path=None):
    """Invert :func:`_encode`; Keras objects only where ``path`` is given."""
    if isinstance(value, list):
        return [_decode(v, arrays, path=path) for v in value]
    if not isinstance(value, dict):
        return value
    if "__tuple__" in value:
        return tuple(_decode(v, arrays, path=path) for v in value["__tuple__"])
    if "__dict__" in value:
        return {k: _decode(v, arrays, path=path) for k, v in value["__dict__"].items()}
    if "__ndarray__" in value:
        array = arrays[value["__ndarray__"]]
        return array.astype(object) if value.get("object") else array
    if "__scalar__" in value:
        dtype = np.dtype(value["__scalar__"])
        if dtype.kind not in "biuf":
            raise TypeError(f"unexpected scalar type {dtype}")
        return dtype.type(value["value"])
    if "__keras__" in value and path is not None:
        return _keras_object(value["__keras__"], path)
    raise TypeError(f"unexpected JSON object with keys {sorted(value)}")


def _keras_object(config, path):
    from ._backend import keras

    try:
        return keras.saving.deserialize_keras_object(config, safe_mode=True)
    except Exception as exc:  # Keras raises TypeError, ValueError, ...
        raise ValueError(
            f"{path!r}: a parameter holds a Keras object that cannot be loaded "
            f"in safe mode ({exc}). If it is your own class, import the module "
            "that registers it before loading."
        ) from exc
