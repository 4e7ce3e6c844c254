"""Adapters that let sequence layers and residual blocks sit in an ``nn.Sequential`` of a custom network."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["RecurrentOutput", "Residual", "SelfAttention", "TokenEmbedding"]

_GATES = {"lstm": 4, "gru": 3, "rnn": 1}


class RecurrentOutput(nn.Module):
    """Runs a batch-first ``nn.LSTM`` / ``GRU`` / ``RNN`` and returns its per-step outputs, or only the last.

    They return ``(output, state)``; a sequential network needs one tensor. On the meta device the matmuls run
    batched over time instead of step by step (see :meth:`_meta_forward`).
    """

    def __init__(self, rnn: nn.RNNBase, *, last_step_only: bool) -> None:
        super().__init__()
        self.rnn = rnn
        self.last_step_only = last_step_only

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        output = self._meta_forward(x) if x.is_meta else self.rnn(x)[0]
        return output[:, -1] if self.last_step_only else output

    def _meta_forward(self, x: torch.Tensor) -> torch.Tensor:
        """The same matmuls as the torch module — per layer and direction, input→gates (T·I·G·H MACs),
        hidden→gates (T·H_out·G·H) and, for an LSTM with proj_size P, the projection (T·H·P) — batched over
        the T steps. On meta the module decomposes into one Python-level step at a time (milliseconds each);
        a meta tensor has no values, so the order of steps is moot and the count is identical (checked
        against nn.LSTM, nn.GRU and nn.RNN in the tests)."""
        rnn = self.rnn
        gates = _GATES[rnn.mode.lower().split("_")[0]]
        hidden = rnn.hidden_size
        out = x
        for layer in range(rnn.num_layers):
            directions = []
            for suffix in ("", "_reverse") if rnn.bidirectional else ("",):
                weight_hh = getattr(rnn, f"weight_hh_l{layer}{suffix}")
                previous = out.new_empty((*out.shape[:-1], weight_hh.shape[1]))
                mixed = F.linear(out, getattr(rnn, f"weight_ih_l{layer}{suffix}")) + F.linear(
                    previous, weight_hh
                )
                h = mixed[..., :hidden]  # the shape of each gate, and of h before any projection
                if gates == 4 and int(getattr(rnn, "proj_size", 0)) > 0:
                    h = F.linear(h, getattr(rnn, f"weight_hr_l{layer}{suffix}"))
                directions.append(h)
            out = torch.cat(directions, dim=-1)
        return out


class TokenEmbedding(nn.Module):
    """``nn.Embedding`` fed the network's input as token ids (a lookup: 0 MACs)."""

    def __init__(self, num_embeddings: int, embedding_dim: int) -> None:
        super().__init__()
        self.embedding = nn.Embedding(num_embeddings, embedding_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.embedding(x.long())


class SelfAttention(nn.Module):
    """``nn.MultiheadAttention`` (batch first) attending a sequence to itself; returns the result."""

    def __init__(self, embed_dim: int, num_heads: int, *, bias: bool) -> None:
        super().__init__()
        self.attention = nn.MultiheadAttention(embed_dim, num_heads, bias=bias, batch_first=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.attention(x, x, x, need_weights=False)[0]


class Residual(nn.Module):
    """y = F(x) + shortcut(x): the shortcut is the identity, or a projection when F changes the shape."""

    def __init__(self, block: nn.Module, shortcut: nn.Module | None) -> None:
        super().__init__()
        self.block = block
        self.shortcut = shortcut

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.block(x) + (x if self.shortcut is None else self.shortcut(x))
