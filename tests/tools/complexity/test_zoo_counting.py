"""The complexity engine (tools.complexity.zoo.counting): meta builds, the zero-cost swap, per-module
attribution."""

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from tools.complexity.zoo.counting import count_module, meta_device


def test_meta_device_allocates_nothing_and_skips_initialisation():
    with meta_device():
        layer = nn.Linear(4096, 4096)
        block = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8))
    assert all(p.is_meta for p in [*layer.parameters(), *block.parameters()])
    assert all(b.is_meta for b in block.buffers())


def test_meta_device_still_fills_tensors_placed_elsewhere_explicitly():
    with meta_device():
        cpu = torch.zeros(3, device="cpu").fill_(2.0)
        nn.init.ones_(weight := torch.empty(2, device="cpu"))
    assert cpu.tolist() == [2.0, 2.0, 2.0]
    assert weight.tolist() == [1.0, 1.0]


def test_meta_device_is_left_cleanly():
    with meta_device():
        pass
    assert torch.empty(1).device.type == "cpu"


def _plain_flop_count(model: nn.Module, shape) -> int:
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(torch.empty(shape, device="meta"))
    return counter.get_total_flops()


@pytest.mark.parametrize("builder", ["mobilenet_v3_small", "efficientnet_b0", "vit_b_16"])
def test_swapping_zero_cost_modules_keeps_counts_identical(builder):
    import torchvision

    with meta_device():
        plain = getattr(torchvision.models, builder)(weights=None).eval()
        swapped = getattr(torchvision.models, builder)(weights=None)
    expected_params = sum(p.numel() for p in plain.parameters())
    count = count_module(swapped, (1, 3, 224, 224))
    assert count.macs * 2 == _plain_flop_count(plain, (1, 3, 224, 224))
    assert count.params == expected_params  # BatchNorm / LayerNorm parameters are counted before the swap
    assert not any(isinstance(m, (nn.BatchNorm2d, nn.LayerNorm, nn.Dropout)) for m in swapped.modules())


def test_container_macs_are_split_between_exclusive_and_inclusive():
    with meta_device():
        model = nn.Sequential(nn.Linear(8, 4), nn.Sequential(nn.Linear(4, 2), nn.ReLU()))
    count = count_module(model, (3, 8), per_module=True)
    rows = {r.path: r for r in count.modules}
    assert (rows["0"].macs, rows["1.0"].macs) == (3 * 8 * 4, 3 * 4 * 2)  # batch 3
    assert rows["1"].macs == 0 and rows["1"].total_macs == 3 * 4 * 2
    assert rows[""].total_macs == count.macs == 3 * 8 * 4 + 3 * 4 * 2
    assert [r.path for r in count.modules] == ["", "0", "1", "1.0", "1.1"]  # order of first entry
    assert rows["1.1"].type_name == "ReLU" and rows["1.1"].output_shape == (3, 2)


def test_children_used_functionally_are_owned_by_their_parent():
    # nn.MultiheadAttention applies out_proj through F.multi_head_attention_forward, never calling it
    with meta_device():
        attention = nn.MultiheadAttention(16, 2, batch_first=True)

    class SelfAttention(nn.Module):
        def __init__(self):
            super().__init__()
            self.attn = attention

        def forward(self, x):
            return self.attn(x, x, x, need_weights=False)[0]

    count = count_module(SelfAttention(), (1, 5, 16), per_module=True)
    rows = {r.path: r for r in count.modules}
    assert "attn.out_proj" not in rows
    assert rows["attn"].params == count.params == 4 * 16 * 16 + 4 * 16
    # 5 tokens: q, k, v and output projections 4·5·16·16, scores and mixing 2·5·5·16
    assert rows["attn"].macs == 4 * 5 * 16 * 16 + 2 * 5 * 5 * 16


def test_module_called_twice_is_counted_twice():
    with meta_device():
        shared = nn.Linear(6, 6)

    class Twice(nn.Module):
        def __init__(self):
            super().__init__()
            self.shared = shared

        def forward(self, x):
            return self.shared(self.shared(x))

    count = count_module(Twice(), (1, 6), per_module=True)
    rows = {r.path: r for r in count.modules}
    assert rows["shared"].calls == 2
    assert rows["shared"].macs == count.macs == 2 * 36
    assert rows["shared"].params == count.params == 42


def test_trainable_params_exclude_frozen_ones():
    with meta_device():
        model = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 2))
    model[0].requires_grad_(False)
    count = count_module(model, (1, 4))
    assert (count.params, count.trainable_params) == (20 + 10, 10)


def test_forward_errors_propagate():
    with meta_device():
        model = nn.Linear(4, 2)
    with pytest.raises(RuntimeError):
        count_module(model, (1, 5))
