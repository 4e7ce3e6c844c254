"""`protoplay demo` as a user runs it: every scenario as a subprocess (all at once), on the offline model."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
from pathlib import Path

import pytest

from servers.a2a import demo as a2a_demo
from servers.a2a.app import free_port
from servers.a2a.demo import DemoError, list_scenarios, load_scenario

SCENARIOS = [
    "backbone-for-phone",
    "diagnose-training",
    "plan-finetune",
    "cancel-midway",
    "deploy-7b",
    "specialist-down",
]
CHOSEN_PORTS = (free_port(), free_port())
"""The coordinator's and the specialist's ports for the diagnose-training run (--ports)."""
#: What each run adds to `protoplay demo NAME`: the timeline inline for some, chosen ports for another.
FLAGS = {
    "backbone-for-phone": ["--trace"],
    "deploy-7b": ["--trace"],
    "diagnose-training": ["--ports", f"{CHOSEN_PORTS[0]},{CHOSEN_PORTS[1]}"],
}
TIMELINE_LINE = re.compile(r"^Timeline of this demo: protoplay trace show (a2a-demo-\S+)  \((.+)\)$")


@pytest.fixture(scope="module")
def demo_runs(
    protoplay_exe: str, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, subprocess.CompletedProcess]:
    """Every scenario played once, all at the same time (each in its own PROTOPLAY_HOME, kept in ``args``)."""
    processes = {}
    for name in SCENARIOS:
        env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_") and k != "PROTOPLAY_MODEL"}
        env["PROTOPLAY_HOME"] = str(tmp_path_factory.mktemp(f"demo-{name}"))
        processes[name] = (
            subprocess.Popen(
                [protoplay_exe, "demo", name, *FLAGS.get(name, [])],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            ),
            env,
        )
    runs = {}
    for name, (process, env) in processes.items():
        try:
            out, err = process.communicate(timeout=240)
        except subprocess.TimeoutExpired:
            process.kill()
            out, err = process.communicate()
        runs[name] = subprocess.CompletedProcess(env, process.returncode, out, err)
    return runs


def played(demo_runs: dict[str, subprocess.CompletedProcess], name: str) -> str:
    run = demo_runs[name]
    assert run.returncode == 0, f"{name} exited {run.returncode}\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    assert "Traceback" not in run.stdout + run.stderr
    return run.stdout


def transcript_and_trace(output: str) -> tuple[str, str]:
    transcript, _, trace = output.partition("━━ trace timeline (llm, mcp and a2a messages) of ")
    return transcript, trace


@pytest.mark.parametrize("name", [name for name in SCENARIOS if "--trace" not in FLAGS.get(name, [])])
def test_a_demo_ends_on_the_answer_and_one_line_naming_the_timeline(demo_runs, protoplay_exe, name):
    lines = played(demo_runs, name).rstrip("\n").splitlines()
    found = TIMELINE_LINE.match(lines[-1])
    assert found and found[2] == "--trace prints it here", lines[-1]
    assert lines[-2] == ""
    # above them, the last thing said: the coordinator's answer (its text, then its artifacts)
    last_reply = max(i for i, line in enumerate(lines) if re.match(r"^\[\d+\] coordinator → user  \[", line))
    assert all(line.startswith("      ") for line in lines[last_reply + 1 : -2])
    assert not any(line.startswith("━━ trace") or line.startswith("+  ") for line in lines)
    # the named command shows the timeline of the run
    shown = subprocess.run(
        [protoplay_exe, "trace", "show", found[1]],
        env=demo_runs[name].args,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert shown.returncode == 0, shown.stderr
    assert "a2a → protoplay-coordinator" in shown.stdout


def test_trace_prints_the_timeline_inline_before_the_last_line(demo_runs):
    output = played(demo_runs, "backbone-for-phone")
    transcript, trace = transcript_and_trace(output)
    assert trace, "no inline timeline with --trace"
    last = output.rstrip("\n").splitlines()[-1]
    assert TIMELINE_LINE.match(last) and last.endswith("(shown above)")
    assert "[2] coordinator → user  [completed]" in transcript  # the answers come first


def test_ports_are_the_ones_chosen(demo_runs):
    coordinator, specialist = CHOSEN_PORTS
    transcript, _ = transcript_and_trace(played(demo_runs, "diagnose-training"))
    assert f"specialist:  http://127.0.0.1:{specialist}/" in transcript
    assert f"coordinator: http://127.0.0.1:{coordinator}/" in transcript


def test_backbone_for_phone(demo_runs):
    transcript, trace = transcript_and_trace(played(demo_runs, "backbone-for-phone"))  # run with --trace
    assert "[1] user → coordinator" in transcript
    assert "coordinator ▸ asking protoplay-ml-specialist (Model complexity)" in transcript
    assert "protoplay-ml-specialist task 1 ▸ running compare_models(" in transcript
    assert "max_params_millions=5.0)" in transcript  # the budget reaches the tool: its plot draws it
    # torchvision metadata: mobilenet_v3_small num_params = 2,542,856 (the only one under 5 M on the front)
    assert "| MobileNetV3-Small | 2,542,856 |" in transcript
    assert "[1] coordinator → user  [completed]" in transcript
    assert "artifact: protoplay-ml-specialist/compare_models-plot (image/png" in transcript
    # the coordinator's answer leads with the specialist's, whose conclusion applies the 5 M bound
    answer = transcript.split("[1] coordinator → user  [completed]")[1].split("\n(A follow-up")[0]
    assert answer.splitlines()[1].strip() == "**compare_models** result:"
    flat = " ".join(answer.split())  # the transcript wraps long lines
    assert "MobileNetV2 (3.5 million) and MobileNetV3-Small (2.54 million) qualify" in flat
    assert "ResNet-18 (11.7 million) do not" in flat and "**Recommended: MobileNetV3-Small**" in flat
    assert "— answered by **protoplay-ml-specialist** (skill model-complexity, task completed)" in answer
    assert "task_id" not in answer and "convention" not in answer
    assert "[2] coordinator → user  [completed]" in transcript  # the notes follow-up
    notes = transcript.split("[2] coordinator → user  [completed]")[1]
    assert "Full note: `notes://mobilenet`" in notes and "Sections: Depthwise + pointwise" in notes
    # the three protocols of the demo, in one timeline
    for marker in ("a2a → protoplay-coordinator", "a2a ← protoplay-demo-user", "llm → protoplay-offline"):
        assert marker in trace
    assert "mcp → protoplay  tools/call" in trace
    assert trace.index("a2a → protoplay-coordinator  SendStreamingMessage") < trace.index("mcp → protoplay")


def test_the_plot_is_one_file_both_agents_refer_to(demo_runs):
    import json

    home = Path(demo_runs["backbone-for-phone"].args["PROTOPLAY_HOME"])
    transcript, _ = transcript_and_trace(played(demo_runs, "backbone-for-phone"))
    (plot,) = (home / "images").iterdir()  # drawn once by compare_models, saved once
    assert f"Plot saved to:\n      {plot}\n" in transcript  # the coordinator's answer names it
    # the specialist's agent saved it when the MCP tool returned it (its tools/call result in the trace)
    (trace,) = (home / "traces").glob("a2a-demo-*.jsonl")
    events = [json.loads(line) for line in trace.read_text(encoding="utf-8").splitlines()]
    answered = ("mcp", "tools/call", "in")
    results = [e for e in events if (e["protocol"], e["method"], e["direction"]) == answered]
    assert any(plot.name in json.dumps(e["payload"]) for e in results)


def test_diagnose_training_round_trips_input_required(demo_runs):
    transcript, _ = transcript_and_trace(played(demo_runs, "diagnose-training"))
    first, _, second = transcript.partition("[2] user → coordinator (answering its question)")
    assert "protoplay-ml-specialist task 1 ▸ [input-required] To run `diagnose_training` I need" in first
    assert "[1] coordinator → user  [input-required]" in first
    assert "protoplay-ml-specialist task 1 ▸ running diagnose_training(" in second
    assert "[2] coordinator → user  [completed]" in second and "overfitting" in second
    first_task = first.split("[1] coordinator → user  [input-required]  task ")[1].split()[0]
    assert f"[2] coordinator → user  [completed]  task {first_task}" in second  # the same task resumed


def test_plan_finetune_splits_the_goal_into_parallel_tasks_of_parallel_tool_calls(demo_runs):
    from agents.models.offline.answers import format_value
    from tools.finetuning.calculators import finetune_memory, peft_trainable_params

    transcript, _ = transcript_and_trace(played(demo_runs, "plan-finetune"))
    # two bullet points → two specialist tasks, both under way before either finishes
    first_done = transcript.index("▸ [completed]")
    assert "protoplay-ml-specialist task 1 ▸" in transcript[:first_done]
    assert "protoplay-ml-specialist task 2 ▸" in transcript[:first_done]
    assert "protoplay-ml-specialist task 3 ▸" not in transcript
    # each task: the three methods read from its sentence, one tool call per method in one reply
    ran = re.findall(r"task (\d) ▸ running (finetune_memory|peft_trainable_params)\(", transcript)
    by_task = {task: {tool for t, tool in ran if t == task} for task, _ in ran}
    assert sorted(by_task.values(), key=sorted) == [{"finetune_memory"}, {"peft_trainable_params"}]
    assert len(ran) == 6
    assert "[1] coordinator → user  [completed]" in transcript
    assert "(skill fine-tuning, 2 tasks: 2 completed)" in transcript
    answer = transcript.split("[1] coordinator → user  [completed]")[1]
    fits = []
    for method in ("full", "lora", "qlora"):  # the expected numbers: the tools themselves, called directly
        memory = finetune_memory(base="llama-7b", method=method, gpu_memory_gb=24, plot=False)
        peft = peft_trainable_params(method=method, base="llama-7b")
        row = f"| {method} | {format_value(memory.total_gib)} | {format_value(memory.fits)} |"
        assert row in answer, row
        peft_row = f"| {method} | {format_value(peft.trainable_params)} | "
        assert f"{peft_row}{format_value(peft.trainable_percent_of_base)} |" in answer, peft_row
        fits += [method] if memory.fits else []
    assert fits == ["lora", "qlora"]  # 7B in bf16 + AdamW needs > 100 GiB; LoRA ~16 GiB; QLoRA ~9 GiB
    assert f"**Fits (gpu_memory_gb = 24): {', '.join(fits)}**; not: full." in answer


def test_deploy_7b_plans_serving_under_a_latency_target(demo_runs):
    from tools.inference.memory import llm_inference_memory
    from tools.inference.throughput import llm_throughput

    transcript, trace = transcript_and_trace(played(demo_runs, "deploy-7b"))
    flat = " ".join(transcript.split())  # the transcript wraps long lines
    speed, _, rest = flat.partition("[2] user → coordinator")
    memory, _, notes = rest.partition("[3] user → coordinator")
    assert "coordinator ▸ asking protoplay-ml-specialist (Inference and deployment)" in speed
    assert 'running llm_throughput(gpu="l4", model="llama-2-7b", target_tpot_ms=50.0)' in speed
    # The expected numbers: the tool itself, called directly. LLaMA-2-7B in bf16 reads 13.5 GB per token;
    # at the L4's 300 GB/s that is ≈ 46 ms, so the 50 ms target holds up to a batch of 4.
    expected = llm_throughput(gpu="l4", model="llama-2-7b", target_tpot_ms=50)
    assert expected.max_batch_for_target == 4
    assert expected.summary in speed
    assert "| AWQ 4-bit weights |" in speed and "[1] coordinator → user [completed]" in speed
    assert (
        'running llm_inference_memory(model="llama-2-7b", batch_size=4, context_len=768, gpu="l4")' in memory
    )
    fit = llm_inference_memory(model="llama-2-7b", batch_size=4, context_len=768, gpu="l4")
    assert fit.fits and fit.summary in memory
    assert 'running explain(topic="roofline' in notes and "Full note: `notes://roofline`" in notes
    assert "[3] coordinator → user [completed]" in notes
    assert "mcp → protoplay  tools/call" in trace


def test_cancel_midway_cancels_both_tasks(demo_runs):
    transcript, _ = transcript_and_trace(played(demo_runs, "cancel-midway"))
    assert "protoplay-ml-specialist task 1 ▸ running learning_rate_sweep(" in transcript
    assert "✋ user cancels the coordinator's task" in transcript
    assert "[1] coordinator → user  [canceled]" in transcript
    assert ": canceled (GetTask on the specialist)" in transcript


def test_specialist_down_fails_clearly_then_recovers(demo_runs):
    transcript, _ = transcript_and_trace(played(demo_runs, "specialist-down"))
    down, _, back = transcript.partition("▶ the specialist is back")
    assert "[2] coordinator → user  [failed]" in down
    assert "is not reachable (could not connect" in down and "Reading its card again failed too" in down
    assert "[4] coordinator → user  [completed]" in back and "**entropy**: 1.5" in back


def test_demo_without_a_name_lists_the_scenarios(protoplay_exe, subprocess_env):
    result = subprocess.run(
        [protoplay_exe, "demo"], env=subprocess_env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0
    listed = [line.split()[1] for line in result.stdout.splitlines()[1:]]
    assert listed == SCENARIOS


@pytest.mark.parametrize(
    ("ports", "message"),
    [
        ("x", "--ports: 'x' is not one or two port numbers; give COORDINATOR,SPECIALIST such as 9100,9101"),
        ("9100,9101,9102", "--ports: '9100,9101,9102' is not one or two port numbers"),
        ("65535", "--ports: 65536 is not a port (1-65535)"),  # one port P means P and P+1
        ("9100,9100", "--ports: the coordinator and the specialist need two different ports"),
    ],
)
def test_bad_ports_are_refused_in_one_line(protoplay_exe, subprocess_env, ports, message):
    result = subprocess.run(
        [protoplay_exe, "demo", "cancel-midway", "--ports", ports],
        env=subprocess_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: {message}") and result.stderr.count("\n") == 1
    assert result.stdout == ""  # refused before anything starts


def test_a_port_in_use_is_named_with_the_way_out(protoplay_exe, subprocess_env):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [protoplay_exe, "demo", "specialist-down", "--port", str(port)],
            env=subprocess_env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode == 2
    assert f"error: could not start the demo servers: cannot listen on 127.0.0.1:{port}" in result.stderr
    assert result.stderr.rstrip().endswith("choose others with --ports") and "Traceback" not in result.stderr


def test_an_unknown_demo_names_the_known_ones(protoplay_exe, subprocess_env):
    result = subprocess.run(
        [protoplay_exe, "demo", "nope"], env=subprocess_env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "no demo named 'nope'; known demos: backbone-for-phone" in result.stderr


def test_scenarios_are_data_files_checked_on_load(tmp_path, monkeypatch):
    assert [s.name for s in list_scenarios()] == SCENARIOS
    assert load_scenario("diagnose-training").steps[1].say.startswith("train loss [")
    monkeypatch.setattr(a2a_demo, "DEMO_DIR", tmp_path)
    (tmp_path / "broken.toml").write_text('title = "x"\n[[steps]]\nsay = "hi"\naction = "stop_specialist"\n')
    with pytest.raises(DemoError, match="exactly one of say or action"):
        load_scenario("broken")
    (tmp_path / "typo.toml").write_text('[[steps]]\nsay = "hi"\nexpect = "done"\n')
    with pytest.raises(DemoError, match="expect must be one of"):
        load_scenario("typo")
    (tmp_path / "bad.toml").write_text("this is = = not toml")
    with pytest.raises(DemoError, match=str(Path("bad.toml"))):
        load_scenario("bad")


@pytest.mark.parametrize(
    "moment",
    ["coordinator: ", "] user → coordinator"],
    ids=["servers-just-started", "during-a-delegation"],
)
def test_ctrl_c_stops_both_servers_and_exits_130_whenever_it_comes(protoplay_exe, subprocess_env, moment):
    demo = subprocess.Popen(
        [protoplay_exe, "demo", "backbone-for-phone"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=subprocess_env,
    )
    assert demo.stdout is not None
    ports = []
    for line in demo.stdout:  # bounded: the demo ends by itself
        ports += re.findall(r"http://127\.0\.0\.1:(\d+)/", line)
        if moment in line:
            demo.send_signal(signal.SIGINT)
            break
    rest, errors = demo.communicate(timeout=60)
    assert demo.returncode == 130, (rest, errors)
    assert "Traceback" not in errors and "error:" not in errors and "stopped answering" not in rest
    assert len(set(ports)) == 2  # the specialist's and the coordinator's
    for port in set(ports):  # both servers are gone with the process
        with pytest.raises(OSError), socket.create_connection(("127.0.0.1", int(port)), timeout=2):
            pass
