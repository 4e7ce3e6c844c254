"""PLACEHOLDER module: replaced by its implementation in this session."""


def recommend_optimizer():
    """PLACEHOLDER."""
    raise NotImplementedError


def compare_optimizers():
    """PLACEHOLDER."""
    raise NotImplementedError


def learning_rate_sweep():
    """PLACEHOLDER."""
    raise NotImplementedError
