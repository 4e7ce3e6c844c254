"""Saving the images tools and peers send (plots) under ``$PROTOPLAY_HOME/images/``.

A plot that cannot be saved is not a failed tool call: the result stands, and :func:`not_saved` words the
note that travels with it instead of the path.
"""

from __future__ import annotations

import logging
from pathlib import Path

from agents.config import SetupError, protoplay_home

__all__ = ["NOT_SAVED_KEY", "image_suffix", "not_saved", "save_image"]

log = logging.getLogger(__name__)

NOT_SAVED_KEY = "images_not_saved"
"""Result key of the note saying why an image could not be saved."""

_SUFFIXES = {"image/png": "png", "image/jpeg": "jpg", "image/svg+xml": "svg"}


def image_suffix(mime_type: str) -> str:
    return _SUFFIXES.get(mime_type, "bin")


def save_image(data: bytes, *, stem: str, mime_type: str, directory: Path | None = None) -> Path:
    """Write ``data`` to ``<directory>/<stem>.<suffix>`` (default directory: ``$PROTOPLAY_HOME/images``).

    Raises :class:`OSError` (or :class:`agents.config.SetupError` for an unusable home) when it cannot.
    """
    folder = directory or protoplay_home() / "images"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stem}.{image_suffix(mime_type)}"
    path.write_bytes(data)
    return path


def not_saved(error: OSError | SetupError, directory: Path | None = None) -> str:
    """The note for a result whose image could not be saved (also logged as a warning)."""
    where = directory or "$PROTOPLAY_HOME/images"
    if isinstance(error, FileExistsError | NotADirectoryError):
        reason = "a file stands where the folder should be"
    else:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
    note = f"the plot could not be saved under {where} ({reason}); the result itself is complete"
    log.warning(note)
    return note
