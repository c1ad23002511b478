"""Lazy regularisation (Karras et al., 2020, StyleGAN2 section 3.1).

A regulariser such as R1 or a gradient penalty is evaluated only every k-th step and
multiplied by k, so that its expected contribution per step is unchanged while its
cost (a double backward through the critic) is paid k times less often. StyleGAN2
uses k = 16 for R1. With Adam, StyleGAN2 also rescales the learning rate and betas
of the regularised player by k / (k + 1); `adam_hyperparameters` gives those.
"""


class LazyRegularizer:
    """Calls `penalty` every `every` steps and scales it by `every`.

    Args:
        penalty: a callable returning a 0-dim tensor, e.g.
            ``functools.partial(fastgan.ops.r1_penalty, gamma=10.0)``.
        every: k, the interval in steps (>= 1; 1 means every step, unscaled).

    Use: ``loss = d_loss + reg(critic, real)`` each step; on steps that are not due
    it returns 0.0 without calling `penalty`. Check `reg.due` first to skip the
    arguments' preparation as well. The internal step counter advances on each call.
    """

    def __init__(self, penalty, every=16):
        if not callable(penalty):
            raise TypeError(f"penalty must be callable, got {type(penalty).__name__}")
        every = int(every)
        if every < 1:
            raise ValueError(f"every must be >= 1, got {every}")
        self.penalty = penalty
        self.every = every
        self.step = 0

    @property
    def due(self):
        """True when the next call evaluates the penalty."""
        return self.step % self.every == 0

    def __call__(self, *args, **kwargs):
        due = self.due
        self.step += 1
        if not due:
            return 0.0
        return self.penalty(*args, **kwargs) * self.every

    def adam_hyperparameters(self, lr, betas=(0.0, 0.99)):
        """StyleGAN2's correction of Adam's lr and betas for lazy steps: ``c = k / (k + 1)``.

        Returns:
            (lr * c, (beta1 ** c, beta2 ** c)).
        """
        c = self.every / (self.every + 1.0)
        return lr * c, (betas[0] ** c, betas[1] ** c)
