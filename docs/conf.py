"""Sphinx configuration for skseqae's documentation.

Build (offline): ``python -m sphinx -W -n docs docs/_build/html``.
With ``SKSEQAE_DOCS_QUICK=1`` (or ``CI`` set) the gallery's examples run at a
small size, so the build takes a few minutes on two cores.
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # document this checkout, not an installed copy

import skseqae  # noqa: E402

project = "skseqae"
author = "skseqae developers"
copyright = "skseqae developers"  # noqa: A001
release = version = skseqae.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
templates_path = ["_templates"]

# API reference: one page per public name, generated from numpydoc docstrings.
autosummary_generate = True
autodoc_default_options = {"members": False}
numpydoc_show_class_members = False  # the class template lists the members
numpydoc_class_members_toctree = False

# Links between pages are checked (``-n``); names from other projects are
# not documented here and are not links, so references to them are exempt.
nitpicky = True
nitpick_ignore_regex = [
    (
        r"py:.*",
        r"(keras|tensorflow|tf|numpy|np|sklearn|pandas|pd|dask|aeon|sktime"
        r"|matplotlib|onnx|onnxruntime|joblib|distributed)(\..*)?",
    ),
    # A helper of skseqae._windows that See Also names; it is not public.
    ("py:obj", "windows_to_steps"),
]

myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

QUICK = bool(os.environ.get("SKSEQAE_DOCS_QUICK") or os.environ.get("CI"))

sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r".*\.py$",  # every example runs at build time
    "ignore_pattern": r"__init__\.py",
    "image_scrapers": ("matplotlib",),
    "download_all_examples": False,
    "remove_config_comments": True,
    "abort_on_example_error": True,
    "show_memory": False,
    "min_reported_time": 1,
    "reset_modules_order": "both",
    "write_computation_times": False,
}


def _skip_metadata_requests(app, what, name, obj, skip, options):
    # scikit-learn generates set_{method}_request for every method with extra
    # arguments; they are its metadata-routing plumbing, documented there.
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_metadata_requests)


html_theme = "pydata_sphinx_theme"
html_title = f"skseqae {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "navbar_align": "left",
    "footer_start": ["copyright"],
    "footer_end": [],
}
html_static_path = []
html_show_sourcelink = False
