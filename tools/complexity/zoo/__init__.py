"""The backbone zoo behind :mod:`tools.complexity.backbones`: the registry of architectures, the networks
torchvision lacks (LeNet-5, MobileNetV1), the complexity engine, and the typed layer list of custom networks.

Importing this package (or :mod:`tools.complexity.zoo.registry`, :mod:`tools.complexity.zoo.custom`) does not
import torch; the modules that define networks or count them (:mod:`tools.complexity.zoo.lenet`,
:mod:`tools.complexity.zoo.mobilenet_v1`, :mod:`tools.complexity.zoo.sequence`,
:mod:`tools.complexity.zoo.counting`) do, and are imported inside the tools on first use.
"""
