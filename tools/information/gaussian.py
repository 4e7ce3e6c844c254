"""KL divergence between Gaussians (高斯分布的KL散度) in closed form: univariate, or diagonal multivariate
(a VAE's latent, whose prior is the standard normal). Plain float arithmetic, no torch, no sampling.

For one dimension, KL(N(μ₁, σ₁²) ‖ N(μ₂, σ₂²)) = ln(σ₂/σ₁) + (σ₁² + (μ₁ − μ₂)²) / (2σ₂²) − ½; a diagonal
Gaussian sums it over dimensions. Against N(0, 1) this is the VAE term ½ Σ (μ² + σ² − 1 − ln σ²) (Kingma &
Welling 2014, Appendix B).
"""

import math
from typing import Annotated

from pydantic import Field

from tools._common import MAX_VECTOR, FiniteFloat, ResultModel
from tools.errors import ToolInputError
from tools.information.measures import LOG_OF_BASE, UNITS, Base

__all__ = ["GaussianKLResult", "gaussian_kl"]

Values = FiniteFloat | Annotated[list[FiniteFloat], Field(min_length=1, max_length=MAX_VECTOR)]


class GaussianKLResult(ResultModel):
    """Both directions of the KL divergence between two Gaussians, with each dimension's share."""

    kl_pq: float = Field(description="KL(p‖q) in `unit`: summed over dimensions for a diagonal Gaussian.")
    kl_qp: float = Field(description="The reverse, KL(q‖p), in `unit`: different in general.")
    per_dimension: list[float] = Field(description="Each dimension's KL(p‖q) in `unit` (one entry when 1-D).")
    dimensions: int = Field(description="Number of dimensions (1 for univariate Gaussians).")
    p_mean: list[float] = Field(description="μ_p per dimension.")
    p_std: list[float] = Field(
        description="σ_p per dimension (the square root of a variance that was given)."
    )
    q_mean: list[float] = Field(description="μ_q per dimension.")
    q_std: list[float] = Field(description="σ_q per dimension.")
    unit: str = Field(description="nats (base e), bits (base 2) or hartleys (base 10).")
    formula: str = Field(
        description="The closed form with this call's numbers (first dimension when several)."
    )
    note: str = Field(description="What the numbers mean: asymmetry, the VAE case, zero only when p = q.")


def _vector(name: str, value: float | list[float] | None, size: int) -> list[float] | None:
    if value is None:
        return None
    values = [float(value)] * size if isinstance(value, int | float) else [float(v) for v in value]
    if len(values) not in (1, size):
        raise ToolInputError(name, f"has {len(values)} values but the Gaussians have {size} dimensions")
    return values * size if len(values) == 1 else values


def _std(
    name: str, std: list[float] | None, var_name: str, var: list[float] | None, size: int
) -> list[float]:
    if std is not None and var is not None:
        raise ToolInputError(
            var_name, f"give {name.removesuffix('_std')}'s spread once: {name} or {var_name}"
        )
    if var is not None:
        for i, v in enumerate(var):
            if not v > 0:
                raise ToolInputError(var_name, f"must be > 0 (a variance; index {i} is {v:g})")
        return [math.sqrt(v) for v in var]
    if std is None:
        return [1.0] * size
    for i, s in enumerate(std):
        if not s > 0:
            raise ToolInputError(name, f"must be > 0 (a standard deviation; index {i} is {s:g})")
    return std


def _kl(mean_1: float, std_1: float, mean_2: float, std_2: float) -> float:
    # log(σ₂/σ₁) as a difference of logs: the ratio of two tiny or huge deviations would overflow or vanish
    return (
        math.log(std_2)
        - math.log(std_1)
        + (std_1 / std_2) ** 2 / 2
        + ((mean_1 - mean_2) / std_2) ** 2 / 2
        - 0.5
    )


def gaussian_kl(
    p_mean: Annotated[
        Values,
        Field(
            description="Mean μ of p: one number, or one per dimension of a diagonal Gaussian (VAE latent)."
        ),
    ],
    p_std: Annotated[
        Values | None,
        Field(description="Standard deviation σ of p (> 0), one number or one per dimension."),
    ] = None,
    p_var: Annotated[
        Values | None,
        Field(description="Variance σ² of p (> 0), instead of p_std: N(μ, σ²) notation gives the variance."),
    ] = None,
    q_mean: Annotated[
        Values,
        Field(description="Mean μ of q; 0 (the standard normal prior of a VAE) unless given."),
    ] = 0.0,
    q_std: Annotated[
        Values | None,
        Field(description="Standard deviation σ of q (> 0); 1 unless q_var is given."),
    ] = None,
    q_var: Annotated[
        Values | None,
        Field(description="Variance σ² of q (> 0), as an alternative to q_std."),
    ] = None,
    base: Base = "e",
) -> GaussianKLResult:
    """KL divergence between two Gaussians (高斯分布的KL散度), closed form: KL(p‖q) and KL(q‖p).

    KL(N(μ₁, σ₁²) ‖ N(μ₂, σ₂²)) = ln(σ₂/σ₁) + (σ₁² + (μ₁ − μ₂)²)/(2σ₂²) − ½, summed over dimensions for
    diagonal Gaussians. q defaults to the standard normal N(0, 1), so p alone gives a VAE's KL term
    ½Σ(μ² + σ² − 1 − ln σ²). Give each spread as a standard deviation (p_std) or a variance (p_var); a single
    number applies to every dimension.
    """
    lists = [v for v in (p_mean, p_std, p_var, q_mean, q_std, q_var) if isinstance(v, list)]
    size = max((len(v) for v in lists), default=1)
    mean_p = _vector("p_mean", p_mean, size) or []
    mean_q = _vector("q_mean", q_mean, size) or []
    std_p = _std("p_std", _vector("p_std", p_std, size), "p_var", _vector("p_var", p_var, size), size)
    std_q = _std("q_std", _vector("q_std", q_std, size), "q_var", _vector("q_var", q_var, size), size)
    scale, unit = LOG_OF_BASE[base], UNITS[base]
    forward = [_kl(a, s, b, t) / scale for a, s, b, t in zip(mean_p, std_p, mean_q, std_q, strict=True)]
    reverse = [_kl(b, t, a, s) / scale for a, s, b, t in zip(mean_p, std_p, mean_q, std_q, strict=True)]
    kl_pq, kl_qp = max(math.fsum(forward), 0.0), max(math.fsum(reverse), 0.0)  # ≥ 0; rounding may dip below
    m1, s1, m2, s2 = mean_p[0], std_p[0], mean_q[0], std_q[0]
    nats_0 = forward[0] * scale
    in_unit = "" if base == "e" else f" = {forward[0]:.6g} {unit}"
    formula = (
        f"ln(σ_q/σ_p) + (σ_p² + (μ_p − μ_q)²)/(2σ_q²) − ½ = ln({s2:g}/{s1:g}) + "
        f"({s1:g}² + ({m1:g} − {m2:g})²)/(2·{s2:g}²) − ½ = {nats_0:.6g} nats{in_unit}"
        + (f" for dimension 0; {size} dimensions sum to {kl_pq:.6g} {unit}" if size > 1 else "")
    )
    standard = all(m == 0 for m in mean_q) and all(s == 1 for s in std_q)
    notes = [
        f"KL(p‖q) = {kl_pq:.6g} {unit}, KL(q‖p) = {kl_qp:.6g} {unit}: KL is not symmetric",
        "it is 0 only when the two Gaussians are the same",
    ]
    if standard:
        notes.append(
            "q is the standard normal N(0, 1), so KL(p‖q) is a VAE's KL term ½Σ(μ² + σ² − 1 − ln σ²)"
        )
    return GaussianKLResult(
        kl_pq=kl_pq,
        kl_qp=kl_qp,
        per_dimension=forward,
        dimensions=size,
        p_mean=mean_p,
        p_std=std_p,
        q_mean=mean_q,
        q_std=std_q,
        unit=unit,
        formula=formula,
        note="; ".join(notes) + ".",
    )
