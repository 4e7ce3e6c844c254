"""Adapters that let sequence layers sit in an ``nn.Sequential`` of a custom network."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["LSTMOutput"]


class LSTMOutput(nn.Module):
    """Runs a batch-first ``nn.LSTM`` and returns its per-step outputs, or only the last step's.

    ``nn.LSTM`` returns ``(output, (h, c))``; a sequential network needs one tensor. On the meta device the
    LSTM's matmuls run batched over time instead of step by step (see :meth:`_meta_forward`).
    """

    def __init__(self, lstm: nn.LSTM, *, last_step_only: bool) -> None:
        super().__init__()
        self.lstm = lstm
        self.last_step_only = last_step_only

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        output = self._meta_forward(x) if x.is_meta else self.lstm(x)[0]
        return output[:, -1] if self.last_step_only else output

    def _meta_forward(self, x: torch.Tensor) -> torch.Tensor:
        """The same matmuls as ``nn.LSTM`` — per layer and direction, input→gates (T·I·4H MACs) and
        hidden→gates (T·H·4H) — batched over the T steps. On meta ``nn.LSTM`` decomposes into one Python-level
        step at a time (milliseconds each); a meta tensor has no values, so the order of steps is moot and
        the count is identical (checked against ``nn.LSTM`` in the tests)."""
        lstm = self.lstm
        out = x
        for layer in range(lstm.num_layers):
            directions = []
            for suffix in ("", "_reverse") if lstm.bidirectional else ("",):
                previous = out.new_empty((*out.shape[:-1], lstm.hidden_size))
                gates = F.linear(out, getattr(lstm, f"weight_ih_l{layer}{suffix}")) + F.linear(
                    previous, getattr(lstm, f"weight_hh_l{layer}{suffix}")
                )
                directions.append(gates[..., : lstm.hidden_size])  # the shape of h = o ⊙ tanh(c)
            out = torch.cat(directions, dim=-1)
        return out
