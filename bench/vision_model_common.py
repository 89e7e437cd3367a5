"""Helpers shared by the torchvision side of bench/vision_model and the parity script.

Run with Debian's /usr/bin/python3 (python3-torch 1.13, python3-torchvision 0.14).
"""
import json
import struct

import torch
from torchvision.models import resnet18, resnet34, resnet50
from torchvision.models.detection import RetinaNet
from torchvision.models.detection.backbone_utils import _resnet_fpn_extractor
from torchvision.ops.feature_pyramid_network import LastLevelP6P7

_DTYPES = {"F32": torch.float32, "F64": torch.float64, "F16": torch.float16,
           "BF16": torch.bfloat16, "I64": torch.int64, "I32": torch.int32, "U8": torch.uint8,
           "BOOL": torch.bool}


def read_safetensors(path):
    """Returns ({name: torch.Tensor}, metadata) from a safetensors file (our own reader)."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    base = 8 + n
    tensors = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        buf = bytearray(data[base + begin:base + end])
        t = torch.frombuffer(buf, dtype=_DTYPES[info["dtype"]]) if buf else torch.empty(0)
        tensors[name] = t.reshape(info["shape"]).clone()
    return tensors, meta


def make_torchvision_retinanet(backbone, num_classes, size):
    """torchvision's retinanet_resnet50_fpn recipe (BatchNorm, P6/P7 from P5) for any ResNet."""
    body = {"resnet18": resnet18, "resnet34": resnet34, "resnet50": resnet50}[backbone]()
    fpn = _resnet_fpn_extractor(body, 5, returned_layers=[2, 3, 4],
                                extra_blocks=LastLevelP6P7(256, 256))
    return RetinaNet(fpn, num_classes=num_classes, min_size=size, max_size=size)


def load_weights(model, tensors):
    state = {k: v for k, v in tensors.items() if not k.startswith(("input.", "output."))}
    model.load_state_dict(state, strict=True)
