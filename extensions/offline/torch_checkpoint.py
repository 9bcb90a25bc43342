"""Read a PyTorch state dict saved in the legacy (pre-1.6) format into numpy arrays.

torchvision's `mobilenet_v2-b0353104.pth` predates the zip format: it is a stream of
pickles (magic number, protocol version, system info, the state dict, the list of
storage keys) followed by the raw bytes of each storage, in that key order, each
preceded by its element count as an int64. The state dict pickle refers to storages
through persistent ids and rebuilds tensors with `torch._utils._rebuild_tensor_v2`;
both are answered here with plain Python objects so torch is never imported. Every
pickle goes through the same unpickler, which refuses any other global and so never
runs code named by the file.
"""

from __future__ import annotations

import pickle
import struct
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

_MAGIC = 0x1950A86A20F9469CFC6C
_PROTOCOL_VERSION = 1001

# Storage data is always little-endian: torch's writeFileRaw converts on big-endian hosts.
_STORAGE_DTYPES = {
    "DoubleStorage": np.dtype("<f8"),
    "FloatStorage": np.dtype("<f4"),
    "HalfStorage": np.dtype("<f2"),
    "LongStorage": np.dtype("<i8"),
    "IntStorage": np.dtype("<i4"),
    "ShortStorage": np.dtype("<i2"),
    "CharStorage": np.dtype("i1"),
    "ByteStorage": np.dtype("u1"),
    "BoolStorage": np.dtype("?"),
}


class CheckpointError(ValueError):
    """The file is not a legacy PyTorch state dict this reader understands."""


@dataclass(frozen=True)
class _Storage:
    key: str
    dtype: np.dtype
    numel: int


@dataclass(frozen=True)
class _TensorRef:
    storage: _Storage
    offset: int
    shape: tuple[int, ...]
    stride: tuple[int, ...]


def _rebuild_tensor_v2(
    storage: _Storage,
    storage_offset: int,
    size: tuple[int, ...],
    stride: tuple[int, ...],
    *_ignored: Any,
) -> _TensorRef:
    # The storages' bytes come after this pickle, so tensors stay references until then.
    return _TensorRef(storage, storage_offset, tuple(size), tuple(stride))


class _StateDictUnpickler(pickle.Unpickler):
    def __init__(self, file: BinaryIO) -> None:
        super().__init__(file)
        self.storages: dict[str, _Storage] = {}

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("collections", "OrderedDict"):
            return OrderedDict
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor_v2
        if module == "torch" and name in _STORAGE_DTYPES:
            return _STORAGE_DTYPES[name]
        raise CheckpointError(f"refusing to unpickle {module}.{name}")

    def persistent_load(self, pid: Any) -> _Storage:
        if not isinstance(pid, tuple) or len(pid) != 6 or pid[0] != "storage":
            raise CheckpointError(f"unexpected persistent id {pid!r}")
        _, dtype, key, _location, numel, view_metadata = pid
        if view_metadata is not None:
            raise CheckpointError("storage views are not supported")
        storage = self.storages.setdefault(key, _Storage(key, dtype, numel))
        if storage.dtype != dtype or storage.numel != numel:
            raise CheckpointError(f"storage {key} is declared twice differently")
        return storage


def _read_storage(file: BinaryIO, storage: _Storage, size_format: str) -> np.ndarray:
    header = file.read(8)
    if len(header) != 8:
        raise CheckpointError(f"truncated file at storage {storage.key}")
    (numel,) = struct.unpack(size_format, header)
    if numel != storage.numel:
        raise CheckpointError(f"storage {storage.key} holds {numel} elements, not {storage.numel}")
    nbytes = numel * storage.dtype.itemsize
    data = file.read(nbytes)
    if len(data) != nbytes:
        raise CheckpointError(f"truncated file at storage {storage.key}")
    return np.frombuffer(data, dtype=storage.dtype)


def _materialise(ref: _TensorRef, flat: np.ndarray) -> np.ndarray:
    if len(ref.shape) != len(ref.stride) or any(s < 0 for s in ref.stride) or ref.offset < 0:
        raise CheckpointError("malformed tensor geometry")
    if 0 in ref.shape:
        return np.zeros(ref.shape, dtype=flat.dtype.newbyteorder("="))
    last = ref.offset + sum((n - 1) * s for n, s in zip(ref.shape, ref.stride, strict=True))
    if last >= flat.size:
        raise CheckpointError(f"tensor reaches past the end of storage {ref.storage.key}")
    view = np.lib.stride_tricks.as_strided(
        flat[ref.offset :],
        shape=ref.shape,
        strides=tuple(s * flat.itemsize for s in ref.stride),
        writeable=False,
    )
    # A private C-ordered copy in native byte order, detached from the file buffer
    # (np.ascontiguousarray would turn a 0-d tensor into shape (1,)).
    return np.array(view, dtype=flat.dtype.newbyteorder("="), order="C")


def load_legacy_state_dict(path: Path) -> dict[str, np.ndarray]:
    """Return the tensors of a legacy-format `.pth` state dict as numpy arrays, by name."""
    with path.open("rb") as file:
        try:
            magic = _StateDictUnpickler(file).load()
            protocol = _StateDictUnpickler(file).load()
            sys_info = _StateDictUnpickler(file).load()
        except (pickle.UnpicklingError, EOFError, CheckpointError) as exc:
            raise CheckpointError(f"{path.name} is not a legacy PyTorch checkpoint") from exc
        if magic != _MAGIC or protocol != _PROTOCOL_VERSION:
            raise CheckpointError(f"{path.name} is not a legacy PyTorch checkpoint")
        # Old torch wrote the element count in the saving host's byte order.
        size_format = "<q" if sys_info.get("little_endian", True) else ">q"

        unpickler = _StateDictUnpickler(file)
        state = unpickler.load()
        if not isinstance(state, dict):
            raise CheckpointError("the checkpoint does not hold a state dict")
        keys = _StateDictUnpickler(file).load()
        flats: dict[str, np.ndarray] = {}
        for key in keys:
            if key not in unpickler.storages:
                raise CheckpointError(f"storage {key} is not used by any tensor")
            flats[key] = _read_storage(file, unpickler.storages[key], size_format)

    tensors: dict[str, np.ndarray] = {}
    for name, ref in state.items():
        if not isinstance(ref, _TensorRef):
            raise CheckpointError(f"{name} is not a tensor")
        if ref.storage.key not in flats:
            raise CheckpointError(f"storage {ref.storage.key} of {name} has no data")
        tensors[name] = _materialise(ref, flats[ref.storage.key])
    return tensors
