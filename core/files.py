"""Files only their owner may read: credentials and keys written under var/."""

from __future__ import annotations

import os
from pathlib import Path


def private_directory(path: Path) -> None:
    """Make `path` (and parents) with mode 0700; tighten it if it is already there."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    status = path.stat()
    if status.st_mode & 0o077 and status.st_uid == os.getuid():
        path.chmod(0o700)


def write_private_file(path: Path, text: str) -> None:
    """Create `path` with mode 0600 from the start (never readable by others, even
    briefly); refuse to follow or replace an existing file or link."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(text)
