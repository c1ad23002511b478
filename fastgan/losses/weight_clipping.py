"""WGAN's weight clipping (Arjovsky et al., 2017) as an optimiser step hook.

After every optimiser step the critic's parameters are clamped to [-clip, clip],
which bounds the critic's Lipschitz constant (crudely; WGAN-GP replaces it).
"""
import torch


def clip_weights_after_step(optimizer, parameters=None, clip=0.01):
    """Clamp parameters into [-clip, clip] after each `optimizer.step()`.

    Args:
        optimizer: a torch.optim.Optimizer.
        parameters: the parameters (or an nn.Module) to clip; default: every
            parameter the optimiser updates.
        clip: the bound c (0.01 in the WGAN paper), > 0.

    Returns:
        The hook's handle; `handle.remove()` stops the clipping.
    """
    clip = float(clip)
    if not clip > 0.0:
        raise ValueError(f"clip must be > 0, got {clip}")
    if parameters is None:
        params = [p for group in optimizer.param_groups for p in group["params"]]
    elif isinstance(parameters, torch.nn.Module):
        params = list(parameters.parameters())
    else:
        params = list(parameters)

    @torch.no_grad()
    def clamp(opt, args, kwargs):
        for p in params:
            p.clamp_(-clip, clip)

    clamp(optimizer, (), {})  # start inside the box too
    return optimizer.register_step_post_hook(clamp)
