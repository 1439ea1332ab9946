"""Small public time-series data sets bundled with skseqae, and their loaders.

Nothing is downloaded: the files ship inside the package, with their
provenance and the papers to cite in ``data/README.md``.
"""

from ._loaders import (
    DATASETS,
    REGRESSION,
    list_datasets,
    list_series,
    load_dataset,
    load_series,
)

__all__ = [
    "DATASETS",
    "REGRESSION",
    "list_datasets",
    "list_series",
    "load_dataset",
    "load_series",
]
