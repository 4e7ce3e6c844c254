"""Fine-tuning calculators behind the tools in :mod:`tools.finetuning.calculators`.

- :mod:`tools.finetuning.architecture`: the typed transformer description and exact parameter counts (the
  one architecture spec, shared with :mod:`tools.inference`).
- :mod:`tools.finetuning.presets`: named architectures (BERT … LLaMA-3.1-405B, Qwen2.5, Gemma, Phi-3, T5,
  BART).
- :mod:`tools.finetuning.targets`: which projections a method adapts by default (peft's own per-model
  mapping).
- :mod:`tools.finetuning.methods`: trainable-parameter counts of each PEFT method (参数高效微调) on such a
  base.
- :mod:`tools.finetuning.memory`: the GPU memory breakdown of a fine-tuning run.

Pure arithmetic on pydantic models and dataclasses: nothing here imports torch.
"""
