"""The documentation: the site builds without a warning, and its code runs.

The build runs with ``-W`` (warnings are errors) and ``-n`` (every internal
reference must resolve), and runs the gallery's examples at a small size
(``SKSEQAE_DOCS_QUICK=1``). Every ``python`` code block of the user-facing
pages and of the README runs, page by page, in order, as a reader would
paste them.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted(
    path
    for path in DOCS.rglob("*.md")
    if not path.relative_to(DOCS).parts[0].startswith(("_", "auto_examples"))
) + [ROOT / "README.md"]
#: Optional packages a page's code needs (all are in the ``test`` extra).
NEEDS = {
    "adapters.md": ("aeon", "sktime"),
    "dask.md": ("dask", "distributed", "dask_ml"),
    "onnx.md": ("onnx", "onnxruntime", "skl2onnx"),
    "persistence.md": ("skops",),
}
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def python_blocks(path):
    return BLOCK.findall(path.read_text(encoding="utf-8"))


def test_every_page_with_code_is_checked():
    # Pages whose code blocks are not ```python would escape the test below.
    for path in PAGES:
        text = path.read_text(encoding="utf-8")
        fences = re.findall(r"^```(\S*)", text, re.M)
        languages = set(fences[::2])  # opening fences
        assert languages <= {"python", "bash", "{toctree}", "text", ""}, path


@pytest.mark.parametrize("path", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_code_blocks_run(path, tmp_path, monkeypatch):
    blocks = python_blocks(path)
    if not blocks:
        pytest.skip(f"{path.name} has no python code block")
    for module in NEEDS.get(path.name, ()):
        pytest.importorskip(module, reason=f"{path.name}'s code needs {module}")
    monkeypatch.chdir(tmp_path)  # the examples write files
    namespace = {"__name__": "__main__"}
    for number, code in enumerate(blocks, 1):
        try:
            exec(compile(code, f"{path.name}, block {number}", "exec"), namespace)
        except Exception as exc:
            raise AssertionError(
                f"{path.relative_to(ROOT)}: code block {number} failed:\n{code}"
            ) from exc


def test_site_builds_with_warnings_as_errors(tmp_path):
    pytest.importorskip(
        "sphinx", reason="building the docs needs sphinx: pip install -e .[docs]"
    )
    for module in ("numpydoc", "sphinx_gallery", "pydata_sphinx_theme", "myst_parser"):
        pytest.importorskip(module, reason=f"building the docs needs {module}")
    # Build a copy, so that the generated pages never land in the checkout.
    shutil.copytree(
        DOCS,
        tmp_path / "docs",
        ignore=shutil.ignore_patterns("_build", "generated", "auto_examples"),
    )
    shutil.copytree(
        ROOT / "examples",
        tmp_path / "examples",
        ignore=shutil.ignore_patterns("skseqae-examples", "__pycache__"),
    )
    env = {
        **os.environ,
        "SKSEQAE_DOCS_QUICK": "1",
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    out = tmp_path / "html"
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-n", "-q"]
        + ["-b", "html", str(tmp_path / "docs"), str(out)],
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-5000:]

    # Every task of the user guide is one click from the index.
    index = (out / "index.html").read_text(encoding="utf-8")
    for page in (DOCS / "user_guide").glob("*.md"):
        if page.stem != "index":
            assert f'href="user_guide/{page.stem}.html"' in index, page.stem
    # Every public name has its API page.
    import skseqae

    for name in skseqae.__all__:
        assert (out / "generated" / f"skseqae.{name}.html").exists(), name
    # The gallery ran the examples and shows their pictures.
    for example in ("anomaly_detection", "forecasting", "classification_gridsearch"):
        html = (out / "auto_examples" / f"{example}.html").read_text(encoding="utf-8")
        assert re.search(rf'<img[^>]+sphx_glr_{example}_\d+\.png', html), example
