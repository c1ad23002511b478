"""Historical averaging (Salimans et al., 2016, section 3.3).

Adds ``weight * sum_p || theta_p - mean_t theta_p[t] ||^2`` to a player's loss, the
mean running over the parameter values recorded so far (one `update()` per step).
"""
import torch


class HistoricalAverage:
    """Running mean of a module's parameters and the penalty towards it.

    Args:
        module: the nn.Module whose parameters are averaged (or an iterable of parameters).
        weight: the penalty's coefficient.

    The average starts at the current parameters (so the first penalty is 0); call
    `update()` after every optimiser step.
    """

    def __init__(self, module, weight=1.0):
        params = module.parameters() if isinstance(module, torch.nn.Module) else module
        self.params = [p for p in params]
        if not self.params:
            raise ValueError("HistoricalAverage needs at least one parameter")
        self.weight = float(weight)
        self.count = 1
        self.averages = [p.detach().clone() for p in self.params]

    @torch.no_grad()
    def update(self):
        """Fold the parameters' current values into the running mean."""
        self.count += 1
        for avg, p in zip(self.averages, self.params):
            avg.add_(p.detach() - avg, alpha=1.0 / self.count)

    def penalty(self):
        """``weight * sum ||theta - average||^2`` as a 0-dim tensor, differentiable in the parameters."""
        return self.weight * sum((p - avg).square().sum() for p, avg in zip(self.params, self.averages))
