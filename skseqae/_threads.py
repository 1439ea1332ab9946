"""An opt-in switch for TensorFlow's thread pools.

TensorFlow's thread pools are process-wide and fixed when it runs its first
operation, so skseqae never touches them on its own. On small machines, or
machines shared with other work, the default pools (one thread per core for
each op, and as many to run ops side by side) can make the small per-step
operations of an LSTM slower than one thread does (docs/reports/speed.md).
This function lets a user choose, once, before TensorFlow starts.
"""

from numbers import Integral


def set_tensorflow_threads(intra_op=1, inter_op=1):
    """Set TensorFlow's thread pools for this process, before it starts.

    TensorFlow fixes its thread pools when it runs its first operation, for
    the whole process: this setting also applies to any other TensorFlow or
    Keras code in the process. Call it at the top of a script, before any
    fit, prediction or TensorFlow work. skseqae never calls it itself.

    Parameters
    ----------
    intra_op : int, default=1
        Threads that one operation (a matrix product, an LSTM kernel) may
        use; 0 lets TensorFlow choose (one per core).
    inter_op : int, default=1
        Operations run side by side; 0 lets TensorFlow choose.

    Raises
    ------
    RuntimeError
        If TensorFlow has already started (its pools are fixed by then).

    See Also
    --------
    tensorflow.config.threading : The settings this function makes.

    Examples
    --------
    At the top of a script (not here: the doctests have started TensorFlow):

    >>> import skseqae
    >>> skseqae.set_tensorflow_threads(1, 1)  # doctest: +SKIP
    """
    for name, value in (("intra_op", intra_op), ("inter_op", inter_op)):
        if not isinstance(value, Integral) or isinstance(value, bool) or value < 0:
            raise ValueError(
                f"set_tensorflow_threads: {name} must be an int >= 0 (0: "
                f"TensorFlow's default), got {value!r}."
            )
    from ._backend import tf

    threading = tf.config.threading
    if (
        threading.get_intra_op_parallelism_threads() == intra_op
        and threading.get_inter_op_parallelism_threads() == inter_op
    ):
        return
    try:
        threading.set_intra_op_parallelism_threads(int(intra_op))
        threading.set_inter_op_parallelism_threads(int(inter_op))
    except RuntimeError as exc:
        raise RuntimeError(
            "set_tensorflow_threads must be called before TensorFlow starts: it "
            "has already run an operation in this process, which fixed its "
            "thread pools. Call it at the top of your script, before any fit, "
            "transform or TensorFlow code, or set the environment variables "
            "TF_NUM_INTRAOP_THREADS and TF_NUM_INTEROP_THREADS before Python "
            "starts."
        ) from exc
