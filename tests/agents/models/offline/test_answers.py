"""The offline model's final answers: short and readable results, constraints from the request applied to
them, notes summarised, another agent's answer relayed first — and the coordinator's composed table."""

from __future__ import annotations

import json

import pytest

from agents.a2a.compose import compose_answers
from agents.models.offline.answers import render_result
from agents.models.offline.constraints import parse_constraints
from agents.models.offline.engine import OfflineBrain
from agents.models.offline.prose import ANSWER_LIMIT
from tools.catalog import call_tool

# torchvision weight metadata (`get_weight(...).meta`): num_params exact; "_ops" GFLOPS are GMACs.
BACKBONES = {
    "models": [
        {"name": "MobileNetV2", "params": 3_504_872, "macs": 300_774_272, "gmacs": 0.3008},
        {"name": "MobileNetV3-Large", "params": 5_483_032, "macs": 216_589_760, "gmacs": 0.2166},
        {"name": "MobileNetV3-Small", "params": 2_542_856, "macs": 56_510_400, "gmacs": 0.0565},
        {"name": "EfficientNet-B0", "params": 5_288_548, "macs": 385_814_752, "gmacs": 0.3858},
        {"name": "ResNet-18", "params": 11_689_512, "macs": 1_814_073_344, "gmacs": 1.8141},
    ],
    "pareto_front": ["MobileNetV3-Small"],
    "convention": "MACs = multiply-accumulates of convolutions, matmuls and attention; FLOPs = 2·MACs. " * 3,
}
for row in BACKBONES["models"]:
    row["on_pareto_front"] = row["name"] == "MobileNetV3-Small"  # fewest params and fewest MACs
BACKBONE_REQUEST = (
    "For a phone app I need an image backbone under 5 M parameters. Compare MobileNetV2, MobileNetV3-Large, "
    "MobileNetV3-Small, EfficientNet-B0 and ResNet-18 by parameters and MACs."
)


def result(tool: str, arguments: dict) -> str:
    return call_tool(tool, arguments).model_dump_json()


def text_part(answer: str) -> str:
    """The answer without its saved-image lines (which the length limit leaves out)."""
    return "\n".join(line for line in answer.splitlines() if not line.startswith("Plot saved to"))


# ---------------------------------------------------------------------------------------------- results


# Issue #10 changed this one: the quantity asked for leads (it used to be a "**tool** result:" header, with
# the numbers after the result's own sentence).
def test_a_result_leads_with_the_quantity_then_its_own_sentence_then_the_key_numbers():
    answer = render_result("kl_divergence", result("kl_divergence", {"p": [0.5, 0.5], "q": [0.9, 0.1]}))
    lines = answer.splitlines()
    # KL(p‖q) = ½ln(0.5/0.9) + ½ln(0.5/0.1) = 0.5108 nats; KL(q‖p) = 0.9ln(1.8) + 0.1ln(0.2) = 0.3681 (hand)
    assert lines[0] == "**kl_divergence**: kl_pq = 0.5108 nats; kl_qp = 0.3681 nats"
    assert lines[2].startswith("KL(p‖q) = H(p, q) − H(p)")
    assert "- **asymmetry**: 0.1428" in answer and "- **unit**: nats" in answer
    assert "n/a" not in answer and "kl_pq_infinite" not in answer  # null and false flags are left out
    assert "normalized" not in answer and len(answer) <= ANSWER_LIMIT


def test_a_true_flag_and_an_outcome_flag_stay_while_ids_and_prose_go():
    content = json.dumps(
        {
            "task_id": "t-1",
            "normalized": True,
            "infinite": False,
            "fits": False,
            "total_gib": 103.9,
            "formula": "x" * 200,
        }
    )
    answer = render_result("tool", content)
    assert answer.startswith("**tool**: total_gib = 103.9 GiB; **does not fit**")  # the outcome leads
    assert "- **normalized**: yes" in answer and "- **fits**: no" in answer
    assert "task_id" not in answer and "infinite" not in answer and "formula" not in answer


def test_rows_become_a_compact_table_with_a_row_cap():
    rows = [{"index": i, "loss": i / 10, "curve": [1, 2, 3], "label": f"c{i}"} for i in range(25)]
    answer = render_result("tool", json.dumps({"mean_loss": 1.2, "per_sample": rows}))
    assert "| index | loss | label |" in answer  # list-valued columns are left to the data
    assert "| 9 | 0.9 | c9 |" in answer and "| 10 |" not in answer and "(… 15 more rows)" in answer


def test_a_large_result_stays_within_the_length_limit():
    rows = [{"name": f"layer{i}", "kind": "conv", "params": 1000 * i, "macs": 10**6 * i} for i in range(40)]
    content = {f"figure_{i}": i * 1.5 for i in range(30)}
    content |= {
        "summary": "A long result. " * 10,
        "layers": rows,
        "gates": rows,
        "saved_images": ["/t/x.png"],
    }
    answer = render_result("tool", json.dumps(content))
    assert len(text_part(answer)) <= ANSWER_LIMIT and answer.endswith("Plot saved to: /t/x.png")
    assert "A long result." in answer and "| layer0 | conv | 0 | 0 |" in answer
    assert "more fields" in answer  # it says that the rest is in the structured result


def test_a_tool_error_is_still_said_plainly():
    assert render_result("entropy", "Error: p: must sum to 1").startswith("`entropy` could not run: p: must")


# ---------------------------------------------------------------------------------------------- constraints


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("an image backbone under 5 M parameters", [("<", 5e6, "param")]),
        ("params < 5M and at most 300M MACs", [("<", 5e6, "param"), ("<=", 3e8, "mac")]),
        ("more than 1 billion parameters", [(">", 1e9, "param")]),
        ("below 0.5 GMACs", [("<", 5e8, "mac")]),
        ("参数量小于 5M 的骨干网络", [("<", 5e6, "param")]),
        ("参数不超过500万", [("<=", 5e6, "param")]),
        ("5M参数以内", [("<=", 5e6, "param")]),
        ("计算量低于3亿", [("<", 3e8, "compute")]),
        ("KL divergence between p=[0.5,0.5] and q=[0.9,0.1]", []),
    ],
)
def test_numeric_constraints_are_read_from_english_and_chinese(text, expected):
    found = [(c.op, c.value, c.family) for c in parse_constraints(text)]
    assert found == [(op, pytest.approx(value), family) for op, value, family in expected]


def test_a_constraint_picks_the_rows_that_meet_it_and_recommends_one():
    answer = render_result("compare_models", json.dumps(BACKBONES), request=BACKBONE_REQUEST)
    conclusion = answer.split("\n\n")[1]
    qualify, _, rest = conclusion.partition(" qualify; ")
    # 3,504,872 and 2,542,856 parameters are under 5 M; 5,483,032, 5,288,548 and 11,689,512 are not
    assert qualify == "**Under 5 M parameters:** MobileNetV2 (3.5 M) and MobileNetV3-Small (2.54 M)"
    assert rest.startswith(
        "MobileNetV3-Large (5.48 M), EfficientNet-B0 (5.29 M) and ResNet-18 (11.7 M) do not"
    )
    assert "**Recommended: MobileNetV3-Small** — it meets the bound" in conclusion
    assert "on the Pareto front" in conclusion
    assert (
        "| MobileNetV3-Small | 2,542,856 | 56,510,400 | 0.0565 | yes |" in answer
    )  # the table still follows
    assert "convention" not in answer and len(answer) <= ANSWER_LIMIT


def test_a_chinese_request_gets_a_chinese_conclusion():
    request = "参数量不超过 300 万，比较 MobileNetV2、MobileNetV3-Small 和 ResNet-18"
    answer = render_result("compare_models", json.dumps(BACKBONES), chinese=True, request=request)
    assert answer.startswith("**compare_models** 的结果：")
    # only MobileNetV3-Small (2,542,856) has at most 3,000,000 parameters
    assert (
        "**参数量不超过 300万**：满足的有 MobileNetV3-Small（254万）；不满足：MobileNetV2（350万）" in answer
    )
    assert "**推荐 MobileNetV3-Small**：满足条件，且在帕累托前沿上。" in answer


def test_a_bound_on_compute_and_one_nobody_meets():
    request = "at most 100 M MACs and under 3 M parameters"
    answer = render_result("compare_models", json.dumps(BACKBONES), request=request)
    # MobileNetV3-Small alone: 56,510,400 MACs ≤ 1e8 and 2,542,856 parameters < 3e6
    assert "**At most 100 M MACs; under 3 M parameters:** MobileNetV3-Small (56.5 M) qualifies" in answer
    none = render_result("compare_models", json.dumps(BACKBONES), request="under 1 M parameters")
    assert "none of them qualifies; the closest is MobileNetV3-Small (2.54 M)" in none


def test_a_constraint_on_a_single_number_gets_a_yes_or_no():
    content = result("conv2d_params", {"in_channels": 64, "out_channels": 128, "kernel_size": 3})
    # 64·128·3·3 + 128 = 73,856 parameters (hand derivation)
    answer = render_result("conv2d_params", content, request="is a 3x3 conv 64→128 under 0.1 M params?")
    assert "**Under 0.1 M params: yes** — params is 0.0739 M." in answer


def test_the_engine_passes_the_users_request_to_the_answer():
    call = {"id": "c1", "type": "function", "function": {"name": "compare_models", "arguments": "{}"}}
    messages = [
        {"role": "user", "content": BACKBONE_REQUEST},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "c1", "content": json.dumps(BACKBONES)},
    ]
    reply = OfflineBrain().respond(messages, [])
    assert "**Recommended: MobileNetV3-Small**" in reply.text


# ---------------------------------------------------------------------------------------------- documents


def test_a_note_is_summarised_with_its_sections_and_where_to_read_the_rest():
    content = result("explain", {"topic": "mobilenet"})
    markdown = json.loads(content)["markdown"]
    answer = render_result(
        "explain", content, arguments={"topic": "mobilenet"}, parameters=["topic", "section"]
    )
    assert answer.startswith(
        "**MobileNet V1, V2, V3 (深度可分离卷积网络)**\n\nMobileNets are CNNs for phones"
    )
    assert "Sections: Depthwise + pointwise · MobileNetV1 (Howard et al., 2017) ·" in answer
    assert (
        "### Depthwise + pointwise\n" in answer and "## MobileNetV1" not in answer
    )  # the first section only
    assert (
        'Full note: `notes://mobilenet`; one section: `explain(topic="mobilenet", section="Cost")`.' in answer
    )
    assert len(answer) <= ANSWER_LIMIT < len(markdown)


def test_a_requested_section_is_shown_in_full():
    content = result("explain", {"topic": "mobilenet", "section": "Cost"})
    answer = render_result(
        "explain",
        content,
        arguments={"topic": "mobilenet", "section": "Cost"},
        parameters=["topic", "section"],
    )
    # the Cost table of the note (torchvision metadata: MobileNetV3-Small 2.5 M params, 0.06 GMACs)
    assert (
        "### Cost\n" in answer and "| MobileNetV3-Small | `mobilenet_v3_small` | 224 | 2.5 | 0.06 |" in answer
    )
    assert 'one section: `explain(topic="mobilenet", section="Related")`' in answer  # another, shortest first


def test_a_chinese_request_for_a_note_gets_chinese_labels():
    answer = render_result("explain", result("explain", {"topic": "mobilenet"}), chinese=True)
    assert "章节: Depthwise + pointwise" in answer and "完整笔记：`notes://mobilenet`" in answer


# ---------------------------------------------------------------------------------------------- relayed


SPECIALIST_ANSWER = (
    "**compare_models** result:\n\n**Under 5 M parameters:** MobileNetV3-Small (2.54 M) qualifies.\n\n"
    "Plot saved to: /specialist/images/plot.png"
)


def test_another_agents_answer_comes_first_then_one_line_on_who_answered():
    payload = {
        "agent": "protoplay-ml-specialist",
        "skill": "model-complexity",
        "request": BACKBONE_REQUEST,
        "task_id": "4d1f",
        "state": "completed",
        "answer": SPECIALIST_ANSWER,
        "results": [{"tool_calls": []}],
        "artifacts": ["tool-results (data)", "compare_models-plot (image/png, 30 kB)"],
        "saved_images": ["/coordinator/images/plot.png"],
    }
    answer = render_result("ask_model_complexity", json.dumps(payload))
    assert answer.startswith("**compare_models** result:\n\n**Under 5 M parameters:** MobileNetV3-Small")
    assert (
        "— answered by **protoplay-ml-specialist** (skill model-complexity, task completed) · artifacts: "
        "tool-results (data), compare_models-plot (image/png, 30 kB)"
    ) in answer
    assert answer.endswith("Plot saved to: /coordinator/images/plot.png")
    assert "/specialist/images" not in answer  # the copy saved here replaces the specialist's path
    assert "task_id" not in answer and "4d1f" not in answer and BACKBONE_REQUEST not in answer


def test_another_agents_question_is_relayed_as_a_question():
    payload = {
        "agent": "protoplay-ml-specialist",
        "skill": "training-diagnostics",
        "state": "input-required",
        "question": "To run `diagnose_training` I need: train_loss",
        "next_step": "The specialist is waiting for this answer: call the same tool again.",
    }
    answer = render_result("ask_training_diagnostics", json.dumps(payload))
    assert answer.startswith(
        "**protoplay-ml-specialist** needs more information:\n\nTo run `diagnose_training`"
    )
    assert (
        "— asked by **protoplay-ml-specialist** (skill training-diagnostics, task input-required)" in answer
    )
    assert "call the same tool" not in answer  # instructions for a model, not for the user


def test_several_tasks_are_counted_by_state():
    payload = {"agent": "spec", "skill": "fine-tuning", "tasks": 3, "states": {"completed": 2, "failed": 1}}
    answer = render_result("ask_fine_tuning", json.dumps(payload | {"answer": "the table"}), chinese=True)
    assert answer == "the table\n\n— 回答：**spec**（技能 fine-tuning，3 个任务: 2 completed, 1 failed）"


# ---------------------------------------------------------------------------------------------- coordinator


def test_the_composed_table_labels_rows_by_what_tells_the_requests_apart():
    def row(method, total, fits):
        result = {"base": "llama-7b", "method": method, "total_gib": total, "fits": fits, "headroom_gib": 1.0}
        calls = {"tool_calls": [{"tool": "finetune_memory", "is_error": False, "result": result}]}
        request = f"GPU memory of {method} fine-tuning of llama-7b, gpu memory 24 GB"
        return {"request": request, "state": "completed", "answer": "…", "results": [calls]}

    # illustrative totals; what is checked is the layout: labels, column choice and order
    lines = compose_answers([row("full", 103.9, False), row("lora", 16.3, True)]).splitlines()
    assert lines[2] == "| request | method | fits | total_gib |"  # totals first; headroom is the same
    assert lines[4:6] == ["| full | full | no | 103.9 |", "| lora | lora | yes | 16.3 |"]


# ---------------------------------------------------------------------------------------------- several calls


def test_several_results_become_one_table_per_tool_with_the_fit_verdict():
    from agents.models.offline.answers import format_value, render_results

    calls = []
    memories = {}
    for method in ("full", "lora", "qlora"):
        arguments = {"base": "llama-7b", "method": method, "gpu_memory_gb": 24, "plot": False}
        content = result("finetune_memory", arguments)
        memories[method] = json.loads(content)
        calls.append(("finetune_memory", arguments, content))
    for method in ("lora", "qlora"):
        arguments = {"base": "llama-7b", "method": method}
        calls.append(("peft_trainable_params", arguments, result("peft_trainable_params", arguments)))
    calls.append(("peft_trainable_params", {"base": "llama-7b", "method": "full", "r": 8}, "Error: r: no"))
    answer = render_results(calls, request="compare full, LoRA and QLoRA on a 24 GB GPU")
    assert len(answer) <= ANSWER_LIMIT
    fitting = [m for m, data in memories.items() if data["fits"]]  # the tool's own verdicts
    assert answer.startswith(f"**Fits (gpu_memory_gb = 24): {', '.join(fitting)}**")
    assert "**finetune_memory**, 3 calls:\n| method | total_gib | fits |" in answer
    for method, data in memories.items():
        assert f"| {method} | {format_value(data['total_gib'])} | {format_value(data['fits'])} |" in answer
    assert (
        "**peft_trainable_params**, 2 calls:\n| method | trainable_params | trainable_percent_of_base"
        in answer
    )
    assert "`peft_trainable_params` could not run: r: no" in answer


def test_a_bound_in_the_request_is_applied_to_the_rows_of_several_calls():
    from agents.models.offline.answers import render_results

    calls = [
        (
            "finetune_memory",
            {"params_billion": 7, "method": m},
            result("finetune_memory", {"params_billion": 7, "method": m, "plot": False}),
        )
        for m in ("full", "qlora")
    ]
    answer = render_results(calls, request="which method needs under 20 GB of memory?")
    assert answer.startswith("**Under 20 GB")  # constraints.conclude on one row per call
    assert "qlora (" in answer.split("\n")[0] and "Recommended: qlora" in answer


def test_only_input_errors_ask_the_user_to_correct_the_request() -> None:
    fixable = render_result("entropy", "Error: p: must sum to 1 within 1e-06 (got 0.9)")
    assert "Correct the request" in fixable
    down = render_result(
        "ask_model_complexity",
        "Error: The peer at http://127.0.0.1:9101/ is not reachable: connection refused. Try again later.",
    )
    assert "not reachable" in down and "Correct the request" not in down
