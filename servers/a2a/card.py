"""The agent card: skills derived from the MCP tool list, one JSON-RPC endpoint offered as A2A 1.0 and 0.3, a
bearer scheme when a token is required.

:func:`skills_from_tools` groups an MCP tool list (name, description, input schema, ``protoplay/theme``) into
A2A skills, one per theme: the specialist's card derives from the MCP catalogue, never kept by hand.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from agents.config import Env

if TYPE_CHECKING:
    from a2a.types import AgentCard, AgentSkill

__all__ = [
    "CARD_PATH",
    "PROTOCOL_VERSIONS",
    "THEME_EXAMPLES",
    "TOKEN_ENV",
    "agent_card",
    "protoplay_version",
    "skills_from_tools",
]

CARD_PATH = "/.well-known/agent-card.json"
PROTOCOL_VERSIONS = ("1.0", "0.3")
"""The A2A versions every protoplay server speaks on its one JSON-RPC endpoint, newest first."""
TOKEN_ENV = Env.A2A_TOKEN.value
"""Environment variable read when ``--token`` is not given."""

#: One or two requests per theme that a model (or the offline model) can send as they are; the tests check
#: that each reaches a tool of its theme. Themes come from the MCP tools' ``protoplay/theme``; a theme
#: without an entry gets examples made from its tools' summaries.
THEME_EXAMPLES: dict[str, tuple[str, ...]] = {
    "information theory": (
        "Entropy of [0.5, 0.25, 0.25] in bits",
        "KL divergence between p = [0.9, 0.1] and q = [0.5, 0.5]",
    ),
    "model complexity": (
        'Compare the backbones ["ResNet-18", "MobileNetV2", "EfficientNet-B0"] by parameters and MACs',
        "Parameters of a conv2d layer with kernel size 3, 64 input channels and 128 output channels",
    ),
    "fine-tuning": (
        "GPU memory to fine-tune llama-7b with qlora on a 24 GB GPU",
        "Trainable parameters of lora on llama-7b",
    ),
    "inference and deployment": (
        "How many tokens per second can an H100 give llama-2-7b at batch size 8?",
        "Can a 70B model with 4-bit weights run on 2 GPUs of 48 GB each with 32k context?",
    ),
    "optimizers": (
        "Recommend an optimizer for llm_finetuning of a transformer",
        "Compare optimizers on rosenbrock",
    ),
    "training diagnostics": (
        "Diagnose training: train loss [2.0, 1.2, 0.8, 0.5, 0.3] and val loss [2.1, 1.4, 1.1, 1.2, 1.5]",
    ),
    "object detection": (
        'Compute the mAP of predictions [{"box": [0, 0, 10, 10], "score": 0.9}] against ground truth '
        '[{"box": [0, 0, 10, 10]}]',
    ),
    "out-of-distribution detection": (
        "Detect out-of-distribution samples from logits [[5.0, 0.1, 0.2], [0.4, 0.5, 0.45]]",
    ),
    "notes": ("Explain LoRA", "List the knowledge notes"),
}

_TEXT_MODES = ["text/plain", "text/markdown"]
_OUTPUT_MODES = ["text/markdown", "application/json", "image/png"]


def skills_from_tools(tools: Sequence[Any], *, theme_order: Sequence[str] = ()) -> list[AgentSkill]:
    """One skill per theme of an MCP tool list (``tools/list`` result items).

    A skill's description lists its tools with their parameters (optional ones marked ``?``) and summaries;
    its tags are the theme and the tool names; its examples are :data:`THEME_EXAMPLES` for the theme.
    """
    from a2a.types import AgentSkill

    groups: dict[str, list[Any]] = {}
    for tool in tools:
        meta = getattr(tool, "meta", None) or {}
        groups.setdefault(str(meta.get("protoplay/theme") or "other"), []).append(tool)
    order = {theme: i for i, theme in enumerate(theme_order)}
    skills = []
    for theme in sorted(groups, key=lambda t: (order.get(t, len(order)), list(groups).index(t))):
        members = groups[theme]
        lines = "; ".join(f"{_signature(tool)} — {_summary(tool.description or '')}" for tool in members)
        examples = THEME_EXAMPLES.get(theme) or tuple(
            _summary(tool.description or "") for tool in members[:2]
        )
        skills.append(
            AgentSkill(
                id=_slug(theme),
                name=theme.capitalize(),
                description=f"{theme.capitalize()} with {len(members)} tools: {lines}.",
                tags=[theme, *(tool.name for tool in members)],
                examples=list(examples),
                input_modes=_TEXT_MODES,
                output_modes=_OUTPUT_MODES,
            )
        )
    return skills


def agent_card(
    *,
    name: str,
    description: str,
    url: str,
    skills: Sequence[AgentSkill],
    token_required: bool,
    streaming: bool = True,
    protocol_versions: Sequence[str] = PROTOCOL_VERSIONS,
) -> AgentCard:
    """A card with a JSON-RPC interface at ``url`` per protocol version; a bearer scheme when a token is
    required.

    Push notifications are declared (every protoplay server delivers them). Served by the SDK, a card with a
    0.3 interface also carries the 0.3 card's fields (``url``, ``preferredTransport``, ``protocolVersion``,
    ``security``...) beside the 1.0 ones, so a 0.3 client reads the same document; 1.0 clients pick the 1.0
    interface from ``supportedInterfaces``.
    """
    from a2a.types import (
        AgentCapabilities,
        AgentCard,
        AgentInterface,
        AgentProvider,
        HTTPAuthSecurityScheme,
        SecurityRequirement,
        SecurityScheme,
        StringList,
    )

    card = AgentCard(
        name=name,
        description=description,
        version=protoplay_version(),
        supported_interfaces=[
            AgentInterface(url=url, protocol_binding="JSONRPC", protocol_version=version)
            for version in protocol_versions
        ],
        provider=AgentProvider(organization="protoplay", url="https://github.com/protoplay/protoplay"),
        capabilities=AgentCapabilities(streaming=streaming, push_notifications=True),
        default_input_modes=_TEXT_MODES,
        default_output_modes=_OUTPUT_MODES,
        skills=list(skills),
    )
    if token_required:
        card.security_schemes["bearer"].CopyFrom(
            SecurityScheme(
                http_auth_security_scheme=HTTPAuthSecurityScheme(
                    scheme="Bearer", description=f"A static token (--token or {TOKEN_ENV})."
                )
            )
        )
        card.security_requirements.append(SecurityRequirement(schemes={"bearer": StringList()}))
    return card


def _signature(tool: Any) -> str:
    schema = getattr(tool, "input_schema", None) or {}
    required = set(schema.get("required") or ())
    params = [name if name in required else f"{name}?" for name in (schema.get("properties") or {})]
    return f"{tool.name}({', '.join(params)})"


def _summary(description: str) -> str:
    line = description.strip().split("\n", 1)[0]
    return line.rstrip(". ")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "skill"


def protoplay_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("protoplay")
    except PackageNotFoundError:
        return "0+unknown"
