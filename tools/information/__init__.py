"""Information theory, losses and out-of-distribution scores (信息熵 · 交叉熵 · KL散度 · OOD)."""
