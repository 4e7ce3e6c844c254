"""The A2A servers: app, card, auth, task store, executor, the specialist and coordinator, demos."""

import agents.a2a  # noqa: F401  # before a2a-sdk loads: it switches the SDK's own spans off (see agents.a2a)
