"""`protoplay tools` and `protoplay call` as a new user runs them: a subprocess of the installed script."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tools.catalog import TOOLS

PROTOPLAY = shutil.which("protoplay", path=str(Path(sys.executable).parent)) or "protoplay"


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PROTOPLAY, *args], capture_output=True, text=True, timeout=120, cwd=cwd, env=os.environ.copy()
    )


def test_tools_lists_every_catalogue_tool_with_its_summary() -> None:
    result = run("tools")
    assert result.returncode == 0, result.stderr
    for spec in TOOLS:
        line = next(line for line in result.stdout.splitlines() if line.strip().startswith(spec.name + " "))
        assert spec.summary in line


def test_tools_json_is_machine_readable() -> None:
    rows = json.loads(run("tools", "--json").stdout)
    assert [row["name"] for row in rows] == [spec.name for spec in TOOLS]


def test_call_prints_the_structured_result() -> None:
    # hand derivation: H([1/2, 1/2]) = −2·(1/2)·log2(1/2) = 1 bit
    result = run("call", "entropy", "--args", '{"p": [0.5, 0.5], "base": "2"}')
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["entropy"] == pytest.approx(1.0)


def test_call_accepts_the_json_as_a_positional_argument() -> None:
    # hand derivation: Linear(10 → 3) holds 10·3 weights + 3 biases = 33
    result = run("call", "linear_params", '{"in_features": 10, "out_features": 3}')
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["params"] == 33


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["call", "entropy", "--args", '{"p": [0.5, 0.4]}'], "p: must sum to 1"),
        (["call", "entropy", "--args", '{"p": "x"}'], "p:"),
        (["call", "entropy", "--args", '{"p": [0.5, 0.5], "bogus": 1}'], "bogus:"),
        (["call", "entropy", "--args", "[1"], "--args: not valid JSON"),
        (["call", "entropy", "--args", "[1]"], "--args: must be a JSON object"),
        (["call", "entorpy"], "did you mean entropy"),
    ],
)
def test_bad_input_is_one_line_naming_the_field_and_a_nonzero_exit(args: list[str], fragment: str) -> None:
    result = run(*args)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert fragment in lines[0]


def test_call_schema_prints_the_input_schema() -> None:
    schema = json.loads(run("call", "entropy", "--schema").stdout)
    assert schema["required"] == ["p"]
    assert schema["properties"]["base"]["enum"] == ["e", "2", "10"]
