"""Optimizers: AdaBelief, the choice table, test problems, real runs and their plots (优化器)."""
