"""PLACEHOLDER module: replaced by its implementation in this session."""


def list_architectures():
    """PLACEHOLDER."""
    raise NotImplementedError


def model_complexity():
    """PLACEHOLDER."""
    raise NotImplementedError


def compare_models():
    """PLACEHOLDER."""
    raise NotImplementedError


def custom_network_complexity():
    """PLACEHOLDER."""
    raise NotImplementedError
