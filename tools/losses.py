"""PLACEHOLDER module: replaced by its implementation in this session."""


def classification_loss():
    """PLACEHOLDER."""
    raise NotImplementedError


def distillation_loss():
    """PLACEHOLDER."""
    raise NotImplementedError
