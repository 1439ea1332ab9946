"""The one loading path: what a file or a pickle may hold, checked alike."""

import ast
import json
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest

import skseqae
from skseqae import CompositeLSTMAutoencoder, LSTMAutoencoderTransformer

TINY = dict(units=2, epochs=1, batch_size=16, random_state=0)


@pytest.fixture(scope="module")
def model(X3d):
    return CompositeLSTMAutoencoder(n_future=2, **TINY).fit(X3d[:16])


@pytest.fixture(scope="module")
def saved(model, tmp_path_factory):
    path = tmp_path_factory.mktemp("state") / "model.skseqae"
    model.save(path)
    return path


def _manifest(path):
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("skseqae.json"))


def _edited(saved, tmp_path, edit, name="edited"):
    """A copy of ``saved`` whose manifest ``edit`` changed in place."""
    manifest = _manifest(saved)
    edit(manifest)
    path = tmp_path / name
    with zipfile.ZipFile(saved) as src, zipfile.ZipFile(path, "w") as dst:
        for member in src.namelist():
            data = src.read(member)
            dst.writestr(
                member, json.dumps(manifest) if member == "skseqae.json" else data
            )
    return path


def _pickled(model, edit):
    state = model.__getstate__()
    edit(state)
    restored = CompositeLSTMAutoencoder.__new__(CompositeLSTMAutoencoder)
    restored.__setstate__(state)
    return restored


def _set(section, key, value):
    def edit(manifest):
        manifest[section][key] = value

    return edit


@pytest.mark.parametrize(
    "edit, message",
    [
        # The parameters must build the stored network.
        (
            _set("params", "units", 5),
            "units: parameters give \\(5,\\), network has \\(2,\\)",
        ),
        (
            _set("params", "bidirectional", False),
            "bidirectional: parameters give False",
        ),
        (_set("params", "n_future", 3), "n_future: parameters give 3, network has 2"),
        (_set("params", "max_steps", 2), "pool: parameters give 5, network has 1"),
        # The attributes must agree with the network and each other.
        (_set("attributes", "n_timesteps_", 99), "n_timesteps_=99, but its stored"),
        (
            _set("attributes", "_n_step_features", 3),
            "'_offset': .* shape \\(2,\\) is not",
        ),
        (_set("attributes", "n_features_in_", 7), "n_features_in_=7 differs"),
        # The parameters must pass fit's checks.
        (_set("params", "epochs", -1), "parameters that fit refuses.*'epochs'"),
        (_set("params", "activation", "hijack"), "fit refuses.*'activation'"),
        # Only the attributes the class has, of their types and shapes.
        (
            _set("attributes", "transform", "hijacked"),
            "attribute\\(s\\) \\['transform'\\]",
        ),
        (_set("attributes", "n_iter_", "many"), "attribute 'n_iter_': 'many'"),
        (
            _set("attributes", "n_iter_", True),
            "'n_iter_': True \\(a bool\\) is not an int",
        ),
        (_set("attributes", "_fit_layout", "sideways"), "'_fit_layout': 'sideways'"),
        (
            _set("attributes", "history_", {"__dict__": {"loss": "x"}}),
            "'history_': key 'loss'",
        ),
    ],
)
def test_edited_file_is_refused_for_what_was_edited(saved, tmp_path, edit, message):
    with pytest.raises(ValueError, match=message):
        skseqae.load(_edited(saved, tmp_path, edit))


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda s: s.update(units=5), "units: parameters give \\(5,\\)"),
        (lambda s: s.update(n_timesteps_=99), "n_timesteps_=99"),
        (lambda s: s.update(transform="hijacked"), "\\['transform'\\]"),
        (lambda s: s.update(epochs=-1), "fit refuses"),
        (lambda s: s.update(_offset=np.zeros(5)), "'_offset': an array of shape"),
        (
            lambda s: s.pop("n_iter_"),
            "lacks the fitted attribute\\(s\\) \\['n_iter_'\\]",
        ),
    ],
)
def test_edited_pickle_is_refused_like_an_edited_file(model, edit, message):
    with pytest.raises(ValueError, match=message):
        _pickled(model, edit)


def test_offset_of_the_wrong_shape_is_refused_before_it_is_used(saved, tmp_path):
    # An array reference swapped for another array of the file.
    manifest = _manifest(saved)
    seeds = manifest["network"]["seed_states"]["__dict__"]
    other = next(iter(seeds.values()))[0]

    def edit(m):
        m["attributes"]["_offset"] = other

    with pytest.raises(ValueError, match="'_offset': an array of (dtype|shape)"):
        skseqae.load(_edited(saved, tmp_path, edit))


@pytest.mark.parametrize("version", [-5, 0, "2", 2.0, None])
def test_format_version_must_be_one_skseqae_wrote(saved, tmp_path, version):
    with pytest.raises(ValueError, match="format version .* is not one skseqae wrote"):
        skseqae.load(_edited(saved, tmp_path, _set_top("format_version", version)))


def _set_top(key, value):
    def edit(manifest):
        manifest[key] = value

    return edit


def test_manifest_over_the_size_cap_is_refused_before_it_is_read(saved, tmp_path):
    # 65 MiB of spaces compress to about 64 kB: the declared size is checked.
    manifest = json.dumps(_manifest(saved)) + " " * (65 * 2**20)
    path = tmp_path / "bomb"
    with zipfile.ZipFile(saved) as src:
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
            for member in src.namelist():
                data = manifest if member == "skseqae.json" else src.read(member)
                dst.writestr(member, data)
    assert path.stat().st_size < 2 * saved.stat().st_size + 2**20
    with pytest.raises(
        ValueError, match="'skseqae.json' declares 681[0-9]{5} bytes, more"
    ):
        skseqae.load(path)


def test_array_declaring_more_than_it_holds_is_refused(saved, tmp_path):
    # An .npy header may declare any shape: it is checked against its size.
    import io

    from numpy.lib import format as npy

    with zipfile.ZipFile(saved) as archive:
        arrays = zipfile.ZipFile(io.BytesIO(archive.read("arrays.npz")))
        names = arrays.namelist()
        contents = {n: arrays.read(n) for n in names}
    header = io.BytesIO()
    npy.write_array_header_1_0(
        header, {"descr": "<f8", "fortran_order": False, "shape": (10**12,)}
    )
    contents[names[0]] = header.getvalue() + b"\0" * 64
    npz = io.BytesIO()
    with zipfile.ZipFile(npz, "w") as out:
        for name, data in contents.items():
            out.writestr(name, data)
    path = tmp_path / "huge-array"
    with zipfile.ZipFile(saved) as src, zipfile.ZipFile(path, "w") as dst:
        for member in src.namelist():
            data = npz.getvalue() if member == "arrays.npz" else src.read(member)
            dst.writestr(member, data)
    with pytest.raises(ValueError, match="declares shape \\(1000000000000,\\)"):
        skseqae.load(path)


def test_caps_apply_to_every_member_before_reading(saved, monkeypatch):
    from skseqae import _files

    monkeypatch.setattr(_files, "MAX_MEMBER_BYTES", 1000)
    with pytest.raises(ValueError, match="declares .* bytes, more than skseqae reads"):
        skseqae.load(saved)


def test_old_file_and_old_pickle_of_one_model_come_back_alike(X2d, tmp_path):
    # Written before `pretrained` existed: those fits started at random.
    model = LSTMAutoencoderTransformer(**TINY).fit(X2d)
    assert model.pretrained == "auto"
    model.save(tmp_path / "m")

    def old(manifest):
        manifest["format_version"] = 1
        del manifest["params"]["pretrained"], manifest["omitted"]
        del manifest["attributes"]["pretrained_"]

    from_file = skseqae.load(_edited(tmp_path / "m", tmp_path, old))
    state = model.__getstate__()
    del state["pretrained"], state["pretrained_"]
    from_pickle = LSTMAutoencoderTransformer.__new__(LSTMAutoencoderTransformer)
    from_pickle.__setstate__(state)
    assert from_file.get_params() == from_pickle.get_params()
    assert from_file.pretrained is False and from_file.pretrained_ is False
    np.testing.assert_array_equal(from_file.transform(X2d), from_pickle.transform(X2d))


def test_parameters_changed_after_fit_cannot_be_saved_or_pickled(model, tmp_path):
    changed = pickle.loads(pickle.dumps(model)).set_params(units=4)
    with pytest.raises(ValueError, match="changed after fit \\(units: parameters"):
        changed.save(tmp_path / "m")
    with pytest.raises(ValueError, match="changed after fit"):
        pickle.dumps(changed)
    changed.set_params(epochs=3)  # training settings do not change the network
    pickle.dumps(changed.set_params(units=2))


def test_loading_imports_no_estimator_module_and_not_the_package():
    # Classes are found in the registry; the persistence modules import
    # neither the package nor the modules that define the estimators.
    package = Path(skseqae.__file__).parent
    forbidden = {"_base", "_autoencoder", "_composite", "_anomaly"}
    for module in ("_state", "_persistence", "_files"):
        tree = ast.parse((package / f"{module}.py").read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                names = [node.module] if node.module else [a.name for a in node.names]
                assert not forbidden & set(names), (module, names)
            if isinstance(node, ast.Import):
                assert not any(a.name.startswith("skseqae") for a in node.names)
