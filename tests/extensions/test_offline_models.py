"""MobileNetV2 read from torchvision's .pth without torch, and built into ONNX.

With no torch to compare against, the checks are independent of the code under test:
torchvision's documented parameter count, the raw bytes of the file, and a plain numpy
forward pass written from torchvision's definition (BatchNorm unfolded, convolutions
as sums of shifted slices) that the ONNX graph must match.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFilter

from extensions.offline import mobilenet
from extensions.offline.torch_checkpoint import CheckpointError, load_legacy_state_dict
from extensions.offline_models import (
    MOBILENET_ONNX_NAME,
    build_mobilenet_onnx_bytes,
    ensure_mobilenet_onnx,
    mobilenet_session,
    mobilenet_weights_path,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
# torchvision.models.MobileNet_V2_Weights.IMAGENET1K_V1.meta["num_params"]
TORCHVISION_NUM_PARAMS = 3_504_872


@pytest.fixture(scope="module")
def weights() -> dict[str, np.ndarray]:
    return load_legacy_state_dict(mobilenet_weights_path())


def test_it_reads_as_many_parameters_as_torchvision_documents(weights):
    buffers = ("running_mean", "running_var", "num_batches_tracked")
    params = sum(a.size for name, a in weights.items() if not name.endswith(buffers))

    assert params == TORCHVISION_NUM_PARAMS
    assert len(weights) == 314


def test_it_reads_shapes_dtypes_and_values_as_stored(weights):
    assert weights["features.0.0.weight"].shape == (32, 3, 3, 3)
    assert weights["features.2.conv.1.0.weight"].shape == (96, 1, 3, 3)  # depthwise
    assert weights["classifier.1.weight"].shape == (1000, 1280)
    assert weights["classifier.1.bias"].shape == (1000,)
    tracked = weights["features.0.1.num_batches_tracked"]
    assert tracked.shape == ()
    assert tracked.dtype == np.int64
    # A contiguous tensor's bytes are the file's bytes (storages are little-endian float32).
    raw = mobilenet_weights_path().read_bytes()
    assert weights["classifier.1.weight"].astype("<f4").tobytes() in raw
    # Wrong offsets or byte order give NaNs, huge values or negative variances.
    floats = [a for a in weights.values() if a.dtype == np.float32]
    assert all(np.isfinite(a).all() and np.abs(a).max() < 100 for a in floats)
    variances = [a for name, a in weights.items() if name.endswith("running_var")]
    assert all((v >= 0).all() for v in variances)


def test_it_refuses_a_pickle_that_names_other_code(tmp_path):
    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    path = tmp_path / "evil.pth"
    header = [0x1950A86A20F9469CFC6C, 1001, {"little_endian": True}]
    path.write_bytes(
        b"".join(pickle.dumps(h, protocol=2) for h in header) + pickle.dumps(Payload())
    )

    with pytest.raises(CheckpointError, match="refusing"):
        load_legacy_state_dict(path)
    assert not marker.exists()


def test_it_refuses_a_file_that_is_not_a_legacy_checkpoint(tmp_path):
    path = tmp_path / "new-format.pth"
    path.write_bytes(b"PK\x03\x04 a zip archive")

    with pytest.raises(CheckpointError):
        load_legacy_state_dict(path)


def _reference_forward(w: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    def conv(x, weight, stride):
        k = weight.shape[2]
        pad = (k - 1) // 2
        groups = x.shape[0] // weight.shape[1]
        xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad)))
        ho = (x.shape[1] + 2 * pad - k) // stride + 1
        wo = (x.shape[2] + 2 * pad - k) // stride + 1
        out = np.zeros((weight.shape[0], ho, wo))
        per_in, per_out = weight.shape[1], weight.shape[0] // groups
        for g in range(groups):
            xs = xp[g * per_in : (g + 1) * per_in]
            ws = weight[g * per_out : (g + 1) * per_out]
            for i in range(k):
                for j in range(k):
                    patch = xs[:, i : i + stride * ho : stride, j : j + stride * wo : stride]
                    out[g * per_out : (g + 1) * per_out] += np.einsum(
                        "oc,chw->ohw", ws[:, :, i, j], patch
                    )
        return out

    def bn(x, name):
        shape = (-1, 1, 1)
        mean, var = (
            w[f"{name}.running_mean"].reshape(shape),
            w[f"{name}.running_var"].reshape(shape),
        )
        return (x - mean) / np.sqrt(var + 1e-5) * w[f"{name}.weight"].reshape(shape) + w[
            f"{name}.bias"
        ].reshape(shape)

    def relu6(x):
        return np.clip(x, 0, 6)

    x = relu6(bn(conv(x, w["features.0.0.weight"], 2), "features.0.1"))
    index = 1
    for expand, _, repeats, first_stride in mobilenet.INVERTED_RESIDUAL_SETTING:
        for repeat in range(repeats):
            stride = first_stride if repeat == 0 else 1
            p = f"features.{index}.conv"
            h, layer = x, 0
            if expand != 1:
                h, layer = relu6(bn(conv(h, w[f"{p}.0.0.weight"], 1), f"{p}.0.1")), 1
            h = relu6(bn(conv(h, w[f"{p}.{layer}.0.weight"], stride), f"{p}.{layer}.1"))
            h = bn(conv(h, w[f"{p}.{layer + 1}.weight"], 1), f"{p}.{layer + 2}")
            x = x + h if stride == 1 and x.shape[0] == h.shape[0] else h
            index += 1
    x = relu6(bn(conv(x, w["features.18.0.weight"], 1), "features.18.1"))
    logits = w["classifier.1.weight"] @ x.mean(axis=(1, 2)) + w["classifier.1.bias"]
    e = np.exp(logits - logits.max())
    return e / e.sum()


def test_it_computes_what_a_plain_numpy_mobilenet_computes(weights):
    x = np.random.default_rng(0).standard_normal((1, 3, 64, 64)).astype(np.float32)
    as_float64 = {name: a.astype(np.float64) for name, a in weights.items()}

    expected = _reference_forward(as_float64, x[0].astype(np.float64))
    (got,) = mobilenet_session().run(None, {mobilenet.INPUT_NAME: x})

    assert got.shape == (1, 1000)
    np.testing.assert_allclose(got[0], expected, atol=1e-5)
    assert got[0].argmax() == expected.argmax()


def test_it_answers_the_same_probabilities_every_time():
    x = np.random.default_rng(1).standard_normal((2, 3, 224, 224)).astype(np.float32)
    session = mobilenet_session()

    first = session.run(None, {mobilenet.INPUT_NAME: x})[0]
    second = session.run(None, {mobilenet.INPUT_NAME: x})[0]

    np.testing.assert_array_equal(first, second)
    np.testing.assert_allclose(first.sum(axis=1), 1.0, rtol=1e-5)
    assert first[0].argmax() != first[1].argmax() or not np.allclose(first[0], first[1])


def test_it_prepares_a_picture_as_torchvision_s_eval_transform():
    rng = np.random.default_rng(2)
    picture = Image.fromarray(rng.integers(0, 256, (300, 410, 3), dtype=np.uint8)).filter(
        ImageFilter.GaussianBlur(2)
    )
    # Resize(256) on the shorter side, CenterCrop(224), ToTensor, Normalize, step by step.
    resized = picture.resize((349, 256), Image.Resampling.BILINEAR)
    cropped = np.asarray(resized.crop((62, 16, 286, 240)), dtype=np.float32) / 255
    mean, std = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])
    expected = ((cropped - mean) / std).transpose(2, 0, 1)[None]

    batch = mobilenet.preprocess(picture)

    assert batch.shape == (1, 3, 224, 224)
    assert batch.dtype == np.float32
    assert batch.flags.c_contiguous
    # Resizing only the crop moves a pixel by at most one grey level of 255.
    np.testing.assert_allclose(batch, expected, atol=1 / 255 / 0.224 + 1e-4)
    assert np.abs(batch - expected).mean() < 1e-3


def test_it_classifies_on_one_thread_that_sleeps_when_idle():
    options = mobilenet_session().get_session_options()

    assert options.intra_op_num_threads == 1
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"


def test_it_builds_the_model_file_once_and_reuses_it(settings, tmp_path):
    settings.OFFLINE_MODELS_DIR = tmp_path / "models"

    path = ensure_mobilenet_onnx()
    first = path.stat()
    again = ensure_mobilenet_onnx()

    assert path == tmp_path / "models" / MOBILENET_ONNX_NAME
    assert again == path
    assert (again.stat().st_ino, again.stat().st_mtime_ns) == (first.st_ino, first.st_mtime_ns)
    assert [p.name for p in path.parent.iterdir()] == [MOBILENET_ONNX_NAME]


@pytest.mark.slow
def test_it_survives_two_processes_building_at_once(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    env["OFFLINE_MODELS_DIR"] = str(tmp_path / "models")
    code = (
        "import django; django.setup()\n"
        "from extensions.offline_models import ensure_mobilenet_onnx\n"
        "print(ensure_mobilenet_onnx())\n"
    )
    builders = [
        subprocess.Popen(
            [sys.executable, "-c", code], cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [builder.communicate(timeout=120)[0].strip() for builder in builders]

    assert [builder.returncode for builder in builders] == [0, 0]
    path = tmp_path / "models" / MOBILENET_ONNX_NAME
    assert outputs == [str(path), str(path)]
    assert [p.name for p in path.parent.iterdir()] == [MOBILENET_ONNX_NAME]
    # The build is reproducible: the file is byte for byte what this process builds.
    assert path.read_bytes() == build_mobilenet_onnx_bytes()
