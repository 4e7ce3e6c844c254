"""Parameters of recurrent layers (``torch.nn.LSTM`` / ``GRU`` / ``RNN``) exactly as torch holds them, per
layer, direction and gate, with the formula in the result. Exact integer math: no torch import.
"""

from typing import Annotated, Literal

from pydantic import Field

from tools._common import ResultModel
from tools.complexity.layers import _n, _positive  # the calculators' shared number format and check
from tools.errors import ToolInputError

__all__ = ["RnnGateRow", "RnnLayerRow", "RnnParamsResult", "rnn_params"]


class RnnGateRow(ResultModel):
    layer: int = Field(description="Layer index, 0 = the one that reads the input.")
    direction: Literal["forward", "reverse"] = Field(
        description="Direction (reverse exists when bidirectional)."
    )
    gate: str = Field(description="Gate block, in torch's stacking order.")
    weight_ih: int = Field(description="H·in_features: this gate's rows of weight_ih.")
    weight_hh: int = Field(description="H·H (H·P with a projection): this gate's rows of weight_hh.")
    bias: int = Field(description="2·H (b_ih and b_hh) with bias, else 0.")
    params: int = Field(description="Sum of the three.")


class RnnLayerRow(ResultModel):
    layer: int = Field(description="Layer index.")
    direction: Literal["forward", "reverse"] = Field(description="Direction.")
    input_features: int = Field(
        description="What this layer reads: input_size for layer 0, H·directions above."
    )
    tensors: str = Field(description="torch's parameter names and shapes for this layer and direction.")
    params: int = Field(description="Parameters of this layer and direction.")


class RnnParamsResult(ResultModel):
    params: int = Field(description="Total parameters, exactly sum(p.numel() for p in module.parameters()).")
    gates_per_block: int = Field(description="G: 4 for LSTM, 3 for GRU, 1 for a plain RNN.")
    gate_order: list[str] = Field(
        description="How torch stacks the gate blocks in weight_ih / weight_hh rows."
    )
    layers: list[RnnLayerRow] = Field(description="One row per layer and direction.")
    gates: list[RnnGateRow] = Field(description="One row per layer, direction and gate.")
    formula: str = Field(description="The per-layer-direction formula.")
    note: str = Field(description="The two-bias convention and what it adds.")


_GATES = {
    "lstm": ["input", "forget", "candidate (cell, g)", "output"],
    "gru": ["reset", "update", "new (candidate, n)"],
    "rnn": ["hidden"],
}


def rnn_params(
    kind: Annotated[Literal["lstm", "gru", "rnn"], Field(description="torch.nn.LSTM, GRU or RNN.")],
    input_size: Annotated[int, Field(ge=1, le=1_000_000, description="Features per time step of the input.")],
    hidden_size: Annotated[int, Field(ge=1, le=100_000, description="H, features of the hidden state.")],
    num_layers: Annotated[int, Field(ge=1, le=100, description="Stacked recurrent layers.")] = 1,
    bidirectional: Annotated[bool, Field(description="Add a reverse-direction copy of every layer.")] = False,
    bias: Annotated[bool, Field(description="Whether torch's b_ih and b_hh bias vectors exist.")] = True,
    proj_size: Annotated[
        int,
        Field(
            ge=0,
            le=100_000,
            description="LSTM only: project h to P < H features (weight_hr [P, H]); 0 = no projection.",
        ),
    ] = 0,
) -> RnnParamsResult:
    """Parameters of torch.nn.LSTM / GRU / RNN exactly as torch holds them, per layer, direction and gate.

    Each layer and direction holds weight_ih [G·H, in], weight_hh [G·H, H] and two bias vectors b_ih, b_hh
    [G·H] (torch keeps both), with G = 4 gate blocks for LSTM (input, forget, candidate, output), 3 for GRU
    (reset, update, new) and 1 for RNN; layers above the first read H·directions features. An LSTM with
    proj_size P (Sak et al. 2014) adds weight_hr [P, H] per layer and direction, its hidden state and output
    have P features, so weight_hh is [4H, P] and layers above read P·directions. Returns the total, a row per
    layer and direction with torch's tensor names, and a row per gate.
    """
    for name, value in (("input_size", input_size), ("hidden_size", hidden_size), ("num_layers", num_layers)):
        _positive(name, value)
    if kind not in _GATES:
        raise ToolInputError("kind", f"must be one of {', '.join(_GATES)}; got {kind!r}")
    if proj_size and kind != "lstm":
        raise ToolInputError("proj_size", f"applies to lstm only (torch's {kind.upper()} has no projection)")
    if proj_size >= hidden_size:
        raise ToolInputError(
            "proj_size", f"must be smaller than hidden_size ({hidden_size}); got {proj_size}"
        )
    gates = _GATES[kind]
    g, h = len(gates), hidden_size
    r = proj_size or hidden_size  # the size of the recurrent state h (and of the output)
    directions = ["forward", "reverse"] if bidirectional else ["forward"]
    layer_rows: list[RnnLayerRow] = []
    gate_rows: list[RnnGateRow] = []
    for layer in range(num_layers):
        features = input_size if layer == 0 else r * len(directions)
        for direction in directions:
            suffix = f"_l{layer}" + ("_reverse" if direction == "reverse" else "")
            tensors = f"weight_ih{suffix} [{g * h}, {features}], weight_hh{suffix} [{g * h}, {r}]"
            if bias:
                tensors += f", bias_ih{suffix} [{g * h}], bias_hh{suffix} [{g * h}]"
            if proj_size:
                tensors += f", weight_hr{suffix} [{proj_size}, {h}]"
            per_gate_bias = 2 * h if bias else 0
            for gate in gates:
                gate_rows.append(
                    RnnGateRow(
                        layer=layer,
                        direction=direction,
                        gate=gate,
                        weight_ih=h * features,
                        weight_hh=h * r,
                        bias=per_gate_bias,
                        params=h * features + h * r + per_gate_bias,
                    )
                )
            layer_rows.append(
                RnnLayerRow(
                    layer=layer,
                    direction=direction,
                    input_features=features,
                    tensors=tensors,
                    params=g * (h * features + h * r + per_gate_bias) + proj_size * h,
                )
            )
    total = sum(row.params for row in layer_rows)
    bias_text = " + 2H" if bias else ""
    one_bias = g * h * num_layers * len(directions) if bias else 0
    note = (
        f"torch keeps two bias vectors per gate block (b_ih and b_hh, {2 * g * h if bias else 0} numbers per "
        "layer and direction) although one would do mathematically; the textbook / Keras count with a single "
        f"bias is G·(H·(in + H) + H), {_n(one_bias)} fewer here."
    )
    if not bias:
        note = "bias=false: no b_ih / b_hh vectors, so the count is G·H·(in + H) per layer and direction."
    return RnnParamsResult(
        params=total,
        gates_per_block=g,
        gate_order=gates,
        layers=layer_rows,
        gates=gate_rows,
        formula=(
            (
                f"per layer and direction: G·(H·in + H·H{bias_text}) with G = {g}, H = {h}, "
                f"in = {input_size} for layer 0 and H·directions = {h * len(directions)} above"
                if not proj_size
                else f"per layer and direction: G·(H·in + H·P{bias_text}) + P·H with G = 4, H = {h}, "
                f"P = {proj_size}, in = {input_size} for layer 0 and P·directions = {r * len(directions)} "
                "above"
            )
            + f"; × {num_layers} layer(s) × {len(directions)} direction(s) = {_n(total)}"
        ),
        note=note,
    )
