# protoplay: `make demo` and `make test` set up .venv on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# The Node MCP clients the tests run against the server (Node 22 from npm, the conformance suite, the
# TypeScript SDK, Inspector 2.x and 0.15), from the npm registry; without it their tests skip (CI=true: fail).
MCP_NODE       := tests/servers/mcp/node
MCP_NODE_STAMP := $(MCP_NODE)/node_modules/.installed
# The A2A clients the tests run against the A2A servers (@a2a-js/sdk 0.3 and 1.x, pinned in the lock file), from
# the npm registry; likewise skipped without them.
A2A_JS       := tests/servers/a2a/js
A2A_JS_STAMP := $(A2A_JS)/node_modules/.installed
# The OpenAI Agents SDK in a venv of its own (its import package is also named `agents`), run by the tests
# against `protoplay serve llm`; from PyPI, and likewise skipped without it.
AGENTS_SDK       := tests/servers/llm/openai_agents
AGENTS_SDK_STAMP := $(AGENTS_SDK)/.venv/.installed

.PHONY: demo test lint bench clean mcp-node a2a-js openai-agents

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/protoplay demo backbone-for-phone

# The whole gate: lint (style, format, types) and the test suite. The suite runs in three worker processes
# (most tests wait on servers and subprocesses, so three keep two cores busy); each test file stays in one
# worker, in order (the README doctest is one user's session, top to bottom).
test: lint
	@$(MAKE) --no-print-directory mcp-node || echo "note: the Node MCP clients could not be installed; their tests skip"
	@$(MAKE) --no-print-directory a2a-js || echo "note: the A2A JS clients could not be installed; their tests skip"
	@$(MAKE) --no-print-directory openai-agents || echo "note: openai-agents could not be installed; its tests skip"
	$(BIN)/python -m pytest -n 3 --dist loadfile

mcp-node: $(MCP_NODE_STAMP)

$(MCP_NODE_STAMP): $(MCP_NODE)/package-lock.json $(MCP_NODE)/inspector-0.15/package-lock.json
	npm ci --prefix $(MCP_NODE) --no-audit --no-fund --loglevel=error
	npm ci --prefix $(MCP_NODE)/inspector-0.15 --no-audit --no-fund --loglevel=error
	touch $@

a2a-js: $(A2A_JS_STAMP)

$(A2A_JS_STAMP): $(A2A_JS)/package-lock.json
	npm ci --prefix $(A2A_JS) --no-audit --no-fund --loglevel=error
	touch $@

openai-agents: $(AGENTS_SDK_STAMP)

$(AGENTS_SDK_STAMP): $(AGENTS_SDK)/requirements.txt
	test -x $(AGENTS_SDK)/.venv/bin/python || $(PYTHON) -m venv $(AGENTS_SDK)/.venv
	$(AGENTS_SDK)/.venv/bin/python -m pip install --quiet -r $(AGENTS_SDK)/requirements.txt
	touch $@

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(STAMP)
	for b in benchmarks/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .mypy_cache
	rm -rf $(MCP_NODE)/node_modules $(MCP_NODE)/inspector-0.15/node_modules $(A2A_JS)/node_modules $(AGENTS_SDK)/.venv
