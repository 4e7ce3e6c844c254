"""Information theory of discrete distributions: entropy, cross-entropy, KL divergence.

The arithmetic runs in float64 on torch (imported on first call): ``xlogy`` gives 0·log 0 = 0 exactly, and a
10⁶-entry distribution takes about a tenth of a second. Infinite quantities (a zero in q where p has mass) are
reported as ``None`` plus a flag and the first offending index, never as inf.
"""

import array
import math
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BeforeValidator, Field

from tools._common import MAX_VECTOR, FiniteFloat, ResultModel, enum_text
from tools.errors import ToolInputError

if TYPE_CHECKING:
    from torch import Tensor

__all__ = [
    "LOG_OF_BASE",
    "UNITS",
    "Base",
    "CrossEntropyResult",
    "EntropyResult",
    "KLDivergenceResult",
    "cross_entropy",
    "entropy",
    "kl_divergence",
]

#: How far from 1 a distribution's sum may be before it is rejected (unless normalize=true).
SUM_TOLERANCE = 1e-6

#: The unit each log base gives, and the natural log of the base (divide nats by it).
UNITS = {"e": "nats", "2": "bits", "10": "hartleys"}
LOG_OF_BASE = {"e": 1.0, "2": math.log(2.0), "10": math.log(10.0)}

Base = Annotated[
    Literal["e", "2", "10"],
    BeforeValidator(enum_text),  # "base": 2 (a number) means "2"
    Field(
        description="Log base: e → nats (ln), 2 → bits (log2), 10 → hartleys (log10); 2 and 10 may be sent "
        "as numbers."
    ),
]
Normalize = Annotated[
    bool,
    Field(description="Rescale each distribution to sum to 1 instead of rejecting one that does not."),
]


def _distribution_field(what: str) -> object:
    return Field(min_length=1, max_length=MAX_VECTOR, description=what)


Distribution = list[FiniteFloat]


# ---------------------------------------------------------------------------------------------- results


class EntropyResult(ResultModel):
    entropy: float = Field(description="H(p) = −Σ p_i·log p_i, in `unit`.")
    unit: str = Field(description="nats (base e), bits (base 2) or hartleys (base 10).")
    max_entropy: float = Field(description="log n for n outcomes: the entropy of the uniform distribution.")
    normalized_entropy: float | None = Field(
        description="H(p) / log n in [0, 1] (1 = uniform); None when n = 1 (log n = 0)."
    )
    perplexity: float = Field(
        description="base^H = e^(H in nats): the effective number of equally likely outcomes, in [1, n]."
    )
    support_size: int = Field(description="How many outcomes have p_i > 0.")
    n: int = Field(description="Length of p.")
    normalized: bool = Field(description="True when p was rescaled to sum to 1 (normalize=true).")
    note: str = Field(description="The quantity in words, with its bounds.")


class CrossEntropyResult(ResultModel):
    cross_entropy: float | None = Field(
        description="H(p, q) = −Σ p_i·log q_i in `unit`; None when infinite (see `infinite`)."
    )
    infinite: bool = Field(description="True when some q_i = 0 where p_i > 0, which makes H(p, q) infinite.")
    infinite_index: int | None = Field(description="First index i with p_i > 0 and q_i = 0, if any.")
    infinite_count: int = Field(description="How many indices have p_i > 0 and q_i = 0.")
    entropy_p: float = Field(description="H(p), the lower bound of H(p, q) (reached when q = p).")
    kl_divergence: float | None = Field(description="KL(p‖q) = H(p, q) − H(p); None when infinite.")
    perplexity: float | None = Field(
        description="e^(H(p, q) in nats), the perplexity of q on data drawn from p; None when infinite or "
        "beyond float range."
    )
    unit: str = Field(description="nats (base e), bits (base 2) or hartleys (base 10).")
    normalized: bool = Field(description="True when p or q was rescaled to sum to 1 (normalize=true).")
    note: str = Field(description="How the quantities relate.")


class KLDivergenceResult(ResultModel):
    kl_pq: float | None = Field(description="KL(p‖q) = Σ p_i·log(p_i/q_i) in `unit`; None when infinite.")
    kl_pq_infinite: bool = Field(description="True when some q_i = 0 where p_i > 0 (KL(p‖q) = ∞).")
    kl_pq_infinite_index: int | None = Field(description="First index i with p_i > 0 and q_i = 0, if any.")
    kl_qp: float | None = Field(description="The reverse, KL(q‖p) = Σ q_i·log(q_i/p_i); None when infinite.")
    kl_qp_infinite: bool = Field(description="True when some p_i = 0 where q_i > 0 (KL(q‖p) = ∞).")
    kl_qp_infinite_index: int | None = Field(description="First index i with q_i > 0 and p_i = 0, if any.")
    asymmetry: float | None = Field(
        description="KL(p‖q) − KL(q‖p): nonzero in general, since KL is not a distance; None when either is "
        "infinite."
    )
    entropy_p: float = Field(description="H(p).")
    entropy_q: float = Field(description="H(q).")
    cross_entropy_pq: float | None = Field(description="H(p, q) = H(p) + KL(p‖q); None when infinite.")
    cross_entropy_qp: float | None = Field(description="H(q, p) = H(q) + KL(q‖p); None when infinite.")
    js_divergence: float = Field(
        description="Jensen–Shannon divergence ½KL(p‖m) + ½KL(q‖m), m = (p+q)/2: symmetric, always finite, "
        "at most log 2."
    )
    unit: str = Field(description="nats (base e), bits (base 2) or hartleys (base 10).")
    normalized: bool = Field(description="True when p or q was rescaled to sum to 1 (normalize=true).")
    note: str = Field(description="How the quantities relate, with the numbers of this call.")


# ---------------------------------------------------------------------------------------------- helpers


def _checked(name: str, values: list[float], normalize: bool) -> tuple["Tensor", bool]:
    """``values`` as a float64 probability vector summing to 1, and whether it was rescaled noticeably."""
    import torch

    if not values:
        raise ToolInputError(name, "must hold at least one probability")
    if len(values) > MAX_VECTOR:
        raise ToolInputError(name, f"at most {MAX_VECTOR:,} entries are accepted (got {len(values):,})")
    # array('d') converts a list of floats about 3× faster than torch.tensor; the tensor keeps it alive.
    probs = torch.frombuffer(array.array("d", values), dtype=torch.float64)
    bad = _first(~torch.isfinite(probs))
    if bad is not None:
        raise ToolInputError(name, f"every entry must be a finite number; {name}[{bad}] = {values[bad]}")
    bad = _first(probs < 0)
    if bad is not None:
        raise ToolInputError(name, f"probabilities cannot be negative; {name}[{bad}] = {values[bad]}")
    total = probs.sum().item()
    if not math.isfinite(total):
        raise ToolInputError(name, "the entries are too large to sum; pass probabilities in [0, 1]")
    if normalize:
        if total <= 0:
            raise ToolInputError(name, "sums to 0 and cannot be normalized; give at least one positive entry")
    elif abs(total - 1.0) > SUM_TOLERANCE:
        raise ToolInputError(
            name, f"must sum to 1 within {SUM_TOLERANCE:g} (got {total:.10g}); pass normalize=true to rescale"
        )
    # Within tolerance the sum is made exact too, so the identities (KL ≥ 0, H(p,q) ≥ H(p)) hold to rounding.
    if total != 1.0:
        probs = probs / total
    return probs, abs(total - 1.0) > SUM_TOLERANCE


def _first(mask: "Tensor") -> int | None:
    """Index of the first True in a 1-D mask, or None."""
    hits = mask.nonzero()
    return int(hits[0, 0]) if hits.numel() else None


def _same_length(p: list[float], q: list[float]) -> None:
    if len(p) != len(q):
        raise ToolInputError("q", f"must have the same length as p ({len(p)} entries); got {len(q)}")


def _entropy_nats(p: "Tensor") -> float:
    import torch

    return max(0.0, -torch.special.xlogy(p, p).sum().item())


def _zero_support(p: "Tensor", q: "Tensor") -> tuple[int | None, int]:
    """First index where p has mass and q has none, and how many such indices (they make KL(p‖q) infinite)."""
    mask = (p > 0) & (q == 0)
    return _first(mask), int(mask.sum())


def _kl_nats(p: "Tensor", q: "Tensor") -> float:
    import torch

    # Summed term by term (not as H(p,q) − H(p)) so a tiny KL does not drown in cancellation; the true value
    # is ≥ 0 for normalized p, q (Gibbs), so a rounding-level negative sum is reported as 0.
    xlogy = torch.special.xlogy
    return max(0.0, (xlogy(p, p) - xlogy(p, q)).sum().item())


def _fmt(value: float | None, unit: str) -> str:
    return "∞" if value is None else f"{value:.6g} {unit}"


# ---------------------------------------------------------------------------------------------- tools


def entropy(
    p: Annotated[Distribution, _distribution_field("Probabilities p_i of a discrete distribution.")],
    base: Base = "e",
    normalize: Normalize = False,
) -> EntropyResult:
    """Shannon entropy H(p) = −Σ p_i·log p_i of a discrete distribution (信息熵).

    Returns H(p) in nats, bits or hartleys, with the maximum log n (uniform distribution), the normalized
    entropy H/log n and the perplexity base^H (effective number of equally likely outcomes). p must be
    non-negative and sum to 1 within 1e-6, or pass normalize=true to rescale counts or weights.
    Terms with p_i = 0 contribute 0 (0·log 0 = 0). Up to 1,000,000 entries.
    """
    probs, rescaled = _checked("p", p, normalize)
    scale = LOG_OF_BASE[base]
    unit = UNITS[base]
    h_nats = _entropy_nats(probs)
    n = probs.numel()
    h, h_max = h_nats / scale, math.log(n) / scale
    ratio = None if n == 1 else min(1.0, h_nats / math.log(n))
    support = int((probs > 0).sum())
    perplexity = math.exp(h_nats)
    return EntropyResult(
        entropy=h,
        unit=unit,
        max_entropy=h_max,
        normalized_entropy=ratio,
        perplexity=perplexity,
        support_size=support,
        n=n,
        normalized=rescaled,
        note=(
            f"H(p) = −Σ p_i·log p_i = {h:.6g} {unit}; 0 ≤ H ≤ log n = {h_max:.6g} {unit} (the uniform "
            f"distribution is the maximum, a single certain outcome gives 0); perplexity "
            f"{'e' if base == 'e' else base}^H = {perplexity:.6g} of {n} outcomes."
        ),
    )


def cross_entropy(
    p: Annotated[Distribution, _distribution_field("The true distribution p (e.g. one-hot labels).")],
    q: Annotated[Distribution, _distribution_field("The model's distribution q, same length as p.")],
    base: Base = "e",
    normalize: Normalize = False,
) -> CrossEntropyResult:
    """Cross-entropy H(p, q) = −Σ p_i·log q_i of a model distribution q against a true one p (交叉熵).

    The expected code length when data from p is coded with a code built for q; with one-hot p it is the
    classification loss −log q_label. Returns H(p, q), H(p), KL(p‖q) = H(p, q) − H(p) ≥ 0 and the
    perplexity. If q_i = 0 where p_i > 0 the result is infinite: reported as cross_entropy=None,
    infinite=true and the first offending index. p and q must be the same length, non-negative, and sum to 1
    within 1e-6 (or pass normalize=true).
    """
    _same_length(p, q)
    p_probs, p_rescaled = _checked("p", p, normalize)
    q_probs, q_rescaled = _checked("q", q, normalize)
    scale = LOG_OF_BASE[base]
    unit = UNITS[base]
    h_p_nats = _entropy_nats(p_probs)
    h_p = h_p_nats / scale
    bad, bad_count = _zero_support(p_probs, q_probs)
    if bad is not None:
        h_pq = kl = perplexity = None
        note = (
            f"H(p, q) = ∞: q[{bad}] = 0 where p[{bad}] = {float(p_probs[bad]):.6g} > 0 ({bad_count} such "
            f"index(es)); a model that gives zero probability to a possible outcome has infinite loss. "
            f"H(p) = {h_p:.6g} {unit}."
        )
    else:
        kl_nats = _kl_nats(p_probs, q_probs)
        h_pq_nats = h_p_nats + kl_nats
        h_pq, kl = h_pq_nats / scale, kl_nats / scale
        perplexity = math.exp(h_pq_nats) if h_pq_nats < 709.0 else None
        note = (
            f"H(p, q) = H(p) + KL(p‖q): {h_pq:.6g} = {h_p:.6g} + {kl:.6g} {unit}; H(p, q) ≥ H(p) with "
            f"equality only when q = p."
        )
    return CrossEntropyResult(
        cross_entropy=h_pq,
        infinite=bad is not None,
        infinite_index=bad,
        infinite_count=bad_count,
        entropy_p=h_p,
        kl_divergence=kl,
        perplexity=perplexity,
        unit=unit,
        normalized=p_rescaled or q_rescaled,
        note=note,
    )


def kl_divergence(
    p: Annotated[Distribution, _distribution_field("The reference distribution p (the 'true' one).")],
    q: Annotated[Distribution, _distribution_field("The approximating distribution q, same length as p.")],
    base: Base = "e",
    normalize: Normalize = False,
) -> KLDivergenceResult:
    """Kullback–Leibler divergence KL(p‖q) = Σ p_i·log(p_i/q_i) between two discrete distributions (KL散度).

    Also called the relative entropy (相对熵) of p with respect to q. Also returns the reverse KL(q‖p), the
    entropies H(p), H(q), the cross-entropies H(p, q), H(q, p) and the symmetric Jensen–Shannon divergence,
    so the answer shows that KL ≥ 0, KL(p‖p) = 0, KL = H(p, q) − H(p) and that KL is asymmetric. A zero in q
    where p > 0 makes KL(p‖q) infinite: reported as None with a flag and the first offending index. Same
    length, non-negative, sums to 1 within 1e-6 unless normalize=true.
    """
    _same_length(p, q)
    p_probs, p_rescaled = _checked("p", p, normalize)
    q_probs, q_rescaled = _checked("q", q, normalize)
    scale = LOG_OF_BASE[base]
    unit = UNITS[base]
    h_p = _entropy_nats(p_probs) / scale
    h_q = _entropy_nats(q_probs) / scale
    bad_pq, count_pq = _zero_support(p_probs, q_probs)
    bad_qp, _ = _zero_support(q_probs, p_probs)
    kl_pq = None if bad_pq is not None else _kl_nats(p_probs, q_probs) / scale
    kl_qp = None if bad_qp is not None else _kl_nats(q_probs, p_probs) / scale
    h_pq = None if kl_pq is None else h_p + kl_pq
    h_qp = None if kl_qp is None else h_q + kl_qp

    m = 0.5 * (p_probs + q_probs)
    js = min(0.5 * _kl_nats(p_probs, m) + 0.5 * _kl_nats(q_probs, m), math.log(2.0)) / scale

    parts = [f"KL(p‖q) = H(p, q) − H(p) = {_fmt(h_pq, unit)} − {h_p:.6g} {unit} = {_fmt(kl_pq, unit)}"]
    if bad_pq is not None:
        parts.append(f"infinite because q[{bad_pq}] = 0 where p > 0 ({count_pq} such index(es))")
    parts.append(f"reverse KL(q‖p) = {_fmt(kl_qp, unit)}")
    if bad_qp is not None:
        parts.append(f"infinite because p[{bad_qp}] = 0 where q > 0")
    parts.append(
        "KL ≥ 0 with equality only when p = q, and KL(p‖q) ≠ KL(q‖p) in general, so it is not a distance; "
        f"Jensen–Shannon = {js:.6g} {unit} is the symmetric, finite alternative"
    )
    return KLDivergenceResult(
        kl_pq=kl_pq,
        kl_pq_infinite=bad_pq is not None,
        kl_pq_infinite_index=bad_pq,
        kl_qp=kl_qp,
        kl_qp_infinite=bad_qp is not None,
        kl_qp_infinite_index=bad_qp,
        asymmetry=None if kl_pq is None or kl_qp is None else kl_pq - kl_qp,
        entropy_p=h_p,
        entropy_q=h_q,
        cross_entropy_pq=h_pq,
        cross_entropy_qp=h_qp,
        js_divergence=js,
        unit=unit,
        normalized=p_rescaled or q_rescaled,
        note="; ".join(parts) + ".",
    )
