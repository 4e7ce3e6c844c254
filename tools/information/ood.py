"""Out-of-distribution detection (分布外检测, OOD) from a classifier's logits: maximum softmax probability and
energy scores, computed stably in float64 with logsumexp. torch is imported inside the tool."""

from typing import Annotated, Literal

from pydantic import Field

from tools._common import ResultModel
from tools.errors import ToolInputError

__all__ = ["OODResult", "OODSample", "ood_detect"]

MAX_SAMPLES = 10_000
MAX_CLASSES = 100_000
MAX_LOGITS = 1_000_000  # samples × classes
MSP_DEFAULT_THRESHOLD = 0.8

Logit = Annotated[float, Field(ge=-1e12, le=1e12, allow_inf_nan=False)]


class OODSample(ResultModel):
    """The scores of one sample and whether it was flagged."""

    index: int = Field(description="0-based row of the sample in `logits`.")
    predicted_class: int = Field(description="argmax of the logits (0-based; first one on ties).")
    max_softmax_prob: float = Field(description="max_k softmax(logits/T)_k, in [1/classes, 1].")
    energy: float = Field(description="Energy E(x) = −T·logsumexp(logits/T); lower = more in-distribution.")
    score: float = Field(
        description="The score compared with the threshold: max_softmax_prob (msp) or −energy (energy)."
    )
    flagged: bool | None = Field(
        description="True when the sample is flagged out-of-distribution; null when no threshold was given "
        "(energy scores only)."
    )


class OODResult(ResultModel):
    """Per-sample OOD scores, the decision rule and how many samples were flagged."""

    method: Literal["msp", "energy"] = Field(description="The score used for the decision.")
    threshold: float | None = Field(
        description="The threshold applied (for msp: a probability; energy: logit units); null when energy "
        "scores were asked for without one (nothing is flagged then)."
    )
    temperature: float = Field(description="Temperature T the logits were divided by.")
    rule: str = Field(description="The decision rule in words.")
    num_samples: int = Field(description="Rows of logits.")
    num_classes: int = Field(description="Logits per row.")
    flagged_count: int | None = Field(description="How many samples were flagged OOD (null: no threshold).")
    flagged_fraction: float | None = Field(description="flagged_count / num_samples (null: no threshold).")
    flagged_indices: list[int] = Field(description="0-based indices of the flagged samples.")
    samples: list[OODSample] = Field(description="One row per sample, in input order.")


def ood_detect(
    logits: Annotated[
        list[Annotated[list[Logit], Field(min_length=2, max_length=MAX_CLASSES)]],
        Field(
            min_length=1,
            max_length=MAX_SAMPLES,
            description="Classifier logits, one row per sample, one column per class (same length per row); "
            f"at most {MAX_LOGITS:,} numbers in all, each |logit| ≤ 1e12.",
        ),
    ],
    threshold: Annotated[
        float | None,
        Field(
            ge=-1e12,
            le=1e12,
            allow_inf_nan=False,
            description="msp: a probability in [0, 1], flagged when max softmax prob < threshold "
            "(default 0.8). energy: in logit units, flagged when −E(x) = T·logsumexp(logits/T) < threshold; "
            "without one only the scores are returned (pick it on in-distribution data, e.g. the 5th "
            "percentile of −E so 95 % of them pass).",
        ),
    ] = None,
    method: Annotated[
        Literal["msp", "energy"],
        Field(
            description="msp = maximum softmax probability (Hendrycks & Gimpel 2017); "
            "energy = energy score (Liu et al. 2020)."
        ),
    ] = "msp",
    temperature: Annotated[
        float,
        Field(ge=1e-3, le=1e4, allow_inf_nan=False, description="Temperature T: scores use logits / T."),
    ] = 1.0,
) -> OODResult:
    """Flag out-of-distribution samples (分布外检测) from classifier logits by MSP or energy score.

    msp (Hendrycks & Gimpel 2017): score = max softmax(logits/T); flagged when score < threshold (default
    0.8). energy (Liu et al. 2020): E(x) = −T·logsumexp(logits/T), score = −E(x) (higher = more
    in-distribution); flagged when −E(x) < threshold, given in logit units (without one: the scores only,
    nothing flagged — no threshold fits every model). Returns per sample
    the predicted class, max softmax probability, energy, score and flag, plus how many were flagged.
    Numerically stable for logits of any size: MSP as 1/Σexp(xᵢ − max), energy by float64 logsumexp.
    """
    num_classes = len(logits[0])
    for i, row in enumerate(logits):
        if len(row) != num_classes:
            raise ToolInputError(f"logits[{i}]", f"has {len(row)} classes but row 0 has {num_classes}")
    if len(logits) * num_classes > MAX_LOGITS:
        raise ToolInputError(
            "logits",
            f"{len(logits)} × {num_classes} = {len(logits) * num_classes:,} logits exceed {MAX_LOGITS:,}",
        )
    if method == "msp":
        threshold = MSP_DEFAULT_THRESHOLD if threshold is None else threshold
        if not 0.0 <= threshold <= 1.0:
            raise ToolInputError(
                "threshold", f"with method=msp it is a probability in [0, 1] (got {threshold:g})"
            )
        rule = (
            f"flagged OOD when max softmax(logits/{temperature:g}) < {threshold:g} "
            "(maximum softmax probability, Hendrycks & Gimpel 2017)"
        )
    else:
        if threshold is None:
            rule = (
                f"scores only: −E(x) = {temperature:g}·logsumexp(logits/{temperature:g}), higher = more "
                "in-distribution (energy score, Liu et al. 2020); nothing is flagged without a threshold in "
                "logit units — choose it on in-distribution data, e.g. the 5th percentile of −E so 95 % of "
                "them pass (0.8 is only the msp default)"
            )
        else:
            rule = (
                f"flagged OOD when −E(x) = {temperature:g}·logsumexp(logits/{temperature:g}) < {threshold:g} "
                "(energy score, Liu et al. 2020)"
            )

    import torch

    scaled = torch.tensor(logits, dtype=torch.float64) / temperature
    top = scaled.max(dim=1, keepdim=True).values
    # softmax at the argmax = 1 / Σ exp(xᵢ − max): each difference is exact in float64 and the sum is ≥ 1, so
    # this keeps full precision at any scale. exp(max − logsumexp) would lose it: at 1e12 logsumexp rounds
    # to ~1e-4 absolute, and that error lands in the exponent.
    msp = 1.0 / torch.exp(scaled - top).sum(dim=1)
    energy = -temperature * torch.logsumexp(scaled, dim=1)
    score = msp if method == "msp" else -energy
    flagged = (score < threshold).tolist() if threshold is not None else [None] * len(logits)
    predicted = torch.argmax(scaled, dim=1)

    samples = [
        OODSample(index=i, predicted_class=c, max_softmax_prob=p, energy=e, score=s, flagged=f)
        for i, (c, p, e, s, f) in enumerate(
            zip(
                predicted.tolist(),
                msp.tolist(),
                energy.tolist(),
                score.tolist(),
                flagged,
                strict=True,
            )
        )
    ]
    flagged_indices = [s.index for s in samples if s.flagged]
    decided = threshold is not None
    return OODResult(
        method=method,
        threshold=threshold,
        temperature=temperature,
        rule=rule,
        num_samples=len(samples),
        num_classes=num_classes,
        flagged_count=len(flagged_indices) if decided else None,
        flagged_fraction=len(flagged_indices) / len(samples) if decided else None,
        flagged_indices=flagged_indices,
        samples=samples,
    )
