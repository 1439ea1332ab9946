"""The skseqae file: one zip that :func:`load` reads without running code.

:func:`save` writes the parameters and fitted attributes as JSON (arrays in
an ``.npz`` read with ``allow_pickle=False``), each autoencoder in Keras'
``.keras`` format (read with ``safe_mode=True`` once its layers and sizes
are checked) and the versions that wrote it; estimators inside estimators
(a detector's autoencoder) are described inside their owner's description.
A scikit-learn estimator that holds ours (a Pipeline) is stored as a skops
file inside, which may trust no type but ours. Every size a file declares
is capped before it is read, and every estimator it describes goes through
:func:`skseqae._state.restore`, as pickles do.
"""

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

from ._persistence import (
    NETWORKS_KEY,
    StoredNetworks,
    assign_values,
    check_values,
    is_live,
    layer_values,
    portable_state,
    seed_variables,
    weight_variables,
)
from ._state import REGISTRY, estimator_class, is_fitted, restore
from ._version import __version__

#: What the ``format`` field of a skseqae file says.
FORMAT = "skseqae-model"
#: Increased whenever the layout of the file changes; files of a newer
#: version are refused with a request to upgrade. The fields of NetworkSpec
#: and the layer names and weight shapes that build_networks gives them are
#: part of the format too: a new field needs a default that builds the
#: network files without it describe. Version 2 added nested estimators,
#: skops members and the list of parameters that ``save`` left out.
FORMAT_VERSION = 2

#: Caps on what a file may declare, checked before anything is read: the
#: manifest, any other zip member (uncompressed), and any one array.
MAX_MANIFEST_BYTES = 64 * 2**20
MAX_MEMBER_BYTES = 2**32
MAX_ARRAY_BYTES = 2**31

_MANIFEST = "skseqae.json"
_ARRAYS = "arrays.npz"
_MODEL = "model.keras"
_SKOPS = "estimator.skops"


def save(estimator, path):
    """Write a fitted estimator, or a Pipeline holding ours, to one file.

    Parameters
    ----------
    estimator : estimator
        A fitted skseqae estimator (the same as its ``save`` method), or a
        scikit-learn estimator such as a Pipeline that holds skseqae
        estimators and scikit-learn ones: that is stored in skops' format
        inside the file (skops must be installed).
    path : str or path-like
        Where to write the file (replaced if it exists).

    See Also
    --------
    skseqae.load : Load it back.
    """
    name = type(estimator).__name__
    if REGISTRY.get(name) is not type(estimator):
        return _save_skops(estimator, os.fspath(path))
    if not is_fitted(estimator):
        raise NotFittedError(
            f"This {name} instance is not fitted yet, so there is nothing to "
            "save. Call 'fit' first."
        )
    writer = _Writer()
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        **writer.describe(estimator, prefix=""),
        "versions": _versions(),
    }
    _write_atomically(os.fspath(path), manifest, writer.arrays, writer.members)


def _save_skops(estimator, path):
    from sklearn.base import BaseEstimator

    if not isinstance(estimator, BaseEstimator):
        raise TypeError(
            f"skseqae.save stores skseqae estimators and scikit-learn estimators "
            f"that hold them (a Pipeline), not a {type(estimator).__name__}."
        )
    try:
        import skops.io as sio
    except ImportError as exc:
        raise ImportError(
            f"skseqae.save stores a {type(estimator).__name__} through skops' safe "
            "format: pip install skops (or skseqae[skops])."
        ) from exc
    cls = type(estimator)
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "estimator": f"{cls.__module__}.{cls.__qualname__}",
        "skops": _SKOPS,
        "versions": _versions(),
    }
    _write_atomically(path, manifest, {}, {_SKOPS: sio.dumps(estimator)})


class _Writer:
    """Collects the arrays and members of one file while describing estimators."""

    def __init__(self):
        self.arrays, self.members = {}, {}

    def describe(self, estimator, prefix):
        """The JSON description of a registered estimator (fitted or not)."""
        cls = type(estimator)
        params, omitted = self._params(estimator, prefix)
        state = portable_state(estimator, vars(estimator))
        networks = state.pop(NETWORKS_KEY, None)
        attributes = {}
        for key, value in state.items():
            if key in params or key in omitted or key == "_sklearn_version":
                continue
            try:
                attributes[key] = self.encode(value, f"{prefix}{key}/")
            except _Unencodable as exc:
                if key in cls._fitted_attributes:
                    raise ValueError(
                        f"{cls.__name__}.save cannot store its fitted attribute "
                        f"{key!r}: {exc}. Only skseqae's own estimators and plain "
                        "values are stored; pickle it instead (trusted use only)."
                    ) from None
                warnings.warn(
                    f"{cls.__name__}.save left out the attribute {key!r}: {exc}.",
                    UserWarning,
                    stacklevel=4,
                )
        description = {
            "estimator": cls.__name__,
            "params": params,
            "omitted": sorted(omitted),
            "attributes": attributes,
        }
        if networks is not None:
            self.members[f"{prefix}{_MODEL}"] = _keras_bytes(estimator.model_)
            seeds = layer_values(estimator.model_, seed_variables)
            description["network"] = {
                "spec": self.encode(networks["spec"], prefix),
                "n_timesteps": networks["n_timesteps"],
                "seed_states": self.encode(seeds, prefix),
            }
        return description

    def _params(self, estimator, prefix):
        """JSON-ready parameters, and the names of those that cannot be stored."""
        params, omitted = {}, {}
        given = estimator.get_params(deep=False)
        for key, value in given.items():
            try:
                params[key] = self.encode(value, f"{prefix}{key}/", keras_objects=True)
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

    def encode(self, value, prefix, *, keras_objects=False):
        """``value`` as JSON; arrays go into ``self.arrays`` under a new key.

        JSON objects in the result are always markers (``__tuple__``,
        ``__dict__``, ``__ndarray__``, ``__scalar__``, ``__keras__``,
        ``__estimator__``), so they decode unambiguously.
        """
        if value is None or type(value) in (bool, int, float, str):
            return value

        def encode(v):
            return self.encode(v, prefix, keras_objects=keras_objects)

        if isinstance(value, np.generic) and value.dtype.kind in "biuf":
            return {"__scalar__": value.dtype.str, "value": value.item()}
        if isinstance(value, np.ndarray):
            return self._array(value)
        if isinstance(value, list):
            return [encode(v) for v in value]
        if isinstance(value, tuple):
            return {"__tuple__": [encode(v) for v in value]}
        if isinstance(value, dict) and all(type(k) is str for k in value):
            return {"__dict__": {k: encode(v) for k, v in value.items()}}
        if REGISTRY.get(type(value).__name__) is type(value):
            return {"__estimator__": self.describe(value, prefix)}
        if keras_objects and is_live(value):
            return {"__keras__": _keras_config(value)}
        raise _Unencodable(f"a {type(value).__name__} has no plain form")

    def _array(self, value):
        key = f"a{len(self.arrays)}"
        if value.dtype.kind in "biufcUS":
            self.arrays[key] = value
            return {"__ndarray__": key}
        if value.dtype == object and all(type(v) is str for v in value.flat):
            self.arrays[key] = value.astype(str)  # column names: object array of str
            return {"__ndarray__": key, "object": True}
        raise _Unencodable(f"an array of dtype {value.dtype} has no plain form")


def _keras_bytes(model):
    with tempfile.TemporaryDirectory() as tmp:
        model_path = os.path.join(tmp, _MODEL)
        model.save(model_path)
        with open(model_path, "rb") as f:
            return f.read()


def _versions():
    import sklearn

    from ._backend import keras, tf

    return {
        "skseqae": __version__,
        "keras": keras.__version__,
        "tensorflow": tf.__version__,
        "numpy": np.__version__,
        "scikit-learn": sklearn.__version__,
        "python": platform.python_version(),
    }


def _write_atomically(path, manifest, arrays, members):
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
                for name, data in members.items():
                    archive.writestr(name, data)
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
        A file written by the ``save`` method of an skseqae estimator or by
        :func:`skseqae.save`.

    Returns
    -------
    estimator : estimator
        The estimator that was saved, of its class; its outputs are
        bitwise those of the estimator that was saved.

    Raises
    ------
    OSError
        If the file is missing or cannot be read.
    ValueError
        If the file is not an skseqae model, is truncated or corrupted,
        declares more than the size caps allow, was written by a newer
        skseqae file format, names a class skseqae does not load, or holds
        parts that disagree: parameters ``fit`` would refuse, attributes
        the class does not have or of the wrong type or shape, a network
        other than the one the parameters build. The message says which.
        Nothing is returned then.

    Notes
    -----
    Loading executes no pickled code: parameters and attributes are JSON and
    ``.npz`` arrays read with ``allow_pickle=False``, the Keras model is
    read with ``safe_mode=True`` once its configuration and weight sizes are
    checked against the stored parameters, and a Pipeline's skops part may
    hold no type skops does not trust but skseqae's estimators. It is the
    way to load files from sources you do not trust (``pickle.load`` and
    ``joblib.load`` are not). It does not authenticate a file: one edited
    consistently (other weights, another threshold) loads as the model it
    describes.

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
        archive = _open_archive(path, f)
        try:
            manifest = _read_manifest(path, archive)
            if "skops" in manifest:
                return _load_skops(path, archive, manifest)
            reader = _Reader(path, archive, _read_arrays(path, archive), manifest)
            return reader.estimator(manifest, prefix="")
        except (
            KeyError,
            TypeError,
            AttributeError,
            IndexError,
            OverflowError,
            RecursionError,
            zipfile.BadZipFile,
            zlib.error,
            EOFError,
        ) as exc:
            raise _corrupted(path, f"its description is damaged ({exc!r})") from None


class _Reader:
    """Decodes the estimators a file describes, checking every part."""

    def __init__(self, path, archive, arrays, manifest):
        self.path, self.archive, self.arrays = path, archive, arrays
        self.version = manifest["format_version"]
        self.written_by = _written_by(manifest)

    def estimator(self, description, prefix):
        if not isinstance(description, dict):
            raise _corrupted(self.path, "an estimator's description is not an object")
        cls = estimator_class(description.get("estimator"), repr(self.path))
        if self.version == 1:  # left out parameters were not listed then
            may_lack = cls._get_param_names()
        else:
            may_lack = description["omitted"]
            if not isinstance(may_lack, list) or not all(
                isinstance(n, str) for n in may_lack
            ):
                raise _corrupted(self.path, "its list of omitted parameters is damaged")
        params = self._mapping(description["params"], prefix, keras_objects=True)
        attributes = self._mapping(description["attributes"], prefix)
        unknown = set(params) & set(attributes)
        if unknown:
            raise _corrupted(self.path, f"{sorted(unknown)} are stored twice")
        network = description.get("network")
        stored = None if network is None else self._networks(network, prefix)
        estimator = cls.__new__(cls)
        return restore(
            estimator, {**params, **attributes}, repr(self.path), stored, may_lack
        )

    def _mapping(self, values, prefix, keras_objects=False):
        if not isinstance(values, dict):
            raise _corrupted(self.path, f"{_show(values)} is not an object of values")
        return {
            k: self.decode(v, f"{prefix}{k}/", keras_objects) for k, v in values.items()
        }

    def _networks(self, network, prefix):
        if not isinstance(network, dict) or set(network) != {
            "spec",
            "n_timesteps",
            "seed_states",
        }:
            raise _corrupted(self.path, "its network description is damaged")
        spec = self.decode(network["spec"], prefix)
        seeds = self.decode(network["seed_states"], prefix)
        check_values(seeds, repr(self.path))
        member = f"{prefix}{_MODEL}"

        def assign(model):
            keras_model = _read_keras_model(self.path, self.archive, member, model)
            stored = layer_values(keras_model, weight_variables)
            what = "the weights of its Keras model"
            assign_values(model, stored, weight_variables, repr(self.path), what=what)
            what = "its random generator states"
            assign_values(model, seeds, seed_variables, repr(self.path), what=what)

        return StoredNetworks(spec, network["n_timesteps"], assign)

    def decode(self, value, prefix, keras_objects=False):
        """Invert :meth:`_Writer.encode`; Keras objects only in parameters."""

        def decode(v):
            return self.decode(v, prefix, keras_objects)

        if isinstance(value, list):
            return [decode(v) for v in value]
        if not isinstance(value, dict):
            return value
        marker = next(iter(value), None)
        if marker == "__tuple__" and len(value) == 1:
            return tuple(decode(v) for v in _listed(value[marker]))
        if marker == "__dict__" and len(value) == 1 and isinstance(value[marker], dict):
            return {k: decode(v) for k, v in value[marker].items()}
        if marker == "__ndarray__" and set(value) <= {"__ndarray__", "object"}:
            array = self.arrays[value["__ndarray__"]]
            if value.get("object"):
                if array.dtype.kind != "U":
                    raise TypeError("an object array that is not of str")
                return array.astype(object)
            return array
        if marker == "__scalar__" and set(value) == {"__scalar__", "value"}:
            dtype = np.dtype(value["__scalar__"])
            number = value["value"]
            if dtype.kind not in "biuf" or type(number) not in (bool, int, float):
                raise TypeError(f"unexpected scalar {dtype} {number!r}")
            return dtype.type(number)
        if marker == "__estimator__" and len(value) == 1:
            return self.estimator(value[marker], prefix)
        if marker == "__keras__" and len(value) == 1 and keras_objects:
            return _keras_object(value[marker], self.path)
        raise TypeError(f"unexpected JSON object with keys {sorted(value)[:5]}")


def _listed(value):
    if not isinstance(value, list):
        raise TypeError(f"{_show(value)} is not a list")
    return value


def _show(value):
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _written_by(manifest):
    versions = manifest.get("versions")
    return versions.get("skseqae") if isinstance(versions, dict) else None


def _not_a_model(path, why):
    return ValueError(f"{path!r} is not an skseqae model file: {why}.")


def _corrupted(path, why):
    return ValueError(
        f"{path!r} is truncated or corrupted: {why}. Save the model again, or "
        "copy the file again from its source."
    )


def _open_archive(path, f):
    try:
        archive = zipfile.ZipFile(f)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        f.seek(0)
        if f.read(4) == b"PK\x03\x04":
            raise _corrupted(path, "its zip archive has no end") from None
        raise _not_a_model(
            path, "it is not a zip archive (skseqae.save writes one)"
        ) from exc
    names = archive.namelist()
    if _MANIFEST not in names:
        hint = (
            " (it looks like a Keras model: load it with keras.saving.load_model)"
            if "config.json" in names
            else ""
        )
        raise _not_a_model(path, f"it has no {_MANIFEST}{hint}")
    _check_sizes(path, archive, {_MANIFEST: MAX_MANIFEST_BYTES})
    try:
        bad = archive.testzip()
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
        raise _corrupted(path, f"its zip archive cannot be read ({exc})") from None
    if bad is not None:
        raise _corrupted(path, f"{bad!r} inside it fails its checksum")
    return archive


def _check_sizes(path, archive, caps, inside=""):
    """Refuse, before reading any, members that declare more than the caps."""
    seen = set()
    for info in archive.infolist():
        cap = caps.get(info.filename, MAX_MEMBER_BYTES)
        if info.file_size > cap:
            raise ValueError(
                f"{path!r}: {inside}{info.filename!r} declares {info.file_size} "
                f"bytes, more than skseqae reads ({cap}); it is damaged or not a "
                "model skseqae wrote."
            )
        if info.filename in seen:
            raise _corrupted(path, f"{inside}{info.filename!r} appears twice in it")
        seen.add(info.filename)


def _read_member(path, archive, name):
    if name not in archive.namelist():
        raise _corrupted(path, f"{name} is missing from it")
    return archive.read(name)


def _read_manifest(path, archive):
    try:
        manifest = json.loads(archive.read(_MANIFEST))
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise _corrupted(path, f"{_MANIFEST} is not valid JSON ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _not_a_model(path, f"{_MANIFEST} does not say format {FORMAT!r}")
    version = manifest.get("format_version")
    if type(version) is not int or version < 1:
        raise _corrupted(
            path, f"its format version {version!r} is not one skseqae wrote"
        )
    if version > FORMAT_VERSION:
        raise ValueError(
            f"{path!r} was written by a newer skseqae (file format version "
            f"{version}, by skseqae {_written_by(manifest)}); skseqae "
            f"{__version__} reads format versions up to {FORMAT_VERSION}. "
            "Upgrade skseqae to load it."
        )
    return manifest


def _read_arrays(path, archive):
    """The arrays of the ``.npz``, each header checked before it is read."""
    data = _read_member(path, archive, _ARRAYS)
    try:
        npz = zipfile.ZipFile(io.BytesIO(data))
        _check_sizes(path, npz, {}, inside=f"{_ARRAYS}/")
        arrays = {}
        for info in npz.infolist():
            if not info.filename.endswith(".npy"):
                raise ValueError(f"{info.filename!r} is not an .npy member")
            with npz.open(info) as member:
                arrays[info.filename[:-4]] = _read_npy(path, member, info.file_size)
        return arrays
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        raise _corrupted(path, f"{_ARRAYS} cannot be read ({exc})") from None


def _read_npy(path, member, size):
    from numpy.lib import format as npy

    version = npy.read_magic(member)
    if version not in ((1, 0), (2, 0)):
        raise ValueError(f"npy format version {version} is not one NumPy writes here")
    read_header = (
        npy.read_array_header_1_0 if version == (1, 0) else (npy.read_array_header_2_0)
    )
    shape, fortran, dtype = read_header(member)
    if dtype.hasobject or dtype.kind not in "biufcUS":
        raise ValueError(f"an array of dtype {dtype} is not one skseqae stores")
    nbytes = int(np.prod(shape, dtype=object)) * dtype.itemsize
    if nbytes > min(MAX_ARRAY_BYTES, size):
        raise ValueError(
            f"an array declares shape {shape} of {dtype} ({nbytes} bytes), more "
            f"than its {size}-byte member or the cap of {MAX_ARRAY_BYTES} bytes"
        )
    raw = member.read(nbytes)
    if len(raw) != nbytes:
        raise ValueError("an array is shorter than its header says")
    order = "F" if fortran else "C"
    return np.frombuffer(raw, dtype).reshape(shape, order=order).copy(order="K")


def _read_keras_model(path, archive, member, built):
    """The Keras model in ``member``, once it is checked to be ``built``'s twin."""
    from . import _layers  # noqa: F401  (registers the custom layers)
    from ._backend import keras

    data = _read_member(path, archive, member)
    _check_keras_file(path, data, built)
    with tempfile.TemporaryDirectory() as tmp:
        model_path = os.path.join(tmp, _MODEL)
        with open(model_path, "wb") as f:
            f.write(data)
        try:
            return keras.saving.load_model(model_path, compile=False, safe_mode=True)
        except Exception as exc:  # Keras raises many types for a bad model
            raise ValueError(
                f"{path!r}: its Keras model cannot be loaded in safe mode "
                f"({type(exc).__name__}: {exc}). The file is damaged or was edited."
            ) from None


def _check_keras_file(path, data, built):
    """Refuse a ``.keras`` whose layers or sizes are not those of ``built``.

    Keras builds the model its ``config.json`` describes before any weight
    is compared: checking the layers' names, classes and sizes first keeps
    an edited file from making it build a network of any other size, and
    the weights file may hold no dataset larger than itself (compressed,
    external or virtual storage), so reading it allocates no more than it
    holds.
    """
    try:
        inner = zipfile.ZipFile(io.BytesIO(data))
        _check_sizes(path, inner, {"config.json": MAX_MANIFEST_BYTES}, f"{_MODEL}/")
        config = json.loads(inner.read("config.json"))
        layers = {
            layer["config"]["name"]: layer for layer in config["config"]["layers"]
        }
        weights = inner.read("model.weights.h5")
    except (KeyError, TypeError, ValueError, zipfile.BadZipFile, RecursionError) as exc:
        raise ValueError(
            f"{path!r}: its Keras model is not one skseqae wrote ({exc!r}). The "
            "file is damaged or was edited."
        ) from None
    from ._models import layer_mismatch

    ours = {layer.name: layer for layer in built.layers}
    problem = layer_mismatch(expected=ours, given=layers)
    for name, layer in ours.items():
        if problem:
            break
        given = layers[name]
        if given.get("class_name") != type(layer).__name__:
            problem = f"layer {name!r} is a {given.get('class_name')!r}"
        elif _sizes(given.get("config")) != _sizes(layer.get_config()):
            problem = f"layer {name!r} has other sizes than the parameters give"
    if problem:
        raise ValueError(
            f"{path!r}: its Keras model is not the network its parameters build "
            f"({problem}). The file is damaged or was edited."
        )
    _check_h5(path, weights)


def _sizes(config, _depth=0):
    """The integers of a layer config (not its seeds or object ids), by path."""
    if _depth > 20:
        raise ValueError("a layer config nested too deeply")
    out = {}
    items = config.items() if isinstance(config, dict) else enumerate(config or ())
    if not isinstance(config, (dict, list, tuple)):
        return out
    for key, value in items:
        if "seed" in str(key) or str(key).endswith("_id"):
            continue
        if isinstance(value, (dict, list, tuple)):
            for k, v in _sizes(value, _depth + 1).items():
                out[f"{key}/{k}"] = v
        elif isinstance(value, int) and not isinstance(value, bool):
            out[str(key)] = value
    return out


def _check_h5(path, data):
    import h5py

    problems = []

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            nbytes = obj.size * obj.dtype.itemsize
            if obj.is_virtual or obj.external or obj.compression or nbytes > len(data):
                problems.append(name)

    try:
        with h5py.File(io.BytesIO(data), "r") as f:
            f.visititems(visit)
    except (OSError, ValueError, TypeError, KeyError, RuntimeError) as exc:
        problems.append(f"unreadable ({exc})")
    if problems:
        raise ValueError(
            f"{path!r}: the weights of its Keras model are not stored as Keras "
            f"writes them ({problems[:3]}). The file is damaged or was edited."
        )


def _load_skops(path, archive, manifest):
    """A scikit-learn estimator stored through skops, trusting only our types."""
    import skops.io as sio

    if manifest["skops"] != _SKOPS:
        raise _corrupted(
            path, f"its skops member {manifest['skops']!r} is not {_SKOPS!r}"
        )
    data = _read_member(path, archive, _SKOPS)
    try:
        _check_sizes(path, zipfile.ZipFile(io.BytesIO(data)), {}, f"{_SKOPS}/")
        untrusted = sio.get_untrusted_types(data=data)
    except (ValueError, zipfile.BadZipFile, KeyError, TypeError) as exc:
        raise _corrupted(path, f"its skops part cannot be read ({exc!r})") from None
    ours = {f"{c.__module__}.{c.__qualname__}" for c in REGISTRY.values()}
    others = sorted(set(untrusted) - ours)
    if others:
        raise ValueError(
            f"{path!r}: its skops part holds type(s) {others}, which neither skops "
            "nor skseqae trusts; skseqae.load refuses them. If you trust the "
            "file, load its skops part with skops.io.load and trusted=[...]."
        )
    try:
        estimator = sio.loads(data, trusted=untrusted)
    except ValueError:
        raise
    except Exception as exc:  # skops raises many types for a bad file
        raise _corrupted(
            path, f"its skops part cannot be loaded ({type(exc).__name__}: {exc})"
        ) from None
    return estimator


# ------------------------------------------------------- JSON with arrays


class _Unencodable(Exception):
    """A value with no plain (JSON + arrays) form."""


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


def _keras_object(config, path):
    from ._backend import keras

    try:
        return keras.saving.deserialize_keras_object(config, safe_mode=True)
    except Exception as exc:  # Keras raises TypeError, ValueError, ...
        raise ValueError(
            f"{path!r}: a parameter holds a Keras object that cannot be loaded "
            f"in safe mode ({exc}). If it is your own class, import the module "
            "that registers it before loading."
        ) from None
