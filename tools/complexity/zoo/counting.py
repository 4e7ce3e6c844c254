"""The complexity engine: parameters and MACs of a module, in total and per module, counted on meta.

Convention (torch's ``FlopCounterMode``, and torchvision's documented "GFLOPS"): a MAC is one
multiply-accumulate of a convolution, a matmul / linear layer or attention; FLOPs = 2 × MACs. BatchNorm,
normalisation, activations, pooling, bias adds and other elementwise ops count 0.

Everything runs on ``torch.device("meta")``: tensors carry shapes only, so no weights or activations are
allocated and the cost does not grow with the input size. On real CPU tensors some fused kernels (attention,
LSTM) are invisible to the counter; on meta they decompose into counted matmuls.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.utils._device import DeviceContext
from torch.utils.flop_counter import FlopCounterMode

__all__ = ["Count", "Forward", "ModuleRecord", "count_module", "keep_on_cpu", "meta_device"]

# Shape-preserving modules the counter gives 0 MACs. On meta their ops run as slow Python decompositions, so
# they become nn.Identity before counting (after their parameters are counted): same counts, ~2× faster.
_ZERO_COST = (
    nn.modules.batchnorm._NormBase,
    nn.LayerNorm,
    nn.GroupNorm,
    nn.LocalResponseNorm,
    nn.modules.dropout._DropoutNd,
    nn.ReLU,
    nn.ReLU6,
    nn.LeakyReLU,
    nn.ELU,
    nn.SiLU,
    nn.GELU,
    nn.Hardswish,
    nn.Hardsigmoid,
    nn.Sigmoid,
    nn.Tanh,
)

# FlopCounterMode tracks modules with process-wide hooks, and torch.device(...) sets a process-wide "current
# device": one build or count at a time keeps threads apart (each takes milliseconds). Re-entrant, so a count
# may run inside a build block of the same thread.
_LOCK = threading.RLock()

# In-place ops that weight initialisers use. They never change a tensor's shape, and a meta tensor has no
# values, so on meta they can be skipped; on meta they otherwise run as Python decompositions (the first call
# in a process also loads those tables), which made up most of the cost of building a model.
_INIT_OPS = frozenset(
    [
        getattr(torch.Tensor, name)
        for name in (
            "normal_", "uniform_", "zero_", "fill_", "erfinv_", "mul_", "add_", "sub_", "div_", "clamp_",
            "copy_", "random_", "bernoulli_", "exponential_",
        )
    ]
    + [getattr(nn.init, name) for name in dir(nn.init) if name.endswith("_") and not name.startswith("_")]
)  # fmt: skip


class _MetaBuild(DeviceContext):
    """``torch.device("meta")`` (the class behind it: it keeps the mode stack in order) that also skips weight
    initialisation. One mode instead of two stacked ones: each tensor op while building passes through it."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func in _INIT_OPS:
            target = args[0] if args else kwargs.get("tensor")  # nn.init passes its tensor by keyword
            if isinstance(target, torch.Tensor) and target.is_meta:
                return target
        return super().__torch_function__(func, types, args, kwargs)


def keep_on_cpu(owner: type, name: str) -> None:
    """Make ``owner.name`` (a classmethod) compute on the CPU even inside :func:`meta_device`.

    Some builders derive their layer widths from tensors and read them back (RegNet's
    ``BlockParams.from_init_params`` ends in ``.tolist()``); on meta there is nothing to read. Wrapping is
    idempotent and changes nothing outside a meta block, where the CPU is the default anyway.
    """
    original = getattr(owner, name)
    if getattr(original, "_protoplay_on_cpu", False):
        return

    def on_cpu(*args: object, **kwargs: object) -> object:
        with torch.device("cpu"):
            return original(*args, **kwargs)

    on_cpu._protoplay_on_cpu = True  # type: ignore[attr-defined]
    setattr(owner, name, on_cpu)


@contextmanager
def meta_device() -> Iterator[None]:
    """Build modules inside this block: their tensors land on the meta device and weight initialisation is
    skipped (meta tensors hold no values), so building allocates nothing and costs little. Other threads wait
    while the block runs: keep it to building."""
    with _LOCK, _MetaBuild("meta"):
        yield


@dataclass
class ModuleRecord:
    """What one module (by its path in the model) did during the counted forward pass."""

    path: str
    """Dotted path from the root (``"layer1.0.conv1"``); ``""`` is the root itself."""
    type_name: str
    """Class name of the module as built (before any zero-cost swap)."""
    params: int
    """Parameters this module owns: its own plus those of children that never ran (e.g. the ``out_proj`` that
    ``nn.MultiheadAttention`` uses functionally). Summed over all records this is the model's total."""
    total_params: int
    """All parameters of the module and its children."""
    is_leaf: bool
    """True when the module has no children."""
    macs: int = 0
    """MACs of ops run directly by this module, not by a child module (summed over calls)."""
    total_macs: int = 0
    """MACs of everything run inside this module's calls, children included."""
    input_shape: tuple[int, ...] | None = None
    """Shape of the first tensor of the first call's input."""
    output_shape: tuple[int, ...] | None = None
    """Shape of the first tensor of the first call's output."""
    calls: int = 0
    """How often the module ran."""
    order: int = -1
    """Rank of its first entry among all modules (execution order)."""
    children: list[str] = field(default_factory=list)
    """Paths of its direct children."""


@dataclass
class Count:
    """Totals and, when requested, the per-module records of one counted forward pass."""

    params: int
    """All parameters."""
    trainable_params: int
    """Parameters with ``requires_grad``."""
    macs: int
    """Multiply-accumulates of conv, matmul and attention ops for the whole input batch."""
    output_shape: tuple[int, ...]
    """Shape of the model output (first tensor)."""
    modules: list[ModuleRecord]
    """Every module that ran, in the order they were first entered (empty unless ``per_module``)."""


def _first_shape(value: object) -> tuple[int, ...] | None:
    if isinstance(value, torch.Tensor):
        return tuple(value.shape)
    if isinstance(value, Mapping):  # segmentation models return {"out": ..., "aux": ...}
        value = list(value.values())
    if isinstance(value, (tuple, list)):
        for item in value:
            shape = _first_shape(item)
            if shape is not None:
                return shape
    return None


# Modules whose forward reads their norms' attributes (to pick a fast path): their children stay as built.
_KEEP_CHILDREN = (nn.TransformerEncoderLayer, nn.TransformerDecoderLayer)


def _swap_zero_cost(model: nn.Module) -> None:
    for parent in list(model.modules()):
        if isinstance(parent, _KEEP_CHILDREN):
            continue
        for name, child in list(parent.named_children()):
            if isinstance(child, _ZERO_COST):
                setattr(parent, name, nn.Identity())


#: How a model is run on its meta input: ``forward(model, x)``. The default calls ``model(x)``; optical flow
#: models take two frames, detectors run stage by stage (:mod:`tools.complexity.zoo.detection`).
Forward = Callable[[nn.Module, torch.Tensor], object]


def count_module(
    model: nn.Module, input_shape: Sequence[int], *, per_module: bool = False, forward: Forward | None = None
) -> Count:
    """Count ``model`` on a meta input of ``input_shape`` (batch first), run by ``forward``.

    ``model`` should have been built under ``torch.device("meta")``; it is put in eval mode and modified in
    place (zero-cost modules become ``nn.Identity``), so pass a fresh one. Errors raised by the forward pass
    (a shape that does not fit) propagate unchanged. A ``forward`` may call submodules directly instead of
    the model: the per-module records then attribute each op to the innermost module that ran it, and the
    parameters of modules that never ran to their nearest ancestor that did (the model itself counts as run).
    """
    params = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    records: dict[str, ModuleRecord] = {}
    if per_module:
        for path, module in model.named_modules():
            records[path] = ModuleRecord(
                path=path,
                type_name=type(module).__name__,
                params=sum(p.numel() for p in module.parameters(recurse=False)),
                total_params=sum(p.numel() for p in module.parameters()),
                is_leaf=next(module.children(), None) is None,
                children=[f"{path}.{name}" if path else name for name, _ in module.named_children()],
            )
    model.eval()
    _swap_zero_cost(model)
    x = torch.empty(tuple(input_shape), device="meta")
    with _LOCK, torch.no_grad():
        counter = FlopCounterMode(display=False)
        handles = _install_hooks(model, records, counter) if per_module else []
        try:
            with counter:
                out = model(x) if forward is None else forward(model, x)
        finally:
            for handle in handles:
                handle.remove()
    output_shape = _first_shape(out) or ()
    macs = counter.get_total_flops() // 2
    if not per_module:
        return Count(params, trainable, macs, output_shape, [])
    root = records[""]
    if not root.calls:  # a custom forward ran the model's parts, not the model itself
        root.calls, root.order, root.total_macs = 1, -1, macs
        root.input_shape, root.output_shape = tuple(input_shape), output_shape
    _attribute(records, root)
    ran = sorted((record for record in records.values() if record.calls), key=lambda record: record.order)
    return Count(params, trainable, macs, output_shape, ran)


def _attribute(records: dict[str, ModuleRecord], record: ModuleRecord) -> tuple[list[ModuleRecord], int]:
    """Settle ``record``'s own MACs and params; return its nearest descendants that ran, and the parameters
    of its subtree that no running module below it claims (they go to the nearest running ancestor)."""
    nearest: list[ModuleRecord] = []
    orphan_params = record.params
    for path in record.children:
        child = records[path]
        below, orphans = _attribute(records, child)
        if child.calls:
            nearest.append(child)
        else:
            nearest += below
            orphan_params += orphans
    if not record.calls:
        return nearest, orphan_params
    record.macs = record.total_macs - sum(child.total_macs for child in nearest)
    record.params = orphan_params
    return [record], 0


def _install_hooks(model: nn.Module, records: dict[str, ModuleRecord], counter: FlopCounterMode) -> list:
    """Hooks that record each module's shapes and the MACs counted between its entry and exit."""
    order: list[str] = []
    handles = []
    for path, module in model.named_modules():
        record = records[path]
        entered: list[int] = []

        def pre_hook(_module, args, *, record=record, entered=entered):
            if not record.calls and not entered:
                record.order = len(order)
                order.append(record.path)
                record.input_shape = _first_shape(args)
            entered.append(counter.get_total_flops())

        def post_hook(_module, _args, output, *, record=record, entered=entered):
            record.total_macs += (counter.get_total_flops() - entered.pop()) // 2
            if not record.calls:
                record.output_shape = _first_shape(output)
            record.calls += 1

        handles.append(module.register_forward_pre_hook(pre_hook))
        handles.append(module.register_forward_hook(post_hook))
    return handles
