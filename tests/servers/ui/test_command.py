"""`protoplay ui` as a user runs it: a subprocess that prints its URL, serves the page, stops on Ctrl+C."""

from __future__ import annotations

import selectors
import signal
import socket
import subprocess
import time

import httpx
import pytest


def start(protoplay_exe: str, env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [protoplay_exe, "ui", "--port", "0", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def read_url(process: subprocess.Popen[str], timeout: float = 60) -> str:
    """The URL line `protoplay ui` prints once it listens."""
    assert process.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if selector.select(timeout=1):
            line = process.stdout.readline()
            if line.startswith("protoplay playground: "):
                return line.split(": ", 1)[1].strip()
            if not line and process.poll() is not None:
                break
    process.kill()
    raise AssertionError(f"no URL printed; stderr: {process.communicate()[1]}")


def test_it_prints_a_tokened_url_serves_the_page_and_stops_on_ctrl_c(protoplay_exe, subprocess_env):
    env = {k: v for k, v in subprocess_env.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    process = start(protoplay_exe, env, "--token", "s3cret-token")
    try:
        url = read_url(process)
        base, token = url.split("/?token=")
        assert token == "s3cret-token" and base.startswith("http://127.0.0.1:")
        with httpx.Client(base_url=base, timeout=30) as client:
            assert client.get("/api/status").status_code == 401
            assert client.get(url, follow_redirects=True).status_code == 200  # the cookie lets the page in
            status = client.get("/api/status").json()
            assert status["offline"] is True and status["mcp"] == "protoplay serve mcp (stdio subprocess)"
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "(no display here: open the URL in a browser yourself)" in err and "Traceback" not in out + err


def test_a_random_token_is_made_when_none_is_given(protoplay_exe, subprocess_env):
    process = start(protoplay_exe, subprocess_env, "--no-browser")
    try:
        token = read_url(process).split("/?token=")[1]
        assert len(token) >= 24
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--peer", "ftp://example"], "error: --peer: 'ftp://example' is not an http(s) URL"),
        (["--token", "short"], "error: --token: use at least 8 characters"),
        (["--host", "0.0.0.0"], "error: 0.0.0.0 is reachable from other machines; pass --allow-remote"),
        (["--context-tokens", "10"], "error: --context-tokens must be between 512 and 1,000,000 (got 10)"),
    ],
)
def test_bad_flags_get_one_line_and_exit_2(protoplay_exe, subprocess_env, args, message):
    result = subprocess.run(
        [protoplay_exe, "ui", "--no-browser", *args],
        env=subprocess_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and result.stderr.startswith(message), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_port_in_use_is_one_line(protoplay_exe, subprocess_env):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [protoplay_exe, "ui", "--no-browser", "--port", str(port)],
            env=subprocess_env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 2 and result.stderr.startswith(f"error: cannot listen on 127.0.0.1:{port}")
    assert "Traceback" not in result.stderr


def test_every_page_file_is_package_data():
    import tomllib
    from fnmatch import fnmatch
    from pathlib import Path

    from servers.ui.app import STATIC_DIR

    root = Path(__file__).resolve().parents[3]
    patterns = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"][
        "servers"
    ]
    files = [
        path.relative_to(root / "servers").as_posix() for path in STATIC_DIR.rglob("*") if path.is_file()
    ]
    assert "ui/static/js/main.js" in files
    assert [f for f in files if not any(fnmatch(f, pattern) for pattern in patterns)] == []


def test_the_playground_is_a_package_setuptools_finds():
    from pathlib import Path

    from setuptools import find_packages

    root = Path(__file__).resolve().parents[3]
    assert "servers.ui" in find_packages(str(root), include=["tools*", "agents*", "servers*"])
