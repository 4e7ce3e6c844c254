"""recommend_optimizer, compare_optimizers, learning_rate_sweep and the test problems behind them."""

import json
import math
import subprocess
import sys
from typing import get_args

import pytest
import torch

from tools import progress_reporter
from tools.catalog import call_tool
from tools.errors import ToolInputError
from tools.optimizers import experiments as optimizers
from tools.optimizers import problems
from tools.optimizers.choice import recommend_optimizer
from tools.optimizers.experiments import compare_optimizers, learning_rate_sweep

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _no_nan_json(result) -> dict:
    """The result as strict JSON (NaN/inf would raise)."""
    return json.loads(json.dumps(result.model_dump(), allow_nan=False))


# --- import cost and names ---------------------------------------------------------------------------------


def test_importing_the_tool_module_does_not_import_torch_or_matplotlib() -> None:
    code = (
        "import sys, tools.optimizers.experiments; "
        "print(any(m in sys.modules for m in ('torch', 'matplotlib')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_literal_names_match_the_problem_module() -> None:
    assert get_args(optimizers.ProblemName) == problems.PROBLEM_NAMES
    assert get_args(optimizers.OptimizerName) == problems.OPTIMIZER_NAMES
    assert set(problems.DEFAULT_LR) == set(problems.PROBLEM_NAMES)
    assert all(set(lrs) == set(problems.OPTIMIZER_NAMES) for lrs in problems.DEFAULT_LR.values())


# --- the test problems -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["rosenbrock", "beale", "quadratic"])
def test_closed_form_gradients_match_autograd(name: str) -> None:
    problem = problems.make_problem(name)
    for point in (problem.start, (0.3, -0.7), (2.0, 0.4)):
        p = torch.tensor(point, dtype=torch.float64, requires_grad=True)
        expected = problem.contour(p[0], p[1])
        expected.backward()
        loss, grad = problem.loss_and_grad(p.detach())
        assert loss == pytest.approx(expected.item(), rel=1e-12)
        assert grad.tolist() == pytest.approx(p.grad.tolist(), rel=1e-10, abs=1e-12)


def test_start_values_by_hand() -> None:
    # rosenbrock (−1.5, 2): (1 + 1.5)² + 100·(2 − 2.25)² = 6.25 + 6.25 = 12.5
    # beale (1, 1.5): (1.5 − 1 + 1.5)² + (2.25 − 1 + 2.25)² + (2.625 − 1 + 3.375)² = 4 + 12.25 + 25 = 41.25
    # logistic_regression w = 0: every σ(0) = ½, loss = ln 2
    for name, value in (("rosenbrock", 12.5), ("beale", 41.25), ("logistic_regression", math.log(2))):
        problem = problems.make_problem(name)
        loss, _ = problem.loss_and_grad(torch.tensor(problem.start, dtype=torch.float64))
        assert loss == pytest.approx(value, rel=1e-12)


def test_quadratic_has_eigenvalues_1_and_100() -> None:
    # Hessian of ½zᵀAz is A; the gradient at the unit vectors gives its columns.
    problem = problems.make_problem("quadratic")
    columns = [
        problem.loss_and_grad(torch.tensor(e, dtype=torch.float64))[1] for e in ((1.0, 0.0), (0.0, 1.0))
    ]
    eigenvalues = torch.linalg.eigvalsh(torch.stack(columns, dim=1))
    assert eigenvalues.tolist() == pytest.approx([1.0, 100.0], rel=1e-12)


def test_logistic_regression_minimum_is_stationary_and_depends_on_the_seed() -> None:
    a = problems.make_problem("logistic_regression", seed=0)
    b = problems.make_problem("logistic_regression", seed=1)
    _, grad = a.loss_and_grad(torch.tensor(a.minimizer, dtype=torch.float64))
    assert grad.abs().max().item() < 1e-12
    assert 0 < a.minimum < math.log(2)
    assert a.minimizer != b.minimizer
    assert problems.make_problem("logistic_regression", seed=0).minimum == a.minimum


def test_downsample_keeps_the_ends_and_at_most_the_budget() -> None:
    assert problems.downsample_indices(5) == [0, 1, 2, 3, 4]
    sample = problems.downsample_indices(5001, 200)
    assert len(sample) <= 200
    assert sample[0] == 0
    assert sample[-1] == 5000


# --- verdict rules on hand-built runs --------------------------------------------------------------------


def _run(losses: list[float], points: list[list[float]], diverged_at: int | None = None) -> problems.Run:
    return problems.Run(losses, points, diverged_at, None if diverged_at else points[-1], 0.0)


def test_verdict_rules_on_hand_built_runs() -> None:
    problem = problems.make_problem("quadratic")  # minimum 0
    line = [[float(t), 0.0] for t in range(5)]
    # monotone, 0.5 of the gap closed, straight path → good
    good = problems.assess(problem, _run([10, 8, 7, 6, 5], line))
    assert (good.verdict, good.gap_closed, good.reversal_share, good.rise_share) == ("good", 0.5, 0.0, 0.0)
    # monotone, 1 − 9.5/10 = 5 % of the gap closed (< 10 %) → too_small
    assert problems.assess(problem, _run([10, 9.9, 9.8, 9.6, 9.5], line)).verdict == "too_small"
    # zig-zag x = 0, 2, 0, 2, 0: steps +2, −2, +2, −2; the second half (steps 3 and 4) both reverse the step
    # before: 4/4 = 100 % ≥ 50 % → oscillating
    zigzag = [[0.0, 0.0], [2.0, 0.0], [0.0, 0.0], [2.0, 0.0], [0.0, 0.0]]
    oscillating = problems.assess(problem, _run([10, 5, 4, 3, 2], zigzag))
    assert (oscillating.verdict, oscillating.reversal_share) == ("oscillating", 1.0)
    # a zig-zag that dies out: steps +2, −1.5, −0.1, −0.1, −0.1; the second half (the last three) goes one
    # way: 0 % → good (the one reversal, step 2, was early)
    settling = [[0.0, 0.0], [2.0, 0.0], [0.5, 0.0], [0.4, 0.0], [0.3, 0.0], [0.2, 0.0]]
    converging = problems.assess(problem, _run([10, 5, 3, 2, 1.5, 1], settling))
    assert (converging.verdict, converging.reversal_share) == ("good", 0.0)
    # loss 10, 4, 9, 3, 8 on a straight path: rises 5 + 5 = 10 of movement 6 + 5 + 6 + 5 = 22, i.e. 45.5 %
    # ≥ 45 % → oscillating
    bouncing = problems.assess(problem, _run([10, 4, 9, 3, 8], line))
    assert bouncing.verdict == "oscillating"
    assert bouncing.rise_share == pytest.approx(10 / 22)
    assert problems.assess(problem, _run([10, 20], line[:2], diverged_at=2)).verdict == "diverged"


def test_within_a_sweep_a_good_run_far_behind_a_larger_good_lr_is_too_small() -> None:
    def judged(verdict: str) -> problems.Assessment:
        return problems.Assessment(verdict, "", 0.9, 0.0, 0.0)

    # final gaps 1.0, 0.05, 1e-3, 1e-9: lr 0.01 is ≥ 100× behind lr 1 (good) → too_small; lr 0.1 is only 50×
    # behind lr 1 → stays good; lr 10 oscillated, so its 1e-9 is no yardstick.
    results = [
        (0.01, judged("good"), (1.0, 0.01)),
        (0.1, judged("good"), (0.05, 0.1)),
        (1.0, judged("good"), (1e-3, 1.0)),
        (10.0, judged("oscillating"), (1e-9, 10.0)),
    ]
    verdicts = [a.verdict for a in problems.compare_within_sweep(results)]
    assert verdicts == ["too_small", "good", "good", "oscillating"]
    assert "1e+03×" in problems.compare_within_sweep(results)[0].reason


def test_a_blow_up_stops_the_run_and_is_flagged() -> None:
    # SGD on the quadratic at lr 0.05: the stiff direction is multiplied by 1 − 0.05·100 = −4 each step, the
    # loss by ~16, so the gap passes 1000 × its start at step 3 (16³ = 4096), before any overflow.
    run = problems.run_optimizer(problems.make_problem("quadratic"), "sgd", 0.05, 500)
    assert run.diverged_at == 3
    assert len(run.losses) == 3
    assert all(math.isfinite(loss) for loss in run.losses)


# --- recommend_optimizer ---------------------------------------------------------------------------------


def test_no_inputs_returns_the_whole_table() -> None:
    result = recommend_optimizer()
    keys = [c.optimizer for c in result.ranking]
    expected = [
        "sgd",
        "momentum",
        "nesterov",
        "adagrad",
        "rmsprop",
        "adam",
        "adamw",
        "adabelief",
        "adafactor",
        "lion",
    ]
    assert keys == expected
    assert all(c.score == 0 for c in result.ranking)
    assert result.rules == []
    assert result.inputs == {}
    row = result.ranking[0]
    assert row.strengths and row.weaknesses and row.typical_scenarios and row.momentum and row.regularization
    assert row.suggested_defaults["lr"] > 0
    runnable = {c.optimizer for c in result.ranking if c.runnable}
    assert runnable == set(problems.OPTIMIZER_NAMES)  # nesterov, adafactor, lion are table-only


def test_resnet_image_classification_for_generalization_puts_momentum_sgd_first() -> None:
    result = recommend_optimizer(
        task="image_classification", model_family="resnet", priority="generalization"
    )
    assert result.ranking[0].optimizer == "momentum"
    assert {c.optimizer for c in result.ranking[:3]} == {"momentum", "nesterov", "sgd"}
    assert result.ranking[0].suggested_defaults == {
        "lr": 0.1,
        "momentum": 0.9,
        "weight_decay": 1e-4,
    }  # He 2016
    assert "model_family=resnet" in result.summary


@pytest.mark.parametrize(
    "inputs", [{"model_family": "transformer"}, {"task": "llm_finetuning"}, {"task": "nlp", "data": "large"}]
)
def test_transformers_and_llm_finetuning_put_adamw_first(inputs: dict) -> None:
    assert recommend_optimizer(**inputs).ranking[0].optimizer == "adamw"


def test_sparse_data_puts_adagrad_high() -> None:
    assert recommend_optimizer(data="sparse").ranking[0].optimizer == "adagrad"
    assert recommend_optimizer(task="recommendation", data="sparse").ranking[0].optimizer == "adagrad"
    ranked = [c.optimizer for c in recommend_optimizer(task="tabular", data="sparse").ranking]
    assert ranked.index("adagrad") < 3


@pytest.mark.parametrize("inputs", [{"model_family": "rnn"}, {"task": "reinforcement_learning"}])
def test_rnn_and_reinforcement_learning_put_rmsprop_first(inputs: dict) -> None:
    assert recommend_optimizer(**inputs).ranking[0].optimizer == "rmsprop"


def test_low_memory_favours_stateless_and_factored_optimizers() -> None:
    top = [c.optimizer for c in recommend_optimizer(priority="low_memory").ranking[:2]]
    assert top == ["sgd", "adafactor"]


def test_scores_are_the_sum_of_the_listed_rules_and_reasons_cite_the_inputs() -> None:
    result = recommend_optimizer(task="generative", model_family="gan", data="noisy", priority="robustness")
    assert [r.input for r in result.rules] == [
        "task=generative",
        "model_family=gan",
        "data=noisy",
        "priority=robustness",
    ]
    for choice in result.ranking:
        assert choice.score == sum(rule.points.get(choice.optimizer, 0) for rule in result.rules)
        moved = [r for r in choice.reasons if "=" in r.split(" ", 1)[0]]
        assert len(moved) == sum(choice.optimizer in rule.points for rule in result.rules)
    assert [c.score for c in result.ranking] == sorted((c.score for c in result.ranking), reverse=True)
    assert result.ranking[0].optimizer in ("adam", "adabelief")


def test_an_input_without_a_rule_is_said_to_change_nothing() -> None:
    result = recommend_optimizer(task="other", data="dense")
    assert all(c.score == 0 for c in result.ranking)
    assert "task=other" in result.summary and "data=dense" in result.summary


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"task": "vision"}, "task"),
        ({"model_family": "vit"}, "model_family"),
        ({"data": "huge"}, "data"),
        ({"priority": "speed"}, "priority"),
        ({"budget": "low"}, "budget"),
    ],
)
def test_recommend_rejects_unknown_values(args: dict, field: str) -> None:
    with pytest.raises(ToolInputError) as err:
        call_tool("recommend_optimizer", args)
    assert err.value.field == field


# --- compare_optimizers ----------------------------------------------------------------------------------


def test_compare_runs_all_seven_by_default_and_adam_reaches_tolerance_on_the_quadratic() -> None:
    seen: list[tuple[float, float | None, str | None]] = []
    with progress_reporter(lambda done, total, message: seen.append((done, total, message))):
        result = call_tool("compare_optimizers", {"problem": "quadratic", "steps": 500, "plot": False})
    assert [r.optimizer for r in result.runs] == list(problems.OPTIMIZER_NAMES)
    adam = next(r for r in result.runs if r.optimizer == "adam")
    assert adam.lr_source == "default"
    assert adam.lr == problems.DEFAULT_LR["quadratic"]["adam"]
    assert adam.steps_to_tolerance is not None
    assert adam.final_loss < 1e-6
    assert not adam.diverged
    # the curve is sampled at curve_steps; the first step at or below tolerance is consistent with it
    assert len(result.curve_steps) <= 100
    assert result.curve_steps[-1] == 500
    assert len(adam.curve) == len(result.curve_steps)
    assert adam.curve[0] == pytest.approx(result.initial_loss, rel=1e-6)
    assert all(
        v - result.minimum_loss > result.tolerance
        for s, v in zip(result.curve_steps, adam.curve, strict=True)
        if s < adam.steps_to_tolerance
    )
    assert adam.best_loss <= adam.final_loss
    assert len(adam.trajectory) == len(result.curve_steps)
    assert adam.trajectory[0] == (-2.0, 1.5)
    assert result.ranking[0] in {r.optimizer for r in result.runs if r.steps_to_tolerance is not None}
    assert result.png is None
    # one report per optimizer plus the final one
    assert [done for done, _, _ in seen] == list(range(8))
    assert all(total == 7 for _, total, _ in seen)


def test_a_huge_learning_rate_diverges_is_flagged_and_the_json_has_no_nan() -> None:
    result = compare_optimizers(
        problem="rosenbrock", optimizers=["sgd", "adam"], steps=200, lr=100.0, plot=False
    )
    for run in result.runs:
        assert run.diverged
        assert run.diverged_at_step is not None
        assert run.final_loss is None
        assert run.final_point is None
        assert run.steps_to_tolerance is None
        assert run.lr_source == "given"
        assert len(run.curve) <= run.diverged_at_step
    assert "diverged" in result.summary
    payload = _no_nan_json(result)
    assert payload["runs"][0]["diverged"] is True


def test_compare_draws_a_png_with_paths_on_2d_and_curves_only_otherwise() -> None:
    two_d = compare_optimizers(problem="beale", optimizers=["adam", "sgd"], steps=50)
    assert two_d.png is not None and two_d.png.startswith(PNG_MAGIC)
    logistic = compare_optimizers(problem="logistic_regression", optimizers=["adam"], steps=50)
    assert logistic.png.startswith(PNG_MAGIC)
    assert logistic.runs[0].trajectory is None
    assert len(logistic.runs[0].final_point) == 10
    assert "png" not in json.dumps(_no_nan_json(logistic))


def test_adamw_weight_decay_makes_it_differ_from_adam() -> None:
    result = compare_optimizers(
        problem="logistic_regression", optimizers=["adam", "adamw"], lr=0.03, plot=False
    )
    adam, adamw = result.runs
    assert adam.steps_to_tolerance is not None
    assert adamw.final_loss > adam.final_loss  # decoupled decay 0.01 pulls w towards 0, off the minimum


def test_cancelling_through_the_progress_callback_stops_the_tool() -> None:
    def cancel(done: float, total: float | None, message: str | None) -> None:
        if done >= 1:
            raise RuntimeError("cancelled")

    with progress_reporter(cancel), pytest.raises(RuntimeError, match="cancelled"):
        compare_optimizers(problem="quadratic", steps=10, plot=False)


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"problem": "himmelblau"}, "problem"),
        ({"optimizers": []}, "optimizers"),
        ({"optimizers": ["adam", "lbfgs"]}, "optimizers.1"),
        ({"steps": 0}, "steps"),
        ({"steps": 5001}, "steps"),
        ({"lr": 0}, "lr"),
        ({"lr": 101}, "lr"),
        ({"tolerance": 0}, "tolerance"),
        ({"seed": -1}, "seed"),
    ],
)
def test_compare_rejects_out_of_bounds_arguments(args: dict, field: str) -> None:
    with pytest.raises(ToolInputError) as err:
        call_tool("compare_optimizers", args)
    assert err.value.field == field


def test_compare_rejects_a_repeated_optimizer() -> None:
    with pytest.raises(ToolInputError, match="repeated: adam") as err:
        compare_optimizers(optimizers=["adam", "sgd", "adam"], plot=False)
    assert err.value.field == "optimizers"


# --- learning_rate_sweep ---------------------------------------------------------------------------------


def test_sweep_gives_each_verdict_for_sgd_on_the_quadratic() -> None:
    # L_max = 100, L_min = 1, so gradient descent is stable for lr < 2/L_max = 0.02 and fastest at
    # 2/(L_min + L_max) ≈ 0.0198 (hand derivation: each eigen-component is multiplied by 1 − lr·L per step).
    #   1e-6  → factor 0.9999: after 200 steps the gap has shrunk ~4 % → too_small
    #   0.005 → factors 0.5 (stiff) and 0.995 (flat): good alone, but ≥ 100× behind 0.019 → too_small
    #   0.019 → stiff factor −0.9: θ flips across the valley at first, the flips die out (0.9¹⁰⁰ ≈ 3e-5 by
    #           mid-run) and it descends the flat axis at 0.981 per step → good, and the best (issue #11)
    #   0.02  → stiff factor −1: θ bounces across the valley for ever, never converging → oscillating
    #   0.05  → stiff factor −4: the loss grows ~16×/step → diverged
    seen: list[float] = []
    with progress_reporter(lambda done, total, message: seen.append(done)):
        result = call_tool(
            "learning_rate_sweep",
            {
                "problem": "quadratic",
                "optimizer": "sgd",
                "lrs": [0.05, 1e-6, 0.02, 0.019, 0.005],
                "steps": 200,
            },
        )
    verdicts = {o.lr: o.verdict for o in result.outcomes}
    assert verdicts == {
        1e-6: "too_small",
        0.005: "too_small",
        0.019: "good",
        0.02: "oscillating",
        0.05: "diverged",
    }
    assert [o.lr for o in result.outcomes] == [1e-6, 0.005, 0.019, 0.02, 0.05]
    assert result.recommended_lr == 0.019
    assert result.png.startswith(PNG_MAGIC)
    assert seen == [0, 1, 2, 3, 4, 5]
    diverged = result.outcomes[-1]
    assert diverged.final_loss is None and diverged.diverged_at_step == 3
    _no_nan_json(result)


def test_a_converging_zig_zag_beats_a_slower_monotone_run() -> None:
    # issue #11: lr 0.019 on the quadratic alternates in sign early but converges (final gap ~5e-6 after
    # 300 steps, the flat axis shrinking 0.981² per step), while 0.01 ends ~1e-3 (0.99² per step on the flat
    # axis): ranked by final gap among converging runs, 0.019 wins
    result = learning_rate_sweep(
        problem="quadratic", optimizer="sgd", lrs=[0.01, 0.019], steps=300, plot=False
    )
    slow, fast = result.outcomes
    assert fast.verdict == "good" and fast.reversal_share < 0.5
    assert fast.final_loss < slow.final_loss / 100
    assert result.recommended_lr == 0.019


def test_sweep_flags_bouncing_loss_of_adam_on_rosenbrock() -> None:
    result = learning_rate_sweep(
        problem="rosenbrock", optimizer="adam", lrs=[0.1, 1.0], steps=500, plot=False
    )
    good, bouncing = result.outcomes
    assert good.verdict == "good"
    assert bouncing.verdict == "oscillating"
    assert bouncing.rise_share >= 0.45
    assert result.recommended_lr == 0.1


def test_sweep_calls_a_much_slower_lr_too_small_even_when_it_moved() -> None:
    result = learning_rate_sweep(
        problem="logistic_regression", optimizer="sgd", lrs=[0.01, 0.3], steps=500, plot=False
    )
    slow, fast = result.outcomes
    assert slow.gap_closed > 0.5  # it moved: rule 3's first clause alone would call it good
    assert (slow.verdict, fast.verdict) == ("too_small", "good")
    assert "lr=0.3" in slow.reason
    assert result.recommended_lr == 0.3


def test_sweep_default_grid_spans_the_tuned_lr() -> None:
    result = learning_rate_sweep(problem="logistic_regression", optimizer="adam", steps=100, plot=False)
    base = problems.DEFAULT_LR["logistic_regression"]["adam"]
    lrs = [o.lr for o in result.outcomes]
    assert lrs[0] == pytest.approx(base * 1e-3) and base in lrs and lrs[-1] == pytest.approx(base * 100)
    assert result.outcomes[0].verdict == "too_small"
    assert result.recommended_lr is not None


def test_sweep_without_a_good_lr_says_where_to_look() -> None:
    result = learning_rate_sweep(problem="quadratic", optimizer="sgd", lrs=[1e-7, 0.05], steps=50, plot=False)
    assert result.recommended_lr is None
    assert "between 1e-07" in result.recommendation and "0.05" in result.recommendation
    only_small = learning_rate_sweep(problem="quadratic", optimizer="sgd", lrs=[1e-7], steps=20, plot=False)
    assert "too small" in only_small.recommendation


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"lrs": []}, "lrs"),
        ({"lrs": [0.1] * 13}, "lrs"),
        ({"lrs": [0.0]}, "lrs.0"),
        ({"lrs": [0.1, 101.0]}, "lrs.1"),
        ({"optimizer": "lion"}, "optimizer"),
        ({"problem": "sphere"}, "problem"),
        ({"steps": 0}, "steps"),
    ],
)
def test_sweep_rejects_out_of_bounds_arguments(args: dict, field: str) -> None:
    with pytest.raises(ToolInputError) as err:
        call_tool("learning_rate_sweep", args)
    assert err.value.field == field


def test_sweep_rejects_a_repeated_lr() -> None:
    with pytest.raises(ToolInputError) as err:
        learning_rate_sweep(lrs=[0.1, 0.01, 0.1], plot=False)
    assert err.value.field == "lrs"
