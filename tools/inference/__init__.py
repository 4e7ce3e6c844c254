"""LLM inference and deployment (推理部署): memory, roofline and throughput of serving a decoder.

- :mod:`tools.inference.gpus`: GPU presets with their datasheet peaks, bandwidth and capacity.
- :mod:`tools.inference.costs`: weight bytes per format, KV-cache bytes, FLOPs and bytes of a forward step,
  roofline time — all counted on the shared architecture spec (:mod:`tools.finetuning.architecture`).
- :mod:`tools.inference.inputs`: the tools' shared inputs and their checks.
- :mod:`tools.inference.memory`, :mod:`tools.inference.roofline`, :mod:`tools.inference.throughput`: the
  three tools.

Analytic throughout: no torch model is built, nothing imports torch.
"""
