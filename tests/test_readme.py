"""The README's code blocks, run as pasted: a doctest of the README, in the order a newcomer reads it.

Every code block is a test case named by its README line. Shell blocks (```bash and indented blocks) run
under bash with ``set -e``, ``protoplay`` on PATH, an empty ``PROTOPLAY_HOME`` shared by the whole README
(as one user following along) and a scratch working directory; Python blocks run as scripts in the same
environment. ```text blocks are diagrams, not code.

``make`` runs with ``-o .venv/.installed``, so a block never reinstalls the environment the suite runs in.

Servers: a ``protoplay serve … --port N`` line starts the server in the background (as a second terminal
would) and waits until it listens; it keeps running for the blocks after it in the same section, and is
stopped when the section ends. Every port the README names (``--port N``, ``--ports N,M``, ``127.0.0.1:N``)
is moved to a free port, the same one wherever that number appears.

A block that needs what a test machine lacks (Claude Desktop, an Ollama server, an npm download) is marked in
the README source by ``<!-- not run by the README test: REASON -->`` just before it: the test reports it as
skipped with that reason (``pytest -rs`` lists them) — a block is never left out silently.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
SKIP_MARK = re.compile(r"<!--\s*not run by the README test:\s*(?P<reason>.*?)\s*-->", re.DOTALL)
SHELL = {"bash", "sh", "shell"}
_PORT = re.compile(r"(?:(?<=--port )|(?<=127\.0\.0\.1:)|(?<=localhost:))(\d{4,5})\b")
_PORTS = re.compile(r"--ports (\d{4,5}),(\d{4,5})\b")
_SERVER = re.compile(r"^(?P<command>protoplay serve\b[^#]*?)(?P<comment>\s+#.*)?$")


@dataclass(frozen=True)
class Block:
    """One code block of the README."""

    line: int
    """The README line of the block's first line of code (1-based)."""
    kind: str
    """``shell``, ``python`` or ``text``."""
    code: str
    section: int
    """Which heading it sits under (blocks of one section share the servers they start)."""
    skip: str | None = None
    """The reason given in the README for not running it."""

    @property
    def name(self) -> str:
        return f"README.md:{self.line} ({self.kind})"


def readme_blocks(text: str | None = None) -> list[Block]:
    """Every code block, as CommonMark parses the README (fenced and indented, inside lists too)."""
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").parse(text if text is not None else README.read_text(encoding="utf-8"))
    blocks, section, previous = [], 0, None
    for token in tokens:
        if token.type == "heading_open":
            section += 1
        if token.type in ("fence", "code_block") and token.map is not None:
            info = token.info.strip().split()[0] if token.info.strip() else ""
            kind = "shell" if token.type == "code_block" or info in SHELL else info or "untagged"
            first = token.map[0] + (2 if token.type == "fence" else 1)
            marked = SKIP_MARK.search(previous.content) if previous is not None else None
            skip = marked["reason"] if marked and previous.type == "html_block" else None
            blocks.append(Block(first, kind, token.content, section, skip))
        if token.type not in ("paragraph_close", "inline"):
            previous = token
    return blocks


# ------------------------------------------------------------------------------------------------ session


@dataclass
class ReadmeSession:
    """What the README's blocks share: a home, a working directory, free ports and the running servers."""

    home: Path
    workdir: Path
    env: dict[str, str]
    ports: dict[str, str] = field(default_factory=dict)
    section: int | None = None
    servers: Path = field(init=False)
    """A file listing the process ids of the servers started in the current section."""

    def __post_init__(self) -> None:
        self.servers = self.workdir / ".readme-servers"

    def enter(self, block: Block) -> None:
        if block.section != self.section:
            self.stop_servers()
            self.section = block.section

    def localize(self, code: str) -> str:
        """``code`` with every port it names moved to this session's free port for that number."""

        def free(number: str) -> str:
            from servers.a2a.app import free_port

            while number not in self.ports:
                port = str(free_port())
                if port not in self.ports.values():
                    self.ports[number] = port
            return self.ports[number]

        code = _PORTS.sub(lambda match: f"--ports {free(match[1])},{free(match[2])}", code)
        return _PORT.sub(lambda match: free(match[1]), code)

    def stop_servers(self) -> None:
        if not self.servers.exists():
            return
        pids = [int(pid) for pid in self.servers.read_text().split()]
        self.servers.unlink()
        for pid in pids:
            _stop(pid)


def _stop(pid: int) -> None:
    """SIGTERM, then SIGKILL after 15 s (a server the README started; nothing else is touched)."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            finished, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:  # not our child (bash started it): poll until it is gone
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            finished = 0
        if finished:
            return
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReadmeSession]:
    home = tmp_path_factory.mktemp("readme-home")
    workdir = tmp_path_factory.mktemp("readme-work")
    # `make demo` runs from here as from a clone: the Makefile and the environment this suite runs in
    for name in ("Makefile", "pyproject.toml", ".venv"):
        if (ROOT / name).exists():
            (workdir / name).symlink_to(ROOT / name)
    scripts = str(Path(sys.executable).parent)
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_") and k != "PROTOPLAY_MODEL"}
    env |= {"PROTOPLAY_HOME": str(home), "PATH": f"{scripts}{os.pathsep}{env.get('PATH', '')}"}
    readme = ReadmeSession(home, workdir, env)
    yield readme
    readme.stop_servers()


# ------------------------------------------------------------------------------------------------ running

_PRELUDE = (
    "set -eo pipefail; "
    "trap 'echo \"README.md line $((FIRST + LINENO - 2)) failed (exit $?): $BASH_COMMAND\" >&2' ERR; "
    "wait_port() { for _ in $(seq 600); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; "
    'kill -0 "$2" 2>/dev/null || { echo "the server for port $1 exited:" >&2; tail -n 20 "$SERVER_LOG" >&2; '
    'return 1; }; sleep 0.1; done; echo "nothing listens on port $1 after 60 s" >&2; return 1; }\n'
)


def shell_script(block: Block, code: str) -> str:
    """The block as a bash script whose line 2 is the block's first line; servers go to the background."""
    lines = []
    for number, line in enumerate(code.splitlines(), start=block.line):
        server = _SERVER.match(line)
        if server and "--help" not in line:
            port = re.search(r"--port (\d+)", server["command"])
            if port is None:
                raise AssertionError(
                    f"README.md line {number}: a server started without --port: {line.strip()}"
                )
            line = (
                f'{server["command"]} >>"$SERVER_LOG" 2>&1 & echo $! >>"$SERVER_PIDS"; '
                f'wait_port {port[1]} "$!"{server["comment"] or ""}'
            )
        if re.match(r"make\s", line):  # never rebuild the environment this suite runs in
            line = "make -o .venv/.installed " + line[len("make") :].lstrip()
        lines.append(line)
    return _PRELUDE + "\n".join(lines) + "\n"


def run_shell(block: Block, session: ReadmeSession) -> subprocess.CompletedProcess[str]:
    script = shell_script(block, session.localize(block.code))
    env = session.env | {
        "FIRST": str(block.line),
        "SERVER_PIDS": str(session.servers),
        "SERVER_LOG": str(session.workdir / f"servers-{block.line}.log"),
    }
    return subprocess.run(
        ["bash", "-c", script],
        cwd=session.workdir,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=600,
    )


def run_python(block: Block, session: ReadmeSession) -> subprocess.CompletedProcess[str]:
    script = session.workdir / f"readme_{block.line}.py"
    script.write_text(session.localize(block.code), encoding="utf-8")
    return subprocess.run(
        [sys.executable, script.name],
        cwd=session.workdir,
        env=session.env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
    )


BLOCKS = readme_blocks()


@pytest.mark.parametrize("block", BLOCKS, ids=[block.name for block in BLOCKS])
def test_readme_block_runs_as_pasted(block: Block, session: ReadmeSession) -> None:
    session.enter(block)
    if block.skip is not None:
        pytest.skip(f"{block.name}: {block.skip}")
    if block.kind == "text":
        pytest.skip(f"{block.name}: a ```text block (a diagram or output, not code)")
    assert block.kind in ("shell", "python"), (
        f"{block.name}: a code block must say its language (```bash, ```python or ```text), or be marked "
        "<!-- not run by the README test: REASON -->"
    )
    if re.search(r"^make\s", block.code, re.MULTILINE) and not _in_repo_venv():
        pytest.skip(f"{block.name}: the suite does not run from this clone's .venv, which make would build")
    result = run_shell(block, session) if block.kind == "shell" else run_python(block, session)
    where = f"{block.name}, which starts:\n{_first_lines(block.code)}"
    assert result.returncode == 0, f"{where}\nexit {result.returncode}\n{_tail(result)}"
    assert "Traceback (most recent call last)" not in result.stdout + result.stderr, (
        f"{where}\n{_tail(result)}"
    )


def _in_repo_venv() -> bool:
    return Path(sys.prefix).resolve() == (ROOT / ".venv").resolve()


def _first_lines(code: str, count: int = 3) -> str:
    return "\n".join(f"    {line}" for line in code.splitlines()[:count])


def _tail(result: subprocess.CompletedProcess[str]) -> str:
    return f"--- stdout (end)\n{result.stdout[-2500:]}\n--- stderr (end)\n{result.stderr[-2500:]}"


# ------------------------------------------------------------------------------------------------ the rules


def test_the_block_finder_sees_fenced_indented_and_marked_blocks() -> None:
    sample = (
        "# A\n\n```bash\nprotoplay tools\n```\n\n    protoplay ask hi\n\n"
        "## B\n<!-- not run by the README test: needs Claude Desktop -->\n```python\nprint(1)\n```\n\n"
        "- a list item:\n\n      protoplay doctor\n\n```\nuntagged\n```\n"
    )
    found = [(b.line, b.kind, b.code, b.section, b.skip) for b in readme_blocks(sample)]
    assert found == [
        (4, "shell", "protoplay tools\n", 1, None),
        (7, "shell", "protoplay ask hi\n", 1, None),
        (12, "python", "print(1)\n", 2, "needs Claude Desktop"),
        (17, "shell", "protoplay doctor\n", 2, None),
        (20, "untagged", "untagged\n", 2, None),
    ]


def test_ports_move_to_free_ones_consistently_and_servers_go_to_the_background(tmp_path) -> None:
    readme = ReadmeSession(tmp_path, tmp_path, {})
    code = "protoplay serve llm --port 8000  # the endpoint\ncurl http://127.0.0.1:8000/v1/models\n"
    moved = readme.localize(code)
    (port,) = set(re.findall(r"\d{4,5}", moved))
    assert port != "8000" and moved.count(port) == 2
    both = readme.localize("protoplay demo x --ports 8000,9101")
    assert both == f"protoplay demo x --ports {port},{readme.ports['9101']}" and readme.ports["9101"] != port
    script = shell_script(Block(10, "shell", moved, 1), moved)
    server_line = script.splitlines()[1]
    assert server_line.startswith(f"protoplay serve llm --port {port} >>")
    assert f'wait_port {port} "$!"  # the endpoint' in server_line
    with pytest.raises(AssertionError, match=r"README\.md line 10: a server started without --port"):
        shell_script(
            Block(10, "shell", "protoplay serve a2a specialist\n", 1), "protoplay serve a2a specialist\n"
        )


def test_a_failing_line_is_named_by_its_readme_line(tmp_path) -> None:
    readme = ReadmeSession(tmp_path, tmp_path, dict(os.environ))
    block = Block(40, "shell", "echo fine\nfalse   # the second line fails\necho never\n", 1)
    result = run_shell(block, readme)
    assert result.returncode == 1 and result.stdout == "fine\n"
    assert "README.md line 41 failed (exit 1): false" in result.stderr


def test_every_skip_in_the_readme_gives_a_reason() -> None:
    text = README.read_text(encoding="utf-8")
    marks = SKIP_MARK.findall(text)
    assert all(reason.strip() for reason in marks)
    assert len(marks) == sum(block.skip is not None for block in BLOCKS), (
        "a skip mark that is not right before a code block"
    )
