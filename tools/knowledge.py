"""PLACEHOLDER module: replaced by its implementation in this session."""


def list_topics():
    """PLACEHOLDER."""
    raise NotImplementedError


def explain():
    """PLACEHOLDER."""
    raise NotImplementedError
