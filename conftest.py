"""Collection rules for the whole repository (tests/ and skseqae/'s doctests).

A public module of an optional extra raises ImportError on import when its
extra is missing (telling what to install), so pytest must not import it for
its doctests then.
"""

import importlib

#: Module file -> the package of the optional extra it needs.
_OPTIONAL = {
    "skseqae/dask.py": "dask",
    "skseqae/aeon.py": "aeon",
    "skseqae/sktime.py": "sktime",
}


def _missing(package):
    try:
        importlib.import_module(package)
    except ImportError:
        return True
    return False


collect_ignore = [path for path, package in _OPTIONAL.items() if _missing(package)]
