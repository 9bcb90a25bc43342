"""torchvision's MobileNetV2 (ImageNet-1k) as an ONNX graph built from its state dict.

The graph follows `torchvision.models.mobilenetv2` layer by layer, so the state dict's
names map one to one: `features.0` (3x3 stride-2 conv), seventeen inverted residual
blocks `features.1`..`features.17`, `features.18` (1x1 conv to 1280 channels), global
average pooling and `classifier.1` (Linear 1280 -> 1000); `classifier.0` is dropout and
has no weights. Each BatchNorm (eval mode: running statistics) is folded into the
convolution before it, which is exact up to float rounding. The graph ends in a softmax,
so it answers class probabilities.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from PIL import Image

# (expansion t, output channels c, repeats n, first stride s), as in torchvision.
INVERTED_RESIDUAL_SETTING = (
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
)
BN_EPS = 1e-5  # nn.BatchNorm2d's default, which torchvision's MobileNetV2 keeps
NUM_CLASSES = 1000
INPUT_NAME = "input"
OUTPUT_NAME = "probabilities"

# Opset 17 with IR version 8 loads in every onnxruntime the project allows (>= 1.17).
_OPSET = 17
_IR_VERSION = 8

RESIZE_TO = 256
CROP_TO = 224
_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
# (pixel / 255 - mean) / std as one multiply and one subtraction per channel plane.
_SCALE = (1 / (255 * _STD)).astype(np.float32)[:, None, None]
_OFFSET = (_MEAN / _STD).astype(np.float32)[:, None, None]


class _GraphBuilder:
    def __init__(self, weights: Mapping[str, np.ndarray]) -> None:
        self._weights = weights
        self._used: set[str] = set()
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[TensorProto] = []
        self._relu6_bounds = [
            self._constant("relu6.min", np.array(0.0)),
            self._constant("relu6.max", np.array(6.0)),
        ]

    def _take(self, name: str) -> np.ndarray:
        if name not in self._weights:
            raise ValueError(f"the state dict has no {name}")
        self._used.add(name)
        return np.asarray(self._weights[name], dtype=np.float64)

    def _constant(self, name: str, value: np.ndarray) -> str:
        self.initializers.append(numpy_helper.from_array(value.astype(np.float32), name))
        return name

    def conv_bn(
        self, x: str, conv: str, bn: str, *, stride: int, depthwise: bool, relu6: bool
    ) -> str:
        weight = self._take(f"{conv}.weight")
        gamma = self._take(f"{bn}.weight")
        beta = self._take(f"{bn}.bias")
        mean = self._take(f"{bn}.running_mean")
        var = self._take(f"{bn}.running_var")
        self._used.add(f"{bn}.num_batches_tracked")

        scale = gamma / np.sqrt(var + BN_EPS)
        folded_w = self._constant(f"{conv}.w", weight * scale[:, None, None, None])
        folded_b = self._constant(f"{conv}.b", beta - mean * scale)
        out_channels, _, kernel, _ = weight.shape
        pad = (kernel - 1) // 2
        y = f"{conv}.out"
        self.nodes.append(
            helper.make_node(
                "Conv",
                [x, folded_w, folded_b],
                [y],
                name=conv,
                kernel_shape=[kernel, kernel],
                strides=[stride, stride],
                pads=[pad, pad, pad, pad],
                group=out_channels if depthwise else 1,
            )
        )
        if not relu6:
            return y
        self.nodes.append(
            helper.make_node("Clip", [y, *self._relu6_bounds], [f"{y}.relu6"], name=f"{conv}.relu6")
        )
        return f"{y}.relu6"

    def inverted_residual(self, x: str, index: int, *, expand: int, stride: int) -> str:
        block = f"features.{index}.conv"
        h = x
        layer = 0
        if expand != 1:
            h = self.conv_bn(
                h, f"{block}.0.0", f"{block}.0.1", stride=1, depthwise=False, relu6=True
            )
            layer = 1
        h = self.conv_bn(
            h, f"{block}.{layer}.0", f"{block}.{layer}.1", stride=stride, depthwise=True, relu6=True
        )
        h = self.conv_bn(
            h,
            f"{block}.{layer + 1}",
            f"{block}.{layer + 2}",
            stride=1,
            depthwise=False,
            relu6=False,
        )
        # torchvision adds the shortcut exactly when the block keeps stride and width.
        first = self._weights[f"{block}.0.0.weight"]
        in_channels = first.shape[1] if expand != 1 else first.shape[0]
        out_channels = self._weights[f"{block}.{layer + 1}.weight"].shape[0]
        if stride == 1 and in_channels == out_channels:
            self.nodes.append(
                helper.make_node("Add", [x, h], [f"{block}.sum"], name=f"{block}.add")
            )
            return f"{block}.sum"
        return h

    def classifier(self, x: str) -> str:
        pooled, flat = "pool.out", "flatten.out"
        self.nodes.append(helper.make_node("GlobalAveragePool", [x], [pooled], name="pool"))
        self.nodes.append(helper.make_node("Flatten", [pooled], [flat], name="flatten", axis=1))
        weight = self._constant("classifier.1.weight", self._take("classifier.1.weight"))
        bias = self._constant("classifier.1.bias", self._take("classifier.1.bias"))
        self.nodes.append(
            helper.make_node(
                "Gemm", [flat, weight, bias], ["logits"], name="classifier.1", transB=1
            )
        )
        self.nodes.append(
            helper.make_node("Softmax", ["logits"], [OUTPUT_NAME], name="softmax", axis=1)
        )
        return OUTPUT_NAME

    def check_all_used(self) -> None:
        unused = sorted(set(self._weights) - self._used)
        if unused:
            raise ValueError(f"the state dict has weights this architecture does not use: {unused}")


def build_mobilenet_v2(weights: Mapping[str, np.ndarray]) -> onnx.ModelProto:
    """Return the checked ONNX model of MobileNetV2 with these torchvision weights."""
    builder = _GraphBuilder(weights)
    x = builder.conv_bn(
        INPUT_NAME, "features.0.0", "features.0.1", stride=2, depthwise=False, relu6=True
    )
    index = 1
    for expand, _channels, repeats, first_stride in INVERTED_RESIDUAL_SETTING:
        for repeat in range(repeats):
            stride = first_stride if repeat == 0 else 1
            x = builder.inverted_residual(x, index, expand=expand, stride=stride)
            index += 1
    x = builder.conv_bn(
        x, f"features.{index}.0", f"features.{index}.1", stride=1, depthwise=False, relu6=True
    )
    builder.classifier(x)
    builder.check_all_used()

    graph = helper.make_graph(
        builder.nodes,
        "mobilenet_v2",
        [
            helper.make_tensor_value_info(
                INPUT_NAME, TensorProto.FLOAT, ["batch", 3, "height", "width"]
            )
        ],
        [helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT, ["batch", NUM_CLASSES])],
        initializer=builder.initializers,
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", _OPSET)],
        producer_name="medialibrary-server",
        doc_string="torchvision MobileNetV2 IMAGENET1K_V1, batch norm folded; outputs softmax.",
    )
    model.ir_version = _IR_VERSION
    onnx.checker.check_model(model, full_check=True)
    return model


def preprocess(image: Image.Image) -> np.ndarray:
    """Return torchvision's eval transform of an RGB image as a float32 NCHW batch of one.

    Resize(256) (shorter side, bilinear), CenterCrop(224), ToTensor, Normalize(ImageNet).
    """
    width, height = image.size
    if width <= height:
        size = (RESIZE_TO, int(RESIZE_TO * height / width))
    else:
        size = (int(RESIZE_TO * width / height), RESIZE_TO)
    left = round((size[0] - CROP_TO) / 2.0)
    top = round((size[1] - CROP_TO) / 2.0)
    # Only the crop is resized: the box is the crop in the source's pixels.
    x_scale, y_scale = width / size[0], height / size[1]
    box = (left * x_scale, top * y_scale, (left + CROP_TO) * x_scale, (top + CROP_TO) * y_scale)
    cropped = image.resize((CROP_TO, CROP_TO), Image.Resampling.BILINEAR, box=box)
    # Channels first before any arithmetic: numpy's loops over a trailing axis of 3 cost
    # ten times those over a plane of 224x224 (measured, figure 2).
    planes = np.asarray(cropped).transpose(2, 0, 1).astype(np.float32, order="C")
    planes *= _SCALE
    planes -= _OFFSET
    return planes[None]
