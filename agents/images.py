"""Saving the images tools and peers send (plots) under ``$PROTOPLAY_HOME/images/``, each picture once.

A file is named by what drew it and a digest of its bytes, and a picture already saved in the folder is not
written again: when the specialist saves the plot a tool drew and the coordinator on the same machine receives
that plot as an A2A artifact, both refer to the one file.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from agents.config import protoplay_home

__all__ = ["image_suffix", "save_image"]

_SUFFIXES = {"image/png": "png", "image/jpeg": "jpg", "image/svg+xml": "svg"}


def image_suffix(mime_type: str) -> str:
    return _SUFFIXES.get(mime_type, "bin")


def save_image(data: bytes, *, stem: str, mime_type: str, directory: Path | None = None) -> Path:
    """``<directory>/<stem>-<digest>.<suffix>`` holding ``data``, or the file already there with the same
    bytes (default directory: ``$PROTOPLAY_HOME/images``).

    Raises :class:`OSError` (or :class:`agents.config.SetupError` for an unusable home) when it cannot.
    """
    folder = directory or protoplay_home() / "images"
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(data).hexdigest()[:16]
    suffix = image_suffix(mime_type)
    for existing in sorted(folder.glob(f"*-{digest}.{suffix}")):
        if existing.is_file() and existing.read_bytes() == data:
            return existing
    path = folder / f"{stem}-{digest}.{suffix}"
    # written whole, then renamed: an agent reading the folder at the same moment never sees half a picture
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    partial.write_bytes(data)
    partial.replace(path)
    return path
