"""PLACEHOLDER module: replaced by its implementation in this session."""


def ood_detect():
    """PLACEHOLDER."""
    raise NotImplementedError
