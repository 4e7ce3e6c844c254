"""Fine-tuning calculators behind the tools in :mod:`tools.finetuning`.

- :mod:`tools.finetune.architecture`: the typed transformer description, presets, exact parameter counts.
- :mod:`tools.finetune.methods`: trainable-parameter counts of each PEFT method (参数高效微调) on such a base.
- :mod:`tools.finetune.memory`: the GPU memory breakdown of a fine-tuning run.

Pure arithmetic on pydantic models and dataclasses: nothing here imports torch.
"""
