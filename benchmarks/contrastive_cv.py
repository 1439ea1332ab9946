"""A lever for issue #10, measured and not adopted: a contrastive auxiliary loss.

Training for reconstruction barely changes how well a linear model separates
the classes (the network after one epoch scores about the same). This adds,
to the training loss only, ``weight`` times an NT-Xent loss (SimCLR's): the
codes of two randomly perturbed copies of each training sequence (amplitude
times N(1, 0.1) per feature, Gaussian jitter of 0.1 standard deviations, 10%
of steps set to the mean) should be closer to each other than to the other
sequences' codes (cosine similarity of batch-centred codes, temperature
0.2). It patches the traced training step's loss (private code of
``skseqae._compiled``) and runs ``defaults_cv.py``'s 3-fold CV on the
training splits::

    CONTRAST=0.1 python benchmarks/contrastive_cv.py --candidates '[{}]'

Measured (accuracy; Covid3Month: RMSE, lower is better; defaults otherwise):

| weight | seed | Arrow | GunP | OSULeaf | ACSF1 | JapVow | Coffee | Italy | Covid |
|---|---|---|---|---|---|---|---|---|---|
| 0 (defaults) | 0 | 0.667 | 0.980 | 0.670 | 0.419 | 0.985 | 0.933 | 0.970 | |
| 0.1 | 0 | 0.778 | 0.980 | 0.685 | 0.398 | 0.981 | 0.933 | 0.970 | |
| 0.3 | 0 | 0.806 | 0.941 | 0.645 | 0.418 | 0.974 | 0.933 | 0.970 | |
| 1.0 | 0 | 0.750 | 0.900 | 0.620 | 0.369 | 0.967 | 0.967 | 0.955 | |
| 0 (defaults) | 1 | 0.694 | 1.000 | 0.675 | 0.430 | 0.989 | | | 0.374 |
| 0.1 | 1 | 0.778 | 0.980 | 0.670 | 0.360 | 0.989 | | | 0.719 |

ArrowHead gains 0.08-0.14 at every weight, but the other sets lose
(ACSF1 by up to 0.07, GunPoint by up to 0.08) and the regression error
doubles: not adopted. Fits took 1.2-1.8x longer (three encoder passes per
step).
"""

import os
import sys

import defaults_cv
import tensorflow as tf

import skseqae._compiled as compiled

TEMPERATURE, SCALE, JITTER, DROP = 0.2, 0.1, 0.1, 0.1


def contrastive_losses(weight):
    """``TrainingSteps._losses`` plus ``weight`` times NT-Xent in training."""
    reconstruction = compiled.TrainingSteps._losses

    def losses(self, inputs, targets, lengths, loss_weights, training):
        total, per_output = reconstruction(
            self, inputs, targets, lengths, loss_weights, training
        )
        if not training:
            return total, per_output
        encoder, scale = self._networks.encoder, self._networks.input_layer.scale

        def view(x):  # x: centred, NaN-padded (NaN stays NaN)
            shape = tf.shape(x)
            amplitude = 1.0 + SCALE * tf.random.normal([shape[0], 1, shape[2]])
            keep = tf.random.uniform([shape[0], shape[1], 1]) >= DROP
            jitter = JITTER * scale * tf.random.normal(shape)
            return (x * amplitude + jitter) * tf.cast(keep, x.dtype)

        codes = [encoder(view(inputs), training=True) for _ in range(2)]
        z = tf.concat(codes, axis=0)
        z = tf.math.l2_normalize(z - tf.reduce_mean(z, axis=0), axis=1)
        n = tf.shape(z)[0] // 2
        logits = tf.matmul(z, z, transpose_b=True) / TEMPERATURE
        logits -= 1e9 * tf.eye(2 * n)  # a copy is not its own positive
        labels = tf.concat([tf.range(n, 2 * n), tf.range(n)], axis=0)
        nt_xent = tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits)
        return total + weight * tf.reduce_mean(nt_xent), per_output

    return losses


if __name__ == "__main__":
    weight = float(os.environ.get("CONTRAST", "0"))
    if weight:
        compiled.TrainingSteps._losses = contrastive_losses(weight)
    defaults_cv.main(sys.argv[1:])
