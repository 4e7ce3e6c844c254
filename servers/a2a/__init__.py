"""The A2A servers: app, card, auth, task store, executor, the specialist and coordinator, demos."""

import os

from agents.config import Env

# a2a-sdk wraps each of its internal methods in a span (~100 per request); with no exporter configured they
# are pure overhead, about a fifth of a served request's time. The SDK reads its switch once, when it is first
# imported — so it is set here, before, unless the user set it (``true`` brings the spans back).
os.environ.setdefault(Env.A2A_SDK_SPANS, "false")
