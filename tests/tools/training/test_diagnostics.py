"""diagnose_training on constructed curves (one per verdict) and gradient_flow on real torch MLPs."""

import math

import pytest

from tools import progress_reporter
from tools.catalog import call_tool
from tools.errors import ToolInputError
from tools.training.diagnostics import diagnose_training
from tools.training.gradients import gradient_flow

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def decay(start: float, floor: float, tau: float, n: int = 40) -> list[float]:
    """start → floor exponentially with time constant tau epochs."""
    return [floor + (start - floor) * math.exp(-t / tau) for t in range(n)]


def all_floats_finite(value: object) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(all_floats_finite(v) for v in value.values())
    if isinstance(value, list):
        return all(all_floats_finite(v) for v in value)
    return True


# --- diagnose_training: one constructed curve per verdict ---


def overfitting_curves() -> tuple[list[float], list[float]]:
    # val falls 0.1/epoch to its minimum 0.8 at epoch 16 (index 15), then rises 0.05/epoch;
    # train keeps falling
    train = decay(2.3, 0.05, 6)
    val = [2.3 - 0.1 * t if t <= 15 else 0.8 + 0.05 * (t - 15) for t in range(40)]
    return train, val


def test_val_turning_up_while_train_falls_is_overfitting() -> None:
    train, val = overfitting_curves()
    result = diagnose_training(train, val, plot=False)
    assert result.verdict == "overfitting"
    assert result.best_val_epoch == 16  # by construction: the V's bottom is index 15 → epoch 16
    assert result.best_val_loss == pytest.approx(0.8)
    # patience 5: epochs 17..21 bring no improvement, so early stopping halts at epoch 16 + 5 = 21
    assert result.early_stop_epoch == 21
    assert result.early_stop_restore_epoch == 16
    remedies = " ".join(result.remedies)
    for remedy in (
        "more training data",
        "augmentation",
        "L1 / L2",
        "dropout",
        "early stopping",
        "smaller model",
    ):
        assert remedy in remedies
    assert "epoch 21" in remedies  # the early-stopping remedy names the point


def test_short_overfitting_run_names_the_checkpoint_to_keep() -> None:
    # val best at epoch 4 of 8: patience 5 has not run out, so the remedy names the checkpoint instead
    train = [2.0, 1.5, 1.1, 0.8, 0.6, 0.45, 0.35, 0.28]
    val = [2.1, 1.7, 1.4, 1.3, 1.35, 1.45, 1.6, 1.8]
    result = diagnose_training(train, val, plot=False)
    assert result.verdict == "overfitting"
    assert result.early_stop_epoch is None
    assert "keep the checkpoint of epoch 4" in " ".join(result.remedies)


def test_overfitting_evidence_is_the_hand_computed_gap() -> None:
    train, val = overfitting_curves()
    result = diagnose_training(train, val, plot=False)
    train_end = sum(train[-3:]) / 3  # 'end' = mean of the last 3 epochs (stated in rules)
    val_end = sum(val[-3:]) / 3  # indices 37..39: 0.8 + 0.05·(22 + 23 + 24)/3 = 1.95
    assert val_end == pytest.approx(1.95)
    assert result.smoothed_train_loss == pytest.approx(train_end)
    assert result.smoothed_val_loss == pytest.approx(val_end)
    assert result.generalization_gap == pytest.approx(val_end - train_end)
    assert result.relative_gap == pytest.approx((val_end - train_end) / val_end)
    assert result.val_rise_from_best == pytest.approx((1.95 - 0.8) / 0.8)


def test_final_values_are_the_last_ones_and_the_smoothed_ones_are_named_so() -> None:
    # issue #11: a demo said "final val 1.617" when the last value was 1.8; 1.617 is the mean of the last 3
    train = [2.0, 1.5, 1.1, 0.8, 0.6, 0.45, 0.35, 0.28]
    val = [2.1, 1.7, 1.4, 1.3, 1.35, 1.45, 1.6, 1.8]
    result = diagnose_training(
        train, val, train_metric=[0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.93, 0.97], plot=False
    )
    assert (result.final_train_loss, result.final_val_loss) == (0.28, 1.8)  # the last values, as given
    assert result.smoothed_val_loss == pytest.approx((1.45 + 1.6 + 1.8) / 3)  # = 1.6167
    assert result.smoothed_train_loss == pytest.approx((0.45 + 0.35 + 0.28) / 3)
    assert result.generalization_gap == pytest.approx(result.smoothed_val_loss - result.smoothed_train_loss)
    assert result.final_train_metric == 0.97
    assert result.smoothed_train_metric == pytest.approx((0.9 + 0.93 + 0.97) / 3)
    assert "mean of the last 3 epochs" in result.reasons[0] or "means of the last 3" in result.reasons[0]


def test_final_values_stop_before_the_first_non_finite_epoch() -> None:
    result = diagnose_training([2.0, 1.5, 1.2, 1.0, None, 0.5], [2.1, 1.6, 1.3, 1.1, 1.0, 0.9], plot=False)
    assert result.final_train_loss == 1.0 and result.final_val_loss == 1.1  # epoch 4, the last analysed


def test_both_high_and_flat_is_underfitting() -> None:
    result = diagnose_training(decay(2.3, 1.9, 3), decay(2.3, 1.95, 3), plot=False)
    assert result.verdict == "underfitting"
    remedies = " ".join(result.remedies)
    for remedy in (
        "bigger model",
        "features",
        "higher learning rate",
        "longer training",
        "less regularisation",
    ):
        assert remedy in remedies


def test_target_loss_defines_high() -> None:
    # 2.3 → 1.9 is 'high' against the default target 0 but reaches a stated target of 1.85
    result = diagnose_training(decay(2.3, 1.9, 3), decay(2.3, 1.95, 3), target_loss=1.85, plot=False)
    assert result.verdict == "good_fit"


def test_converged_close_curves_are_a_good_fit() -> None:
    result = diagnose_training(decay(2.3, 0.3, 5), decay(2.3, 0.35, 5), plot=False)
    assert result.verdict == "good_fit"
    assert result.early_stop_epoch is None
    assert result.train_plateau_epoch is not None and result.train_plateau_epoch < 40


def test_mild_noise_does_not_break_a_good_fit() -> None:
    # deterministic ±0.02 / ±0.03 jitter (≈1 % of the loss scale), far below the 8 % instability threshold
    train = [v + 0.02 * math.sin(2.1 * t) for t, v in enumerate(decay(2.3, 0.3, 5))]
    val = [v + 0.03 * math.sin(1.3 * t + 1) for t, v in enumerate(decay(2.3, 0.35, 5))]
    assert diagnose_training(train, val, plot=False).verdict == "good_fit"


def test_nan_loss_is_diverging() -> None:
    train = [*decay(2.3, 0.3, 5, 10), math.nan, math.nan]
    val = [*decay(2.3, 0.35, 5, 10), 1.0, math.inf]
    result = diagnose_training(train, val, plot=False)
    assert result.verdict == "diverging"
    assert result.first_nonfinite_epoch == 11
    assert result.nonfinite_count == 3
    assert result.analysed_epochs == 10
    assert "lower the learning rate" in " ".join(result.remedies)
    assert all_floats_finite(result.model_dump())


def test_exploding_values_are_diverging() -> None:
    train = [2.3, 1.8, 1.5, 1.4, 3.0, 40.0, 900.0, 1e5]
    val = [2.3, 1.9, 1.6, 1.5, 3.5, 50.0, 1e3, 2e5]
    result = diagnose_training(train, val, plot=False)
    assert result.verdict == "diverging"
    assert result.first_nonfinite_epoch is None
    assert "1e+05" in result.reasons[0]


def test_json_nulls_and_nan_strings_count_as_non_finite() -> None:
    # JSON has no NaN: an MCP client sends null or the strings "nan"/"inf"
    result = call_tool(
        "diagnose_training",
        {"train_loss": [2.3, 1.5, None, None], "val_loss": [2.3, 1.6, "nan", "inf"], "plot": False},
    )
    assert result.verdict == "diverging"
    assert result.first_nonfinite_epoch == 3
    assert result.nonfinite_count == 4


def test_still_falling_steeply_is_not_converged() -> None:
    result = diagnose_training(decay(2.3, 0.0, 60), decay(2.3, 0.05, 60), plot=False)
    assert result.verdict == "not_converged"
    assert result.train_tail_drop_fraction is not None and result.train_tail_drop_fraction > 0.1
    assert "train for more epochs" in result.remedies[0]


def test_linear_tail_slope_is_exact() -> None:
    # hand derivation: a straight line's least-squares slope is its slope
    train = [2.3 - 0.04 * t for t in range(30)]
    val = [2.35 - 0.038 * t for t in range(30)]
    result = diagnose_training(train, val, plot=False)
    assert result.train_tail_slope == pytest.approx(-0.04)
    assert result.val_tail_slope == pytest.approx(-0.038)
    assert result.verdict == "not_converged"


def test_large_oscillation_is_unstable() -> None:
    zigzag = [0.0, 0.0, 0.0, 0.0] + [0.4 if t % 2 else -0.4 for t in range(4, 40)]
    train = [v + z for v, z in zip(decay(2.3, 0.5, 5), zigzag, strict=True)]
    val = [v + 1.2 * z for v, z in zip(decay(2.3, 0.6, 5), zigzag, strict=True)]
    result = diagnose_training(train, val, plot=False)
    assert result.verdict == "unstable"
    assert result.train_oscillation is not None and result.train_oscillation > 0.08
    assert "lower the learning rate" in result.remedies[0]


def test_metric_gap_flags_overfitting() -> None:
    train, val = decay(2.3, 0.3, 5), decay(2.3, 0.35, 5)
    result = diagnose_training(train, val, train_metric=[0.99] * 40, val_metric=[0.80] * 40, plot=False)
    assert result.verdict == "overfitting"
    assert result.final_train_metric == pytest.approx(0.99)
    assert result.smoothed_train_metric == pytest.approx(0.99)
    assert result.best_val_metric_epoch == 1  # all equal: the first is best
    assert "0.99" in result.reasons[0]


def test_error_like_metric_direction() -> None:
    train, val = decay(2.3, 0.3, 5), decay(2.3, 0.35, 5)
    error = [0.5 - 0.01 * t for t in range(40)]
    result = diagnose_training(
        train, val, train_metric=error, val_metric=error, metric_higher_is_better=False, plot=False
    )
    assert result.best_val_metric_epoch == 40
    assert result.verdict == "good_fit"


def test_rules_state_the_thresholds() -> None:
    result = diagnose_training(decay(2.3, 0.3, 5), decay(2.3, 0.35, 5), patience=7, plot=False)
    text = " ".join(result.rules)
    for verdict in ("diverging", "unstable", "overfitting", "not_converged", "underfitting", "good_fit"):
        assert verdict in text
    assert "patience 7" in text


def test_curves_plot_is_a_png_with_the_metric_panel() -> None:
    train, val = overfitting_curves()
    result = diagnose_training(train, val, train_metric=[0.5] * 40, val_metric=[0.4] * 40)
    assert result.png is not None and result.png.startswith(PNG_MAGIC)
    assert diagnose_training(train, val, plot=False).png is None


def test_plot_handles_nan_and_log_scale() -> None:
    result = diagnose_training([1e4, 10.0, 1.0, math.nan], [1e4, 20.0, 2.0, math.nan])
    assert result.png is not None and result.png.startswith(PNG_MAGIC)


def test_two_epochs_are_enough() -> None:
    result = diagnose_training([2.0, 1.0], [2.0, 1.1], plot=False)
    assert result.verdict in {"not_converged", "good_fit"}
    assert "only 2 epochs" in result.reasons[-1]


def test_diagnosis_rejects_mismatched_lengths() -> None:
    with pytest.raises(ToolInputError) as err:
        diagnose_training([1.0, 0.5, 0.4], [1.0, 0.6], plot=False)
    assert err.value.field == "val_loss"
    with pytest.raises(ToolInputError) as err:
        diagnose_training([1.0, 0.5], [1.0, 0.6], val_metric=[0.1, 0.2, 0.3], plot=False)
    assert err.value.field == "val_metric"


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"train_loss": [1.0], "val_loss": [1.0]}, "train_loss"),
        ({"train_loss": [1.0, 0.5], "val_loss": [1.0, 0.5], "patience": 0}, "patience"),
        ({"train_loss": [1.0, 0.5], "val_loss": [1.0, 0.5], "train_metric": [0.1, None]}, "train_metric"),
        ({"train_loss": [1.0, 0.5]}, "val_loss"),
    ],
)
def test_diagnosis_schema_errors_name_the_field(args: dict, field: str) -> None:
    with pytest.raises(ToolInputError) as err:
        call_tool("diagnose_training", args)
    assert err.value.field.startswith(field)


# --- gradient_flow ---


def test_deep_sigmoid_with_default_init_vanishes() -> None:
    result = gradient_flow(depth=20, width=128, activation="sigmoid", plot=False)
    assert result.verdict == "vanishing"
    # σ' ≤ 1/4 and default init shrinks the signal: ≥ 10 orders of magnitude lost over 20 layers
    assert result.first_last_ratio is not None and result.first_last_ratio < 1e-10
    applies = {r.remedy for r in result.remedies if r.applies}
    assert "ReLU / GELU / LeakyReLU instead of sigmoid / tanh" in applies
    assert "residual connections" in applies
    assert "BatchNorm / LayerNorm" in applies
    assert "gradient clipping" not in applies
    assert len(result.layers) == 21 and result.layers[-1].kind == "output"


def test_relu_he_residual_does_not_vanish() -> None:
    result = gradient_flow(depth=20, width=128, activation="relu", init="he", residual=True, plot=False)
    assert result.verdict != "vanishing"
    assert (
        result.layers[0].activation_grad_norm > result.layers[19].activation_grad_norm
    )  # signal reaches layer 1


def test_relu_he_residual_batchnorm_is_healthy() -> None:
    result = gradient_flow(
        depth=20, width=128, activation="relu", init="he", residual=True, norm="batchnorm", plot=False
    )
    assert result.verdict == "healthy"
    assert not any(r.applies for r in result.remedies)
    assert 1e-2 <= result.first_last_ratio <= 1e2


def test_large_std_normal_init_explodes() -> None:
    # N(0, 1) weights multiply a ReLU signal by about √(width/2) = 8 per layer (He would use std √(2/128))
    result = gradient_flow(depth=20, width=128, activation="relu", init="normal", init_std=1.0, plot=False)
    assert result.verdict == "exploding"
    applies = {r.remedy for r in result.remedies if r.applies}
    assert "Xavier init (sigmoid/tanh) or He init (ReLU family)" in applies
    assert "gradient clipping" in applies
    assert all_floats_finite(result.model_dump())


def test_overflowing_network_is_exploding_and_the_result_stays_finite() -> None:
    # std 100 multiplies the signal by ~100·√(32/2) = 400 per layer: 400³⁰ ≫ float32's 3.4e38 → inf/NaN
    result = gradient_flow(depth=30, width=32, activation="relu", init="normal", init_std=100.0, plot=False)
    assert result.verdict == "exploding"
    assert "NaN/inf" in result.reasons[0]
    assert result.total_grad_norm is None
    assert all_floats_finite(result.model_dump())


def test_clipping_rescales_the_global_norm_to_clip_norm() -> None:
    result = gradient_flow(depth=6, width=32, activation="relu", init="normal", init_std=1.0, clip_norm=1.0)
    # hand computation: the global norm is the L2 norm of the per-layer parameter-gradient norms
    by_hand = math.sqrt(sum(row.param_grad_norm**2 for row in result.layers))
    assert result.total_grad_norm == pytest.approx(by_hand, rel=1e-9)
    assert result.total_grad_norm > 1.0
    # clip_grad_norm_ multiplies every gradient by clip_norm / (total + 1e-6)
    coef = 1.0 / (by_hand + 1e-6)
    assert result.clip_coefficient == pytest.approx(coef, rel=1e-6)
    assert result.clipped_total_grad_norm == pytest.approx(1.0, rel=1e-5)
    for row in result.layers:
        assert row.clipped_param_grad_norm == pytest.approx(row.param_grad_norm * coef, rel=1e-5)
    clipping = next(r for r in result.remedies if r.remedy == "gradient clipping")
    assert clipping.in_place and not clipping.applies


def test_clipping_leaves_small_gradients_alone() -> None:
    result = gradient_flow(depth=3, width=16, activation="tanh", init="xavier", clip_norm=1e6, plot=False)
    assert result.clipped_total_grad_norm == pytest.approx(result.total_grad_norm, rel=1e-6)
    assert result.clip_coefficient == 1.0


def test_same_seed_same_numbers_other_seed_differs() -> None:
    a = gradient_flow(depth=4, width=16, seed=3, plot=False)
    b = gradient_flow(depth=4, width=16, seed=3, plot=False)
    c = gradient_flow(depth=4, width=16, seed=4, plot=False)
    assert a.model_dump() == b.model_dump()
    assert a.total_grad_norm != c.total_grad_norm


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "gelu", "leaky_relu"])
@pytest.mark.parametrize("norm", ["none", "batchnorm", "layernorm"])
def test_every_activation_and_norm_runs(activation: str, norm: str) -> None:
    result = gradient_flow(
        depth=3, width=8, activation=activation, norm=norm, init="he", batch_size=4, plot=False
    )
    assert result.verdict in {"vanishing", "exploding", "healthy"}
    assert activation in result.network and norm in result.network
    assert all(row.activation_std is not None for row in result.layers)


def test_gradient_flow_plot_is_a_png() -> None:
    result = gradient_flow(depth=5, width=16, clip_norm=0.01)
    assert result.png is not None and result.png.startswith(PNG_MAGIC)


def test_gradient_flow_reports_progress_to_the_end() -> None:
    seen: list[tuple[float, float | None]] = []
    with progress_reporter(lambda done, total, message: seen.append((done, total))):
        gradient_flow(depth=4, width=8, plot=False)
    assert seen[-1] == (13, 13)  # 3·depth + 1 units: build, forward, backward per layer, then the summary
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


def test_gradient_flow_stops_when_progress_callback_raises() -> None:
    class Cancelled(Exception):
        pass

    def cancel_in_backward(done: float, total: float | None, message: str | None) -> None:
        if message and message.startswith("backward"):
            raise Cancelled

    with progress_reporter(cancel_in_backward), pytest.raises(Cancelled):
        gradient_flow(depth=4, width=8, plot=False)


def test_gradient_flow_semantic_limits() -> None:
    with pytest.raises(ToolInputError) as err:
        gradient_flow(depth=200, width=1024, plot=False)
    assert err.value.field == "width"
    with pytest.raises(ToolInputError) as err:  # activations: 100·512·256 > 2^23
        gradient_flow(depth=100, width=256, batch_size=512, plot=False)
    assert err.value.field == "batch_size"
    with pytest.raises(ToolInputError) as err:  # parameters and activations at their bounds, MACs 2^33 > 2^32
        gradient_flow(depth=16, width=1024, batch_size=512, plot=False)
    assert err.value.field == "batch_size" and "multiply-accumulates" in err.value.reason
    with pytest.raises(ToolInputError) as err:
        gradient_flow(depth=2, width=8, norm="batchnorm", batch_size=1, plot=False)
    assert err.value.field == "batch_size"


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"depth": 0, "width": 8}, "depth"),
        ({"depth": 201, "width": 8}, "depth"),
        ({"depth": 2, "width": 2048}, "width"),
        ({"depth": 2, "width": 8, "activation": "swish"}, "activation"),
        ({"depth": 2, "width": 8, "init": "orthogonal"}, "init"),
        ({"depth": 2, "width": 8, "clip_norm": 0}, "clip_norm"),
        ({"depth": 2, "width": 8, "init_std": -1}, "init_std"),
        ({"width": 8}, "depth"),
    ],
)
def test_gradient_flow_schema_errors_name_the_field(args: dict, field: str) -> None:
    with pytest.raises(ToolInputError) as err:
        call_tool("gradient_flow", args)
    assert err.value.field == field
