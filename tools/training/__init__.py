"""Training diagnostics: loss-curve verdicts and gradient flow (过拟合 · 梯度消失/爆炸)."""
