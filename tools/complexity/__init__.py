"""Model complexity: layer calculators, backbones and the zoo (参数量 · 计算量)."""
