"""A saved copy of the server's listings, so a freshly spawned stdio server answers without the catalogue.

Why: deriving the catalogue's JSON schemas with pydantic (importing every tool module, building ~23 argument
and result models) is a third of a cold start, and clients spawn the server often — Claude Desktop at every
launch, the agent for every chat. What `initialize`, `tools/list`, `resources/list`,
`resources/templates/list` and `prompts/list` answer is a pure function of the code, so it is saved to
``$PROTOPLAY_HOME/cache/mcp-listing.json`` after a full build and reused while the code is unchanged.

The cache is keyed by a fingerprint of everything the listings derive from: every file of the ``tools``
package (modules and notes) and of ``servers/mcp_*.py`` (path, size, modification time), and the Python,
pydantic, mcp and mcp-types installations. A missing, stale, unreadable or unwritable cache only costs the
full build; it can never serve a listing of other code.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import mcp_types
import pydantic

from agents.config import Env

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

__all__ = ["Listing", "cache_path", "capture", "fingerprint", "load", "save"]

_FORMAT = 1
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Listing:
    """Everything a client can learn from the server without calling a tool, reading or rendering."""

    version: str
    """The server's version (``initialize``)."""
    instructions: str
    """The server's instructions (``initialize``)."""
    tools: list[mcp_types.Tool]
    resources: list[mcp_types.Resource]
    resource_templates: list[mcp_types.ResourceTemplate]
    prompts: list[mcp_types.Prompt]


async def capture(server: MCPServer) -> Listing:
    """The listings ``server`` answers, read through its public methods."""
    return Listing(
        version=server.version,
        instructions=server.instructions or "",
        tools=await server.list_tools(),
        resources=await server.list_resources(),
        resource_templates=await server.list_resource_templates(),
        prompts=await server.list_prompts(),
    )


def cache_path() -> Path:
    home = os.environ.get(Env.HOME)
    if not home:
        from platformdirs import user_data_dir

        home = user_data_dir("protoplay")
    return Path(home) / "cache" / "mcp-listing.json"


def fingerprint() -> str:
    """A digest of the code and libraries the listings derive from (file stats only: a few ms)."""
    digest = hashlib.sha256(f"{_FORMAT} {sys.version} {pydantic.VERSION}".encode())
    roots: list[tuple[str, Path]] = []
    for package in ("tools", "mcp", "mcp_types"):
        spec = importlib.util.find_spec(package)
        if spec is not None and spec.submodule_search_locations:
            roots += [(package, Path(location)) for location in spec.submodule_search_locations]
    for name, root in roots:
        pattern = "**/*" if name == "tools" else "*"  # the SDK: its top-level files change on any upgrade
        for path in sorted(root.glob(pattern)):
            if path.suffix in (".py", ".md") and "__pycache__" not in path.parts:
                _add_file(digest, path, root)
    here = Path(__file__).parent  # this package: the adapters that shape the listings
    for path in sorted(here.glob("*.py")):
        _add_file(digest, path, here)
    return digest.hexdigest()


def load(stamp: str | None = None, *, path: Path | None = None) -> Listing | None:
    """The saved listing if it was saved for ``stamp`` (default: the code as it is now), else ``None``."""
    path = path or cache_path()
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(saved, dict) or saved.get("fingerprint") != (stamp or fingerprint()):
            return None
        return Listing(
            version=saved["version"],
            instructions=saved["instructions"],
            tools=[mcp_types.Tool.model_validate(item) for item in saved["tools"]],
            resources=[mcp_types.Resource.model_validate(item) for item in saved["resources"]],
            resource_templates=[
                mcp_types.ResourceTemplate.model_validate(i) for i in saved["resource_templates"]
            ],
            prompts=[mcp_types.Prompt.model_validate(item) for item in saved["prompts"]],
        )
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, pydantic.ValidationError) as exc:
        log.info("ignoring the MCP listing cache %s: %s", path, exc)
        return None


def save(listing: Listing, stamp: str | None = None, *, path: Path | None = None) -> None:
    """Save ``listing`` as derived from the code ``stamp`` names (default: as it is now) for the next start.

    Best effort: a failure is logged at INFO and otherwise ignored.
    """
    path = path or cache_path()
    document: dict[str, Any] = {
        "fingerprint": stamp or fingerprint(),
        "version": listing.version,
        "instructions": listing.instructions,
        "tools": _dump(listing.tools),
        "resources": _dump(listing.resources),
        "resource_templates": _dump(listing.resource_templates),
        "prompts": _dump(listing.prompts),
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=".mcp-listing.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(document, handle, ensure_ascii=False)
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        log.info("could not save the MCP listing cache %s: %s", path, exc)


def _add_file(digest: Any, path: Path, root: Path) -> None:
    try:
        stat = path.stat()
    except OSError:
        return
    digest.update(f"{path.relative_to(root.parent)} {stat.st_size} {stat.st_mtime_ns}\n".encode())


def _dump(items: Sequence[pydantic.BaseModel]) -> list[dict[str, Any]]:
    return [item.model_dump(mode="json", by_alias=True, exclude_none=True) for item in items]
