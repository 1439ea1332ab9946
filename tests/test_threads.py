import subprocess
import sys
import textwrap

import pytest

import skseqae
from skseqae._backend import tf

USER_SCRIPT = textwrap.dedent(
    """
    import numpy as np
    import skseqae

    skseqae.set_tensorflow_threads(1, 1)
    import keras
    import tensorflow as tf

    X = np.sin(np.linspace(0, 6, 80)).reshape(4, 20).astype("float32")
    codes = skseqae.LSTMAutoencoderTransformer(units=3, epochs=1).fit_transform(X)
    # The user's own TensorFlow and Keras work in the same process.
    model = keras.Sequential([keras.Input((20,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    history = model.fit(X, X[:, :1], epochs=2, verbose=0)
    product = float(tf.reduce_sum(tf.matmul(tf.ones((2, 3)), tf.ones((3, 2)))))
    print(
        len(codes),
        len(history.history["loss"]),
        product,
        tf.config.threading.get_intra_op_parallelism_threads(),
        tf.config.threading.get_inter_op_parallelism_threads(),
    )
    """
)


def test_threads_set_before_tensorflow_starts_and_user_work_runs():
    done = subprocess.run(
        [sys.executable, "-c", USER_SCRIPT],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    assert done.stdout.split("\n")[-2] == "4 2 12.0 1 1"


def test_threads_after_tensorflow_started_raise_with_the_fix():
    float(tf.reduce_sum(tf.ones(2)))  # TensorFlow has started in this process
    now = tf.config.threading.get_intra_op_parallelism_threads()
    with pytest.raises(RuntimeError, match="before TensorFlow starts.*top of your"):
        skseqae.set_tensorflow_threads(now + 1, 1)
    assert tf.config.threading.get_intra_op_parallelism_threads() == now


@pytest.mark.parametrize("intra_op, inter_op", [(-1, 1), (1, 2.5), (True, 1)])
def test_invalid_thread_counts_are_named(intra_op, inter_op):
    with pytest.raises(ValueError, match="must be an int >= 0"):
        skseqae.set_tensorflow_threads(intra_op, inter_op)
