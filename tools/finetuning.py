"""PLACEHOLDER module: replaced by its implementation in this session."""


def peft_trainable_params():
    """PLACEHOLDER."""
    raise NotImplementedError


def finetune_memory():
    """PLACEHOLDER."""
    raise NotImplementedError
