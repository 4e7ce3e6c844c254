"""AdaBelief (Zhuang et al., NeurIPS 2020) as a ``torch.optim.Optimizer``; torch.optim has none.

AdaBelief is Adam with the second moment of the gradient replaced by the "belief" in it: the exponential
moving average of the squared deviation of the gradient from its own moving average. Where the observed
gradient agrees with the prediction m_t the step is large; where it disagrees the step is small.

The options follow the authors' package, adabelief-pytorch 0.2.1 (``adabelief_pytorch/AdaBelief.py``), and
the tests compare every combination with it in float64.

Importing this module imports torch: the tools import it inside their functions, never at module level.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any, overload

import torch
from torch.optim import Optimizer

__all__ = ["AdaBelief"]


class AdaBelief(Optimizer):
    r"""AdaBelief, Algorithm 2 of Zhuang et al. (NeurIPS 2020), with the options of adabelief-pytorch 0.2.1.

    For each parameter θ with gradient g_t at step t = 1, 2, …::

        θ      ← θ · (1 − lr·weight_decay)                      (weight_decouple, as in AdamW)
        m_t    = β1·m_{t−1} + (1 − β1)·g_t
        s_t    = β2·s_{t−1} + (1 − β2)·(g_t − m_t)² + ε
        m̂_t    = m_t / (1 − β1^t)
        ŝ_t    = s_t / (1 − β2^t)
        θ      ← θ − lr · m̂_t / (√ŝ_t + ε)

    Options, with the reference's meaning:

    - ``weight_decouple`` (default True): decay θ directly by ``lr·weight_decay`` (AdamW); False adds
      ``weight_decay·θ`` to the gradient instead (L2, Adam-style), without touching ``param.grad``.
    - ``fixed_decay`` (default False): with ``weight_decouple``, decay by ``weight_decay`` alone, not scaled
      by the learning rate.
    - ``amsgrad`` (default False): divide by the running maximum of s_t instead of s_t (AMSGrad, Reddi et al.
      2018). As in the reference, the rectified update below uses s_t itself once the variance is tractable.
    - ``rectify`` (default False): RAdam's rectification (Liu et al. 2020). With ρ_∞ = 2/(1 − β2) − 1 and
      ρ_t = ρ_∞ − 2t·β2^t/(1 − β2^t): while ρ_t < 5 the step is SGD with momentum, θ ← θ − lr·m̂_t (or no step
      when ``degenerated_to_sgd`` is False); afterwards θ ← θ − lr·r_t·m_t/(1 − β1^t)/(√s_t + ε) with
      r_t = √((1 − β2^t)·(ρ_t − 4)(ρ_t − 2)ρ_∞ / ((ρ_∞ − 4)(ρ_∞ − 2)ρ_t)).
    - ``degenerated_to_sgd`` (default True): see ``rectify``.

    Defaults: ``rectify=False`` is the paper's Algorithm 2 (adabelief-pytorch ≥ 0.1 defaults to True, so its
    trajectory differs unless you pass ``rectify=True`` here or ``rectify=False`` there); ``weight_decouple``,
    ``fixed_decay``, ``amsgrad``, ``degenerated_to_sgd`` and ``eps=1e-16`` are the package's defaults. ε is
    added to s_t, inside the square root, so 1e-16 there plays the part of Adam's 1e-8 outside it.

    State per parameter: ``step`` (int), ``exp_avg`` (m), ``exp_avg_var`` (s) and, with ``amsgrad``,
    ``max_exp_avg_var``, shaped like the parameter. Sparse gradients are rejected. ``step(closure)`` follows
    the torch.optim contract: the closure, if given, is re-evaluated with gradients enabled and its loss
    returned.
    """

    def __init__(
        self,
        params: Iterable[torch.Tensor] | Iterable[dict[str, Any]],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-16,
        weight_decay: float = 0.0,
        *,
        amsgrad: bool = False,
        weight_decouple: bool = True,
        fixed_decay: bool = False,
        rectify: bool = False,
        degenerated_to_sgd: bool = True,
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
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "weight_decouple": weight_decouple,
            "fixed_decay": fixed_decay,
            "rectify": rectify,
            "degenerated_to_sgd": degenerated_to_sgd,
        }
        super().__init__(params, defaults)

    @overload
    def step(self, closure: None = None) -> None: ...

    @overload
    def step(self, closure: Callable[[], float]) -> float: ...

    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> float | None:
        """Perform one optimisation step; return the closure's loss when a closure is given."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()

        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is None:
                    continue
                if param.grad.is_sparse:
                    raise RuntimeError("AdaBelief does not support sparse gradients")
                self._update(param, group)
        return loss

    def _update(self, param: torch.Tensor, group: dict[str, Any]) -> None:
        lr: float = group["lr"]
        beta1, beta2 = group["betas"]
        eps: float = group["eps"]
        weight_decay: float = group["weight_decay"]
        state = self.state[param]
        if not state:
            state["step"] = 0
            state["exp_avg"] = torch.zeros_like(param, memory_format=torch.preserve_format)
            state["exp_avg_var"] = torch.zeros_like(param, memory_format=torch.preserve_format)
            if group["amsgrad"]:
                state["max_exp_avg_var"] = torch.zeros_like(param, memory_format=torch.preserve_format)
        state["step"] += 1
        step: int = state["step"]
        exp_avg: torch.Tensor = state["exp_avg"]
        exp_avg_var: torch.Tensor = state["exp_avg_var"]

        grad = param.grad
        assert grad is not None  # step() skips parameters without one
        if group["weight_decouple"]:
            param.mul_(1.0 - (weight_decay if group["fixed_decay"] else lr * weight_decay))
        elif weight_decay != 0.0:
            grad = grad.add(param, alpha=weight_decay)  # a new tensor: param.grad stays the caller's

        exp_avg.mul_(beta1).add_(grad, alpha=1.0 - beta1)
        residual = grad - exp_avg
        exp_avg_var.mul_(beta2).addcmul_(residual, residual, value=1.0 - beta2).add_(eps)
        if group["amsgrad"]:
            max_var: torch.Tensor = state["max_exp_avg_var"]
            torch.maximum(max_var, exp_avg_var, out=max_var)
            belief = max_var
        else:
            belief = exp_avg_var

        bias_correction1 = 1.0 - beta1**step
        bias_correction2 = 1.0 - beta2**step
        if not group["rectify"]:
            denom = belief.sqrt().div_(math.sqrt(bias_correction2)).add_(eps)
            param.addcdiv_(exp_avg, denom, value=-lr / bias_correction1)
            return
        # RAdam's rectification: the length ρ_t of the approximated simple moving average decides whether the
        # adaptive step's variance is tractable yet (ρ_t ≥ 5); until then, momentum SGD.
        rho_inf = 2.0 / (1.0 - beta2) - 1.0
        beta2_t = beta2**step
        rho_t = rho_inf - 2.0 * step * beta2_t / (1.0 - beta2_t)
        if rho_t >= 5.0:
            rectifier = math.sqrt(
                (1.0 - beta2_t) * (rho_t - 4) / (rho_inf - 4) * (rho_t - 2) / rho_t * rho_inf / (rho_inf - 2)
            )
            denom = exp_avg_var.sqrt().add_(eps)
            param.addcdiv_(exp_avg, denom, value=-lr * rectifier / bias_correction1)
        elif group["degenerated_to_sgd"]:
            param.add_(exp_avg, alpha=-lr / bias_correction1)
