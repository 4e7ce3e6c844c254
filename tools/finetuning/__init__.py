"""Fine-tuning calculators behind the tools in :mod:`tools.finetuning.calculators`.

- :mod:`tools.finetuning.architecture`: the typed transformer description, presets, exact parameter counts.
- :mod:`tools.finetuning.methods`: trainable-parameter counts of each PEFT method (参数高效微调) on such a
  base.
- :mod:`tools.finetuning.memory`: the GPU memory breakdown of a fine-tuning run.

Pure arithmetic on pydantic models and dataclasses: nothing here imports torch.
"""
