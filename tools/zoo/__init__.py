"""The backbone zoo behind :mod:`tools.backbones`: the registry of architectures, the networks torchvision
lacks (LeNet-5, MobileNetV1), the complexity engine, and the typed layer list of custom networks.

Importing this package (or :mod:`tools.zoo.registry`, :mod:`tools.zoo.custom`) does not import torch; the
modules that define networks or count them (:mod:`tools.zoo.lenet`, :mod:`tools.zoo.mobilenet_v1`,
:mod:`tools.zoo.sequence`, :mod:`tools.zoo.counting`) do, and are imported inside the tools on first use.
"""
