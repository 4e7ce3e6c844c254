"""Gradient flow through a real torch MLP: per-layer gradient norms, vanishing (梯度消失) or exploding
(梯度爆炸) verdicts, the remedies of the notes that apply, and global-norm clipping before/after.

The rules and thresholds are stated in the result. torch and matplotlib are imported inside the functions.
"""

import math
from collections.abc import Callable
from typing import Annotated, Literal

from pydantic import Field

from tools._common import FiniteFloat, PlotResult, ResultModel, finite_or_none, report_progress
from tools.errors import ToolInputError
from tools.plotting import render_png

__all__ = ["GradientFlowResult", "LayerGradient", "Remedy", "gradient_flow"]


MAX_PARAMS = 2**25  # depth · width² (hidden weights): 128 MiB of float32 weights, as much again for gradients
MAX_ACTIVATIONS = 2**24  # depth · batch · width: the activations autograd keeps for backward
NUM_CLASSES = 10
_VANISHING_RATIO = 1e-2  # first/last weight-gradient norm below this → vanishing
_EXPLODING_RATIO = 1e2  # ... above this → exploding
# a layer whose weight-gradient norm exceeds this is exploding: the loss is a mean cross-entropy, O(1) at init
_EXPLODING_NORM = 1e4

Activation = Literal["sigmoid", "tanh", "relu", "gelu", "leaky_relu"]
_RELU_FAMILY = ("relu", "gelu", "leaky_relu")


class LayerGradient(ResultModel):
    """Gradient and activation statistics of one Linear layer after one forward/backward pass."""

    layer: int = Field(description="1-based layer index from the input; depth + 1 is the output head.")
    kind: Literal["hidden", "output"] = Field(description="hidden block or the output head.")
    weight_grad_norm: float | None = Field(description="L2 norm of ∂loss/∂W (None if NaN/inf).")
    param_grad_norm: float | None = Field(
        description="L2 norm over all of the layer's parameter gradients (weight, bias, norm affine)."
    )
    activation_grad_norm: float | None = Field(
        description="L2 norm of ∂loss/∂(layer output), the backprop signal."
    )
    activation_std: float | None = Field(description="Standard deviation of the layer's output on the batch.")
    clipped_param_grad_norm: float | None = Field(
        description="param_grad_norm after clipping (None: no clipping)."
    )


class Remedy(ResultModel):
    """One remedy from the notes and whether it applies to this network."""

    remedy: str = Field(description="The remedy.")
    applies: bool = Field(description="True when it would help here and is not already in place.")
    in_place: bool = Field(description="True when the network already uses it.")
    reason: str = Field(description="Why it applies or not, for this configuration.")


class GradientFlowResult(PlotResult):
    """Per-layer gradient norms of one real forward/backward pass, the verdict and the applicable remedies."""

    verdict: Literal["vanishing", "exploding", "healthy"] = Field(
        description="vanishing (梯度消失), exploding (梯度爆炸) or healthy."
    )
    summary: str = Field(description="One sentence: the verdict and its main evidence.")
    reasons: list[str] = Field(description="The evidence (with numbers) that decided the verdict.")
    network: str = Field(description="The network, data and loss that were run.")
    loss: float | None = Field(description="Cross-entropy on the random batch (None if NaN/inf).")
    first_last_ratio: float | None = Field(
        description="weight_grad_norm of hidden layer 1 / of hidden layer `depth` (None if undefined)."
    )
    max_weight_grad_norm: float | None = Field(description="Largest weight-gradient norm over all layers.")
    min_weight_grad_norm: float | None = Field(description="Smallest weight-gradient norm over all layers.")
    total_grad_norm: float | None = Field(
        description="Global L2 norm over all parameter gradients, before clipping."
    )
    clip_norm: float | None = Field(description="The clipping threshold given, if any.")
    clipped_total_grad_norm: float | None = Field(description="Global gradient norm after clipping.")
    clip_coefficient: float | None = Field(
        description="Factor clip_grad_norm_ multiplied the gradients by (≤ 1)."
    )
    layers: list[LayerGradient] = Field(description="One row per Linear layer, input first.")
    remedies: list[Remedy] = Field(description="The notes' remedies and which apply.")
    rules: list[str] = Field(description="The rules and thresholds behind the verdict.")


def gradient_flow(
    depth: Annotated[
        int, Field(ge=1, le=200, description="Number of hidden blocks Linear(width→width) → norm → act.")
    ],
    width: Annotated[int, Field(ge=1, le=1024, description="Units per hidden layer (also the input size).")],
    activation: Annotated[Activation, Field(description="Activation of every hidden block.")] = "relu",
    init: Annotated[
        Literal["default", "xavier", "he", "normal"],
        Field(
            description="Weight init: default = PyTorch's nn.Linear init; xavier = Glorot uniform (gain 1); "
            "he = Kaiming normal for ReLU; normal = N(0, init_std²). Biases are 0 except for default."
        ),
    ] = "default",
    norm: Annotated[
        Literal["none", "batchnorm", "layernorm"], Field(description="Normalisation after each Linear.")
    ] = "none",
    residual: Annotated[
        bool, Field(description="Add a skip connection around every hidden block: h + f(h).")
    ] = False,
    clip_norm: Annotated[
        FiniteFloat | None,
        Field(gt=0, le=1e12, description="Clip the global gradient norm to this (torch clip_grad_norm_)."),
    ] = None,
    seed: Annotated[int, Field(ge=0, le=2**31 - 1, description="Seed for weights and the random batch.")] = 0,
    init_std: Annotated[
        FiniteFloat,
        Field(gt=0, le=100, description="Standard deviation for init='normal' (ignored otherwise)."),
    ] = 1.0,
    batch_size: Annotated[int, Field(ge=1, le=512, description="Random samples in the batch.")] = 64,
    plot: Annotated[
        bool, Field(description="Also draw a PNG of gradient norm and activation std per layer.")
    ] = True,
) -> GradientFlowResult:
    """Measure gradient flow (梯度消失 vanishing / 梯度爆炸 exploding gradients) through a real torch MLP.

    Builds depth × [Linear(width→width) → norm → activation] (+ residual) with a Linear(width→10) head,
    runs one forward/backward of cross-entropy on a random N(0, 1) batch with random labels, and returns
    per-layer weight-gradient norms, backprop-signal norms and activation std, the first/last ratio, the
    verdict and which remedies apply (ReLU/GELU, Xavier/He init, BatchNorm/LayerNorm, residual connections,
    gradient clipping). With clip_norm, shows the global norm before and after clipping.
    Limits: depth·width² ≤ 2^25, depth·batch·width ≤ 2^24.
    """
    if depth * width * width > MAX_PARAMS:
        raise ToolInputError(
            "width",
            f"depth·width² = {depth * width * width:,} exceeds {MAX_PARAMS:,}; use a smaller width or depth",
        )
    if depth * batch_size * width > MAX_ACTIVATIONS:
        raise ToolInputError(
            "batch_size",
            f"depth·batch_size·width = {depth * batch_size * width:,} exceeds {MAX_ACTIVATIONS:,}; "
            "use a smaller batch",
        )
    if norm == "batchnorm" and batch_size < 2:
        raise ToolInputError("batch_size", "BatchNorm needs at least 2 samples per batch in training mode")

    import torch
    import torch.nn.functional as F
    from torch import nn

    activations: dict[str, Callable[..., torch.Tensor]] = {
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
        "relu": F.relu,
        "gelu": F.gelu,
        "leaky_relu": F.leaky_relu,
    }
    act_fn = activations[activation]
    units = 3 * depth + 1
    gen = torch.Generator().manual_seed(seed)
    blocks: list[tuple[nn.Linear, nn.Module]] = []
    for i in range(depth):
        lin = _linear(width, width, init, activation, init_std, gen)
        norm_module: nn.Module
        if norm == "batchnorm":
            norm_module = nn.BatchNorm1d(width)
        elif norm == "layernorm":
            norm_module = nn.LayerNorm(width)
        else:
            norm_module = nn.Identity()
        blocks.append((lin, norm_module))
        report_progress(i + 1, units, f"built layer {i + 1}/{depth}")
    head = _linear(width, NUM_CLASSES, init, activation, init_std, gen)
    x = torch.randn(batch_size, width, generator=gen)
    y = torch.randint(0, NUM_CLASSES, (batch_size,), generator=gen)

    signal: list[float | None] = [None] * (depth + 1)
    stds: list[float | None] = []

    def record(index: int):
        def hook(grad):
            signal[index] = finite_or_none(float(grad.double().norm()))
            if index < depth:
                report_progress(3 * depth - index, units, f"backward through layer {index + 1}")

        return hook

    h = x
    for i, (lin, norm_layer) in enumerate(blocks):
        out = act_fn(norm_layer(lin(h)))
        h = h + out if residual else out
        h.register_hook(record(i))
        stds.append(finite_or_none(float(h.detach().double().std())) if batch_size * width > 1 else 0.0)
        report_progress(depth + i + 1, units, f"forward through layer {i + 1}")
    logits = head(h)
    logits.register_hook(record(depth))
    stds.append(
        finite_or_none(float(logits.detach().double().std())) if batch_size * NUM_CLASSES > 1 else 0.0
    )
    loss = F.cross_entropy(logits, y)
    loss.backward()

    layers = [*blocks, (head, nn.Identity())]
    layer_params = [[*lin.parameters(), *norm_layer.parameters()] for lin, norm_layer in layers]
    weight_norms = [_grad_norm([lin.weight]) for lin, _ in layers]
    finite = [norm for norm in weight_norms if norm is not None]
    param_norms = [_grad_norm(ps) for ps in layer_params]
    total = _combine(param_norms)
    clipped_norms: list[float | None] = [None] * len(layer_params)
    clipped_total = coef = None
    if clip_norm is not None:
        torch.nn.utils.clip_grad_norm_([p for ps in layer_params for p in ps], clip_norm)
        clipped_norms = [_grad_norm(ps) for ps in layer_params]
        clipped_total = _combine(clipped_norms)
        coef = min(1.0, clip_norm / (total + 1e-6)) if total is not None else None
    report_progress(units, units, "done")

    rows = [
        LayerGradient(
            layer=i + 1,
            kind="output" if i == depth else "hidden",
            weight_grad_norm=weight_norms[i],
            param_grad_norm=param_norms[i],
            activation_grad_norm=signal[i],
            activation_std=stds[i],
            clipped_param_grad_norm=clipped_norms[i],
        )
        for i in range(depth + 1)
    ]
    loss_value = finite_or_none(float(loss.detach()))
    verdict, reasons, ratio = _flow_verdict(rows, depth, loss_value)
    result = GradientFlowResult(
        verdict=verdict,
        summary=f"{verdict}: {reasons[0]}",
        reasons=reasons,
        network=_describe(depth, width, activation, init, init_std, norm, residual, batch_size),
        loss=loss_value,
        first_last_ratio=ratio,
        max_weight_grad_norm=max(finite) if len(finite) == len(weight_norms) else None,
        min_weight_grad_norm=min(finite) if len(finite) == len(weight_norms) else None,
        total_grad_norm=total,
        clip_norm=clip_norm,
        clipped_total_grad_norm=clipped_total,
        clip_coefficient=coef,
        layers=rows,
        remedies=_flow_remedies(
            verdict, activation, init, init_std, norm, residual, clip_norm, width, total, coef
        ),
        rules=[
            "exploding: any gradient, activation or the loss is NaN/inf; or a layer's weight-gradient norm > "
            f"{_EXPLODING_NORM:g}; or first/last ratio > {_EXPLODING_RATIO:g}",
            f"vanishing: first/last ratio < {_VANISHING_RATIO:g} (hidden layer 1 gets < 1 % of the "
            "gradient of hidden layer `depth`), or no gradient reaches either",
            "healthy: none of the above",
            "first/last ratio = weight_grad_norm(hidden layer 1) / weight_grad_norm(hidden layer depth)",
        ],
    )
    if plot:
        result.with_png(render_png(lambda fig: _draw_flow(fig, result)))
    return result


def _linear(fan_in: int, fan_out: int, init: str, activation: str, init_std: float, gen):
    import torch
    from torch import nn

    lin = nn.utils.skip_init(nn.Linear, fan_in, fan_out)  # no throw-away default init: we init below, seeded
    with torch.no_grad():
        if init == "default":  # exactly nn.Linear.reset_parameters, but drawn from our generator
            nn.init.kaiming_uniform_(lin.weight, a=math.sqrt(5), generator=gen)
            bound = 1 / math.sqrt(fan_in)
            nn.init.uniform_(lin.bias, -bound, bound, generator=gen)
            return lin
        if init == "xavier":
            nn.init.xavier_uniform_(lin.weight, generator=gen)
        elif init == "he":
            leaky = activation == "leaky_relu"
            nn.init.kaiming_normal_(
                lin.weight,
                a=0.01 if leaky else 0,
                nonlinearity="leaky_relu" if leaky else "relu",
                generator=gen,
            )
        else:
            nn.init.normal_(lin.weight, 0.0, init_std, generator=gen)
        nn.init.zeros_(lin.bias)
    return lin


def _grad_norm(params) -> float | None:
    """Global L2 norm of the parameters' gradients, in float64 one tensor at a time; None if not finite."""
    import torch

    return _combine(
        [float(torch.linalg.vector_norm(p.grad, dtype=torch.float64)) for p in params if p.grad is not None]
    )


def _combine(norms: list[float | None]) -> float | None:
    """The L2 norm of several L2 norms (math.hypot scales, so 1e200s do not overflow)."""
    present = [n for n in norms if n is not None]
    if len(present) < len(norms):
        return None
    return finite_or_none(math.hypot(*present))


def _flow_verdict(rows: list[LayerGradient], depth: int, loss: float | None):
    first, last = rows[0].weight_grad_norm, rows[depth - 1].weight_grad_norm
    ratio = first / last if first is not None and last is not None and last > 0 else None
    broken = [r.layer for r in rows if r.weight_grad_norm is None or r.activation_std is None]
    if loss is None or broken:
        where = f"first at layer {broken[0]}" if broken else "in the loss"
        return "exploding", [f"NaN/inf gradients or activations ({where}): the signal overflowed"], ratio
    weights = [r.weight_grad_norm or 0.0 for r in rows]  # none is None past the check above
    peak = max(weights)
    if peak > _EXPLODING_NORM:
        layer = weights.index(peak) + 1
        return (
            "exploding",
            [f"weight-gradient norm {peak:.3g} at layer {layer} (> {_EXPLODING_NORM:g})"],
            ratio,
        )
    if ratio is None:
        if first == 0 and last == 0:
            return "vanishing", ["no gradient reaches the first or the last hidden layer (all zero)"], ratio
        return "exploding", [f"last hidden layer gets no gradient while the first gets {first:.3g}"], ratio
    detail = f"first/last ratio {ratio:.3g}: layer 1 gradient {first:.3g}, layer {depth} gradient {last:.3g}"
    if ratio > _EXPLODING_RATIO:
        return "exploding", [f"{detail} (> {_EXPLODING_RATIO:g})"], ratio
    if ratio < _VANISHING_RATIO:
        return "vanishing", [f"{detail} (< {_VANISHING_RATIO:g})"], ratio
    return (
        "healthy",
        [f"{detail}, within [{_VANISHING_RATIO:g}, {_EXPLODING_RATIO:g}]; peak norm {peak:.3g}"],
        ratio,
    )


def _flow_remedies(
    verdict: str,
    activation: str,
    init: str,
    init_std: float,
    norm: str,
    residual: bool,
    clip_norm: float | None,
    width: int,
    total: float | None,
    coef: float | None,
) -> list[Remedy]:
    sick = verdict != "healthy"
    saturating = activation in ("sigmoid", "tanh")
    matched = (init == "he" and activation in _RELU_FAMILY) or (init == "xavier" and saturating)
    if init == "normal":
        init_note = (
            f"N(0, {init_std:g}²) scales the signal by about {init_std * math.sqrt(width):.3g} per layer; "
            f"He uses std √(2/width) = {math.sqrt(2 / width):.3g}, Xavier √(1/width)-ish"
        )
    elif init == "default":
        init_note = "PyTorch's default init has variance 1/(3·fan_in): the signal shrinks every layer"
    else:
        init_note = f"{init} init {'matches' if matched else 'does not match'} {activation}"
    act_reason = (
        f"{activation}'s derivative is ≤ {'0.25' if activation == 'sigmoid' else '1'} and ~0 when saturated"
        if saturating
        else f"{activation} passes gradient 1 on its active side"
    )
    clip_reason = (
        f"clip_grad_norm_ rescaled the global norm {total if total is None else f'{total:.3g}'} by {coef:.3g}"
        if clip_norm is not None and coef is not None
        else "caps the global gradient norm before each step (torch.nn.utils.clip_grad_norm_)"
    )
    norm_reason = "re-centres and re-scales every layer's activations so the signal keeps a constant scale"
    if verdict == "exploding" and residual and norm == "none":
        norm_reason += "; unnormalised residual sums grow with every block (Fixup, Zhang et al. 2019)"
    return [
        Remedy(
            remedy="ReLU / GELU / LeakyReLU instead of sigmoid / tanh",
            applies=verdict == "vanishing" and saturating,
            in_place=not saturating,
            reason=act_reason,
        ),
        Remedy(
            remedy="Xavier init (sigmoid/tanh) or He init (ReLU family)",
            applies=sick and not matched,
            in_place=matched,
            reason=init_note,
        ),
        Remedy(
            remedy="BatchNorm / LayerNorm",
            applies=sick and norm == "none",
            in_place=norm != "none",
            reason=norm_reason,
        ),
        Remedy(
            remedy="residual connections",
            applies=verdict == "vanishing" and not residual,
            in_place=residual,
            reason="the identity path carries the gradient past every block unchanged",
        ),
        Remedy(
            remedy="gradient clipping",
            applies=verdict == "exploding" and clip_norm is None,
            in_place=clip_norm is not None,
            reason=clip_reason,
        ),
    ]


def _describe(
    depth: int, width: int, activation: str, init: str, init_std: float, norm: str, residual: bool, batch: int
) -> str:
    init_text = f"normal(std={init_std:g})" if init == "normal" else init
    block = f"Linear({width}→{width}) → {norm} → {activation}"
    return (
        f"{depth} × [{block}]{' with residual h + f(h)' if residual else ''}, {init_text} init; "
        f"head Linear({width}→{NUM_CLASSES}); cross-entropy on {batch} random N(0,1) samples, random labels"
    )


def _draw_flow(fig, result: GradientFlowResult) -> None:
    from tools.plotting import HIGHLIGHT

    # log10 on linear axes: log-scale axes typeset every tick label with mathtext, which triples the cost
    ax_grad, ax_std = fig.subplots(1, 2)
    norms = [(r.layer, r.weight_grad_norm) for r in result.layers if r.weight_grad_norm]
    layers = [layer for layer, _ in norms]
    clipped_too = bool(result.clip_coefficient)
    label = "before clipping" if clipped_too else "_nolegend_"  # one series needs no legend
    ax_grad.plot(layers, [math.log10(norm) for _, norm in norms], ".-", label=label)
    if clipped_too:  # clipping scales every gradient by the same factor
        clipped = [math.log10(norm * (result.clip_coefficient or 1.0)) for _, norm in norms]
        ax_grad.plot(layers, clipped, ".", color=HIGHLIGHT, label="after clipping")
        ax_grad.legend()
    ax_grad.set_xlabel("layer (input → output)")
    ax_grad.set_ylabel("log10 ‖∂loss/∂W‖")
    ax_grad.set_title(f"gradient norm per layer: {result.verdict}")
    stds = [(r.layer, r.activation_std) for r in result.layers if r.activation_std]
    ax_std.plot([layer for layer, _ in stds], [math.log10(std) for _, std in stds], ".-")
    ax_std.set_xlabel("layer")
    ax_std.set_ylabel("log10 activation std")
    ax_std.set_title("activation std")
