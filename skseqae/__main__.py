"""Command line: ``skseqae demo`` (or ``python -m skseqae demo``).

Run ``skseqae demo --help`` for the options.
"""

import argparse
import sys


def main(argv=None):
    """Run the ``skseqae`` command line.

    Parameters
    ----------
    argv : list of str, default=None
        The arguments after the program name; None reads ``sys.argv``.

    Returns
    -------
    status : int
        0 on success, 2 for a usage error (after printing it).

    Examples
    --------
    From a shell::

        skseqae demo                       # BasicMotions, well under a minute
        skseqae demo anomaly               # anomalies in a long series
        skseqae demo --dataset gunpoint --out pictures/
        skseqae demo --data my_sequences.csv --epochs 200
    """
    parser = _parser()
    args = parser.parse_args(None if argv is None else [str(a) for a in argv])
    if args.command is None:
        parser.print_help()
        return 2
    from ._demo import DemoSettings, run_demo
    from .plotting import _pyplot

    try:
        _pyplot()  # before training, not after: the pictures need matplotlib
    except ImportError as exc:
        parser.exit(1, f"skseqae demo: error: {exc}\n")
    options = {k: v for k, v in vars(args).items() if v is not None}
    del options["command"]
    if args.task == "anomaly" and (args.dataset or args.data):
        given = "--dataset" if args.dataset else "--data"
        parser.error(
            f"demo anomaly reads a bundled long series (--series), not {given}; "
            f"drop {given} or choose the classify task."
        )
    settings = DemoSettings(**options)  # the demo options are its fields
    try:
        run_demo(settings)
    except ValueError as exc:  # bad --data or --out: say what is wrong, no traceback
        parser.exit(2, f"skseqae demo: error: {exc}\n")
    return 0


def _parser():
    from . import __version__
    from ._demo import DemoSettings
    from ._demo_data import DATA_FORMATS
    from .datasets import list_datasets, list_series

    defaults = DemoSettings()
    parser = argparse.ArgumentParser(
        prog="skseqae", description="LSTM autoencoders as scikit-learn estimators."
    )
    parser.add_argument("--version", action="version", version=f"skseqae {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = commands.add_parser(
        "demo",
        help="classify sequences with autoencoder features and draw pictures",
        description=(
            "Fit Pipeline([LSTM autoencoder, logistic regression]) on the "
            "training split of a data set, print its test accuracy next to "
            "logistic regression on the raw values, and save three pictures "
            "(reconstructions, training loss, 2-D map of the features)."
        ),
        epilog=DATA_FORMATS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    demo.add_argument(
        "task",
        nargs="?",
        choices=["classify", "anomaly"],
        default=defaults.task,
        help="classify: the above (default). anomaly: fit WindowAnomalyDetector "
        "on the normal part of a bundled long series (--series), score the "
        "rest, print ROC AUC and the events found, and save anomalies.png",
    )
    source = demo.add_mutually_exclusive_group()
    source.add_argument(
        "--dataset",
        default=None,  # None: the default, told apart from a --dataset given
        type=str.lower,
        choices=list_datasets(),
        metavar="NAME",
        help=f"classify task: bundled data set, {', '.join(list_datasets())} "
        f"(default: {defaults.dataset})",
    )
    source.add_argument(
        "--data",
        metavar="FILE",
        help="classify task: your own .npz, .csv or .npy file (see below)",
    )
    demo.add_argument(
        "--series",
        default=defaults.series,
        type=str.lower,
        choices=list_series(),
        metavar="NAME",
        help=f"anomaly task: bundled long series, {', '.join(list_series())} "
        f"(default: {defaults.series})",
    )
    _add_model_options(demo, defaults)
    demo.add_argument(
        "--out",
        default=defaults.out,
        metavar="DIR",
        help=f"folder for the pictures (default: ./{defaults.out}/)",
    )
    demo.add_argument(
        "--quiet",
        dest="progress",
        action="store_false",
        help="no progress bar while training (there is none unless the output "
        "is a terminal)",
    )
    return parser


def _add_model_options(demo, defaults):
    demo.add_argument(
        "--estimator",
        choices=["autoencoder", "composite"],
        default=defaults.estimator,
        help="LSTMAutoencoderTransformer, or CompositeLSTMAutoencoder which "
        "also learns to predict each sequence's last steps (default: "
        f"{defaults.estimator})",
    )
    demo.add_argument(
        "--epochs",
        type=_positive_int,
        default=defaults.epochs,
        help="most training epochs; training stops early when the held-out "
        "loss stops improving (default: the estimator's, 100; anomaly: 50)",
    )
    demo.add_argument(
        "--units",
        type=_positive_int,
        default=defaults.units,
        help="LSTM size; the features are the last state, mean and max over "
        "time of the forward and the backward LSTM: 6 x units (default: the "
        "estimator's, 64; anomaly: 32)",
    )
    demo.add_argument(
        "--learning-rate",
        type=float,
        default=defaults.learning_rate,
        help=f"Adam's step size (default: {defaults.learning_rate})",
    )
    demo.add_argument(
        "--n-future",
        type=_positive_int,
        default=None,
        help="composite only: steps to predict (default: a tenth of the "
        "shortest training sequence)",
    )
    demo.add_argument(
        "--random-state",
        type=int,
        default=defaults.random_state,
        help=f"seed of the model and of any train/test split (default: "
        f"{defaults.random_state})",
    )


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {text!r}")
    return value


if __name__ == "__main__":
    sys.exit(main())
