"""What every adapter (skseqae.aeon, skseqae.sktime) promises alike.

Each test runs once per adapter and skips, saying what to install, when the
adapter's library is missing. The optional-import tests need no library.
"""

import importlib
import pickle
import subprocess
import sys

import numpy as np
import pytest

from skseqae import LSTMAutoencoderTransformer
from skseqae.datasets import load_dataset

TINY = dict(units=4, epochs=2, pretrained=False, random_state=0)

#: (library, the adapter's class name in skseqae.<library>, its output method)
OUTPUTS = [
    ("aeon", "LSTMAutoencoderCollectionTransformer", "transform"),
    ("aeon", "LSTMAutoencoderCollectionAnomalyDetector", "predict"),
    ("sktime", "LSTMAutoencoderPanelTransformer", "transform"),
]
ADAPTERS = [(library, name) for library, name, _ in OUTPUTS]
LIBRARIES = sorted({library for library, _ in ADAPTERS})


def adapter_class(library, name):
    pytest.importorskip(
        library,
        reason=f"skseqae.{library} needs the {library} extra: "
        f"pip install skseqae[{library}]",
    )
    return getattr(importlib.import_module(f"skseqae.{library}"), name)


def python(*args):
    return subprocess.run(
        [sys.executable, "-c", *args], capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("library", LIBRARIES)
def test_importing_skseqae_does_not_import_the_library(library):
    run = python(f"import sys, skseqae; print({library!r} in sys.modules)")
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "False"


@pytest.mark.parametrize("library", LIBRARIES)
def test_missing_library_names_the_extra_to_install(library):
    run = python(
        f"import sys; sys.modules[{library!r}] = None; import skseqae.{library}"
    )
    assert "ImportError" in run.stderr
    assert f"pip install skseqae[{library}]" in run.stderr


@pytest.mark.parametrize("library, name", ADAPTERS)
def test_parameters_are_the_plain_estimators(library, name):
    Adapter = adapter_class(library, name)
    plain = LSTMAutoencoderTransformer().get_params()
    assert Adapter().get_params() == plain
    adapter = Adapter(units=5, encoding="mean")
    assert adapter.get_params() == {**plain, "units": 5, "encoding": "mean"}
    with pytest.raises(TypeError, match=f"{name}: .*unexpected keyword .*'unit'"):
        Adapter(unit=5)


@pytest.mark.parametrize("library, name", ADAPTERS)
def test_fit_starts_afresh_even_with_warm_start(library, name):
    X = load_dataset("italypowerdemand")[0][:20].transpose(0, 2, 1)
    adapter = adapter_class(library, name)(**TINY, warm_start=True).fit(X)
    assert adapter.fit(X).estimator_.n_iter_ == TINY["epochs"]


# Runs in a fresh interpreter: unpickles a fitted adapter and compares what it
# outputs (features, or anomaly scores) with what it did before pickling.
FRESH_OUTPUT = """
import pickle, sys
import numpy as np
from skseqae.datasets import load_dataset

X = load_dataset("italypowerdemand")[0].transpose(0, 2, 1)
with open(sys.argv[1], "rb") as f:
    adapter = pickle.load(f)
output = getattr(adapter, sys.argv[3])(X)
np.testing.assert_array_equal(np.asarray(output), np.load(sys.argv[2]))
"""


@pytest.mark.parametrize("library, name, method", OUTPUTS)
def test_pickled_adapter_outputs_alike_in_a_fresh_process(
    library, name, method, tmp_path
):
    X = load_dataset("italypowerdemand")[0].transpose(0, 2, 1)
    adapter = adapter_class(library, name)(**TINY).fit(X)
    (tmp_path / "adapter.pkl").write_bytes(pickle.dumps(adapter))
    np.save(tmp_path / "expected.npy", np.asarray(getattr(adapter, method)(X)))
    files = (str(tmp_path / file) for file in ("adapter.pkl", "expected.npy"))
    run = python(FRESH_OUTPUT, *files, method)
    assert run.returncode == 0, run.stderr
