"""TensorFlow and Keras, imported quietly and once.

Importing TensorFlow takes seconds and writes start-up notices (oneDNN, CPU
features) straight to the process's stderr. The estimators import it only
when first fitted or unpickled, through this module, which holds file
descriptor 2 on /dev/null for the import alone and puts it back afterwards,
so that ``verbose=0`` really prints nothing.

TensorFlow's C++ runtime also logs one-off lines while it runs (oneDNN data
types, CUDA probing on machines without a GPU, kernel efficiency hints).
Unless the user has set ``TF_CPP_MIN_LOG_LEVEL`` themselves, it is "3" while
TensorFlow is imported (TensorFlow reads it once, then), and the environment
variable is restored afterwards.
"""

import os
import sys


def _import_quietly():
    if "tensorflow" in sys.modules:
        import keras
        import tensorflow

        return tensorflow, keras
    sys.stderr.flush()
    saved = os.dup(2)
    user_level = os.environ.get("TF_CPP_MIN_LOG_LEVEL")
    if user_level is None:
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            import keras
            import tensorflow
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        if user_level is None:
            del os.environ["TF_CPP_MIN_LOG_LEVEL"]
    return tensorflow, keras


tf, keras = _import_quietly()

if keras.backend.backend() != "tensorflow":
    raise ImportError(
        "skseqae trains with TensorFlow, but Keras is set to the "
        f"{keras.backend.backend()!r} backend. Set the environment variable "
        "KERAS_BACKEND=tensorflow before importing Keras."
    )
