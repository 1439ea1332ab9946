"""Small public time-series data sets bundled with skseqae, and their loaders.

Nothing is downloaded: the files ship inside the package, with their
provenance and the papers to cite in ``data/README.md``.
"""

from ._loaders import list_datasets, load_dataset

__all__ = ["list_datasets", "load_dataset"]
