"""Random damage to a saved file: it loads as it was, or is refused clearly.

Thousands of edits of one valid file (its bytes, values of its manifest, its
arrays), each rezipped with valid checksums where the edit is inside a
member: ``skseqae.load`` either refuses it with a ValueError that names the
file and says what is wrong, or returns a model whose outputs are bitwise
the original's and whose parameters and attributes are the original's,
except the one the edit changed (to a value ``fit`` accepts). Never another
exception.
"""

import copy
import functools
import io
import json
import re
import zipfile
from collections import Counter

import numpy as np
import pytest

import skseqae
from skseqae import CompositeLSTMAutoencoder

N_EDITS = {"bytes": 2000, "manifest": 500, "arrays": 300}
#: What a refusal says: the file's name, then one of these.
REASONS = re.compile(
    "truncated or corrupted|is not an skseqae model file|declares .* bytes|"
    "not one skseqae wrote|holds a .*, which is not an estimator|"
    "lacks the|attribute|parameters that fit refuses|inconsistent|"
    "do not match the network|not the network its parameters build|"
    "newer skseqae|stored twice|cannot be loaded in safe mode|damaged|edited"
)
#: Values an edit writes into the manifest: of other types, out of range,
#: markers gone wrong, deep nesting.
REPLACEMENTS = [
    "x",
    "",
    -1,
    0,
    10**30,
    1.5,
    -1e308,
    True,
    None,
    [],
    [1, 2],
    {},
    {"__ndarray__": "missing"},
    {"__ndarray__": 7},
    {"__tuple__": 3},
    {"__tuple__": [1, "a"]},
    {"__dict__": []},
    {"__scalar__": "<f8", "value": "x"},
    {"__scalar__": "|O", "value": 1},
    {"__scalar__": "<i1", "value": 10**6},
    {"__keras__": {"class_name": "Lambda", "config": {}}},
    {"__estimator__": {"estimator": "WindowAnomalyDetector"}},
    {"__estimator__": {"estimator": "os.system", "params": {}}},
    {"unknown": 1},
    json.loads("[" * 60 + "]" * 60),  # deeper than a state goes
]


@pytest.fixture(scope="module")
def original(X3d, tmp_path_factory):
    """A composite with most of the file's features, its bytes and members."""
    X = X3d[:12]
    model = CompositeLSTMAutoencoder(
        n_future=2, units=(2, 2), max_steps=4, dropout=0.1, epochs=1, random_state=0
    ).fit(X)
    path = tmp_path_factory.mktemp("fuzz") / "model.skseqae"
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        members = {n: archive.read(n) for n in archive.namelist()}
    with zipfile.ZipFile(io.BytesIO(members["arrays.npz"])) as npz:
        arrays = {n: npz.read(n) for n in npz.namelist()}
    return {
        "model": model,
        "X": X,
        "outputs": _outputs(model, X),
        "bytes": path.read_bytes(),
        "members": members,
        "manifest": json.loads(members["skseqae.json"]),
        "arrays": arrays,
    }


@pytest.fixture
def fast_keras(monkeypatch):
    """Keras' building and reading, memoized (they are deterministic).

    Every check runs as it does without this; only building a network for a
    spec already built, and reading ``.keras`` bytes already read, are
    skipped, so that thousands of edits run in seconds.
    """
    from skseqae import _persistence
    from skseqae._backend import keras

    monkeypatch.setattr(
        _persistence, "_build", functools.lru_cache(maxsize=8)(_persistence._build)
    )
    read = keras.saving.load_model
    models = {}

    def load_model(path, **kwargs):
        with open(path, "rb") as f:
            key = f.read()
        if key not in models:
            models[key] = read(path, **kwargs)
        return models[key]

    monkeypatch.setattr(keras.saving, "load_model", load_model)


def _outputs(model, X):
    """What fixes every output: the network's variables, its spec and offset.

    (Cheaper than running the network, which the fresh-process tests do.)
    """
    values = [v.numpy() for v in model.model_.variables]
    return [*values, np.array(repr(model._spec)), model._offset]


def _zip(members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _edit_bytes(rng, data):
    data = bytearray(data)
    kind = rng.integers(4)
    at = int(rng.integers(len(data)))
    if kind == 0:
        return bytes(data[:at]), "truncate"
    if kind == 1:
        data[at] ^= int(rng.integers(1, 256))
        return bytes(data), "flip"
    if kind == 2:
        return bytes(
            data[:at] + rng.bytes(int(rng.integers(1, 9))) + data[at:]
        ), "insert"
    return bytes(data[:at] + data[at + int(rng.integers(1, 64)) :]), "delete"


def _leaves(value, path=()):
    """Every position in a JSON value: ``(path, value)``."""
    yield path, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _leaves(v, (*path, i))


def _edit_manifest(rng, original):
    manifest = copy.deepcopy(original["manifest"])
    positions = [p for p, _ in _leaves(manifest) if p]
    path = positions[int(rng.integers(len(positions)))]
    parent = manifest
    for key in path[:-1]:
        parent = parent[key]
    kind = rng.integers(4)
    if kind == 0 and isinstance(parent, dict):
        del parent[path[-1]]
    elif kind == 1 and isinstance(parent, dict):
        parent[f"{path[-1]}_"] = copy.deepcopy(parent[path[-1]])  # unknown key
    else:
        parent[path[-1]] = copy.deepcopy(
            REPLACEMENTS[int(rng.integers(len(REPLACEMENTS)))]
        )
    members = {**original["members"], "skseqae.json": json.dumps(manifest)}
    return _zip(members), path


def _edit_arrays(rng, original):
    arrays = dict(original["arrays"])
    names = sorted(arrays)
    name = names[int(rng.integers(len(names)))]
    kind = rng.integers(5)
    value = np.load(io.BytesIO(arrays[name]), allow_pickle=False)
    if kind == 0:
        del arrays[name]
    elif kind == 1:
        arrays[name] = arrays[name][: int(rng.integers(len(arrays[name])))]
    else:
        new = [
            lambda v: (
                v.astype(np.int8) if v.dtype.kind == "f" else v.astype(np.float32)
            ),
            lambda v: np.append(v.ravel(), v.ravel()[:1]),
            lambda v: v.reshape(-1, 1) if v.ndim < 2 else v.ravel(),
        ][kind - 2](value)
        buffer = io.BytesIO()
        np.save(buffer, new, allow_pickle=False)
        arrays[name] = buffer.getvalue()
    members = {**original["members"], "arrays.npz": _zip(arrays)}
    return _zip(members), name


def _state(model):
    state = {**vars(model)}
    for name in ("model_", "encoder_", "_decoders", "_spec", "_sklearn_version"):
        state.pop(name, None)
    return state


def _differences(a, b):
    """Names of the parameters and attributes of ``a`` and ``b`` that differ."""
    sa, sb = _state(a), _state(b)
    names = set(sa) | set(sb)
    return {n for n in names if n not in sa or n not in sb or not _equal(sa[n], sb[n])}


def _equal(a, b):
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (
            isinstance(a, np.ndarray)
            and isinstance(b, np.ndarray)
            and a.dtype == b.dtype
            and np.array_equal(a, b)
        )
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_equal, a, b))
    if isinstance(a, dict):
        return (
            isinstance(b, dict)
            and a.keys() == b.keys()
            and all(_equal(a[k], b[k]) for k in a)
        )
    return type(a) is type(b) and a == b


def _check(path, original, what, outcomes):
    try:
        loaded = skseqae.load(path)
    except ValueError as exc:
        message = str(exc)
        assert repr(str(path)) in message, (what, message)
        assert REASONS.search(message), (what, message)
        outcomes["refused"] += 1
        return
    for got, expected in zip(_outputs(loaded, original["X"]), original["outputs"]):
        np.testing.assert_array_equal(got, expected, err_msg=str(what), strict=True)
    changed = _differences(loaded, original["model"])
    # Only the value edited may differ, and it must be one fit accepts.
    edited = (
        {p for p in what if isinstance(p, str)} if isinstance(what, tuple) else set()
    )
    assert changed <= edited, (what, changed)
    outcomes["loaded"] += 1


@pytest.mark.parametrize("family", list(N_EDITS))
def test_random_edits_load_as_saved_or_are_refused(
    original, fast_keras, tmp_path, family
):
    rng = np.random.default_rng(list(N_EDITS).index(family))
    outcomes = Counter()
    path = tmp_path / "edited.skseqae"
    for _ in range(N_EDITS[family]):
        if family == "bytes":
            data, what = _edit_bytes(rng, original["bytes"])
        elif family == "manifest":
            data, what = _edit_manifest(rng, original)
        else:
            data, what = _edit_arrays(rng, original)
        path.write_bytes(data)
        _check(path, original, what, outcomes)
    # Most edits must be caught; some are harmless (a zip header's time, an
    # edited training setting or version string).
    assert outcomes["refused"] > 0.6 * N_EDITS[family], outcomes
