"""AdaBelief (Zhuang et al., NeurIPS 2020) as a ``torch.optim.Optimizer``; torch.optim has none.

AdaBelief is Adam with the second moment of the gradient replaced by the "belief" in it: the exponential
moving average of the squared deviation of the gradient from its own moving average. Where the observed
gradient agrees with the prediction m_t the step is large; where it disagrees the step is small.

Importing this module imports torch: the tools import it inside their functions, never at module level.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch.optim import Optimizer

__all__ = ["AdaBelief"]


class AdaBelief(Optimizer):
    r"""AdaBelief with decoupled weight decay, exactly Algorithm 2 of Zhuang et al. (NeurIPS 2020).

    For each parameter θ with gradient g_t at step t = 1, 2, …::

        θ      ← θ · (1 − lr·weight_decay)                      (decoupled, as in AdamW)
        m_t    = β1·m_{t−1} + (1 − β1)·g_t
        s_t    = β2·s_{t−1} + (1 − β2)·(g_t − m_t)² + ε
        m̂_t    = m_t / (1 − β1^t)
        ŝ_t    = s_t / (1 − β2^t)
        θ      ← θ − lr · m̂_t / (√ŝ_t + ε)

    State per parameter: ``step`` (int), ``exp_avg`` (m) and ``exp_avg_var`` (s), both shaped like the
    parameter. Sparse gradients are rejected. ``step(closure)`` follows the torch.optim contract: the closure,
    if given, is re-evaluated with gradients enabled and its loss returned.

    The default ``eps=1e-16`` is the authors' recommendation (adabelief-pytorch ≥ 0.1): ε is added to s_t,
    inside the square root, so 1e-16 there plays the part of Adam's 1e-8 outside it.
    """

    def __init__(
        self,
        params: Iterable[torch.Tensor] | Iterable[dict[str, Any]],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-16,
        weight_decay: float = 0.0,
    ) -> None:
        if not lr >= 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not eps >= 0.0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not weight_decay >= 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay})

    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> float | None:  # type: ignore[override]
        """Perform one optimisation step; return the closure's loss when a closure is given."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()

        for group in self.param_groups:
            lr: float = group["lr"]
            beta1, beta2 = group["betas"]
            eps: float = group["eps"]
            weight_decay: float = group["weight_decay"]
            for param in group["params"]:
                grad = param.grad
                if grad is None:
                    continue
                if grad.is_sparse:
                    raise RuntimeError("AdaBelief does not support sparse gradients")
                state = self.state[param]
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = torch.zeros_like(param, memory_format=torch.preserve_format)
                    state["exp_avg_var"] = torch.zeros_like(param, memory_format=torch.preserve_format)
                state["step"] += 1
                step: int = state["step"]
                exp_avg: torch.Tensor = state["exp_avg"]
                exp_avg_var: torch.Tensor = state["exp_avg_var"]

                if weight_decay != 0.0:
                    param.mul_(1.0 - lr * weight_decay)
                exp_avg.lerp_(grad, 1.0 - beta1)
                residual = grad - exp_avg
                exp_avg_var.mul_(beta2).addcmul_(residual, residual, value=1.0 - beta2).add_(eps)

                bias_correction1 = 1.0 - beta1**step
                bias_correction2 = 1.0 - beta2**step
                denom = exp_avg_var.sqrt().div_(math.sqrt(bias_correction2)).add_(eps)
                param.addcdiv_(exp_avg, denom, value=-lr / bias_correction1)
        return loss
