"""`protoplay doctor` as a user runs it: what it checks, and for a broken part the line that says the fix."""

from __future__ import annotations

import socket
import subprocess

from servers.a2a.app import free_port
from servers.cli.doctor import check_imports, check_ports
from tests.servers.processes import protoplay_serving


def run(exe: str, env: dict[str, str], *args: str):
    return subprocess.run([exe, "doctor", *args], capture_output=True, text=True, env=env, timeout=180)


def lines_starting(output: str, mark: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith(mark)]


def test_a_healthy_install_passes_every_required_check(protoplay_exe, subprocess_env):
    result = run(protoplay_exe, subprocess_env)
    assert result.returncode == 0, result.stdout + result.stderr
    required = result.stdout.split("\noptional parts:")[0]
    # seven checks; only the default ports may be a warning (another program may hold one here)
    assert len(lines_starting(required, "✓ ") + lines_starting(required, "! ")) == 7, required
    assert [line for line in lines_starting(required, "! ") if "default port" not in line] == []
    assert not lines_starting(required, "✗ ")
    for part in ("✓ Python 3.", "✓ protoplay ", "✓ torch, torchvision and matplotlib: torch "):
        assert part in required
    assert "✓ memory.db opens" in required
    assert f"✓ data directory {subprocess_env['PROTOPLAY_HOME']} is writable ($PROTOPLAY_HOME)" in required
    assert "✓ model: protoplay-offline (built-in offline model" in required
    assert "All required checks passed" in result.stdout


def test_an_unusable_home_is_named_with_the_fix(protoplay_exe, subprocess_env, tmp_path):
    not_a_dir = tmp_path / "home"
    not_a_dir.write_text("a file, not a directory")
    result = run(protoplay_exe, subprocess_env | {"PROTOPLAY_HOME": str(not_a_dir)})
    assert result.returncode == 1 and "Traceback" not in result.stdout + result.stderr
    assert f"✗ data directory: PROTOPLAY_HOME: {not_a_dir} is not a directory" in result.stdout
    assert "    → set PROTOPLAY_HOME to a directory you can write" in result.stdout
    assert "memory.db" not in result.stdout  # it lives in the home: not reported twice
    assert result.stdout.rstrip().endswith("1 problem to fix (✗ above).")


def test_a_broken_torch_is_named_with_the_reinstall(protoplay_exe, subprocess_env, tmp_path):
    fake = tmp_path / "shadow" / "torch"
    fake.mkdir(parents=True)
    broken = 'raise ImportError("libtorch_cpu.so: cannot open shared object file")\n'
    (fake / "__init__.py").write_text(broken)
    result = run(protoplay_exe, subprocess_env | {"PYTHONPATH": str(fake.parent)})
    assert result.returncode == 1, result.stdout
    assert (
        "✗ torch, torchvision and matplotlib: importing torch failed (ImportError: libtorch_cpu.so: cannot "
        "open shared object file)"
    ) in result.stdout
    assert "-m pip install --force-reinstall torch" in result.stdout
    assert "✓ protoplay " in result.stdout  # the entry points load no torch: the rest still works


def test_an_unreachable_model_endpoint_fails_with_the_way_back_to_offline(protoplay_exe, subprocess_env):
    url = f"http://127.0.0.1:{free_port()}/v1"
    result = run(protoplay_exe, subprocess_env | {"OPENAI_BASE_URL": url})
    assert result.returncode == 1
    assert f"✗ model: gpt-4o-mini at {url}: GET {url}/models failed (Connection refused)" in result.stdout
    assert "unset both to use the built-in offline model" in result.stdout


def test_a_reachable_model_endpoint_passes(protoplay_exe, subprocess_env, tmp_path):
    with protoplay_serving("llm", home=tmp_path, path="/v1") as url:
        result = run(protoplay_exe, subprocess_env | {"OPENAI_BASE_URL": url})
    assert result.returncode == 0, result.stdout
    assert f"✓ model: gpt-4o-mini at {url} (GET {url}/models answers)" in result.stdout


def test_optional_parts_that_are_missing_never_fail_the_run(protoplay_exe, subprocess_env, tmp_path):
    env = subprocess_env | {"PATH": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)}  # no node, no chromium
    result = run(protoplay_exe, env)
    assert result.returncode == 0, result.stdout
    optional = result.stdout.split("\noptional parts:")[1]
    assert "○ Node.js not found: only the MCP Inspector (npx)" in optional
    assert "○ chromium not found" in optional and "○ Claude Desktop config not found" in optional
    assert "    → protoplay mcp-config --install, then restart Claude Desktop" in optional


def test_a_default_port_in_use_is_a_warning_naming_it():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        finding = check_ports({"coordinator": port, "free one": free_port()})
    assert finding.status == "warn"
    assert finding.text == f"loopback works; default port in use: {port} (coordinator)"
    assert finding.fix and "--port" in finding.fix


def test_an_import_that_fails_is_a_failure_naming_the_module():
    finding = check_imports(("json", "no_such_module_here"), label="parts")
    assert finding.status == "fail"
    assert finding.text.startswith("parts: importing no_such_module_here failed (ModuleNotFoundError")
    assert check_imports(("json",), label="parts").status == "ok"
