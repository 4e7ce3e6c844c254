"""ood_detect against hand-derived softmax / energy values and torch.logsumexp."""

import math

import pytest
import torch

from tools.catalog import call_tool
from tools.errors import ToolInputError
from tools.information.ood import ood_detect


def test_msp_matches_a_hand_derived_softmax() -> None:
    # hand derivation: softmax([2, 1, 0])_0 = e² / (e² + e + 1) ≈ 0.6652; uniform [1, 1, 1] → 1/3
    result = ood_detect([[2.0, 1.0, 0.0], [1.0, 1.0, 1.0], [0.0, 9.0, 0.0]])
    z = math.e**2 + math.e + 1
    first, uniform, confident = result.samples
    assert first.max_softmax_prob == pytest.approx(math.e**2 / z, rel=1e-12)
    assert first.energy == pytest.approx(-math.log(z), rel=1e-12)
    assert first.predicted_class == 0
    assert uniform.max_softmax_prob == pytest.approx(1 / 3, rel=1e-12)
    # softmax([0, 9, 0])_1 = e⁹ / (e⁹ + 2) ≈ 0.99975 ≥ 0.8: in-distribution
    assert confident.max_softmax_prob == pytest.approx(math.exp(9) / (math.exp(9) + 2), rel=1e-12)
    assert confident.predicted_class == 1
    # default threshold 0.8: flagged when max prob < 0.8 (Hendrycks & Gimpel 2017)
    assert [s.flagged for s in result.samples] == [True, True, False]
    assert result.threshold == 0.8
    assert result.flagged_count == 2
    assert result.flagged_indices == [0, 1]
    assert result.flagged_fraction == pytest.approx(2 / 3)
    assert all(s.score == s.max_softmax_prob for s in result.samples)


def test_threshold_is_a_strict_lower_bound() -> None:
    # softmax([0, 0]) = 0.5 exactly: not flagged at threshold 0.5, flagged just above it
    assert ood_detect([[0.0, 0.0]], threshold=0.5).flagged_count == 0
    assert ood_detect([[0.0, 0.0]], threshold=0.5000001).flagged_count == 1


def test_temperature_scales_the_logits() -> None:
    # hand derivation: softmax([2, 0] / 2)_0 = e / (e + 1)
    result = ood_detect([[2.0, 0.0]], temperature=2.0)
    assert result.samples[0].max_softmax_prob == pytest.approx(math.e / (math.e + 1), rel=1e-12)
    assert result.samples[0].energy == pytest.approx(-2.0 * math.log(math.e + 1), rel=1e-12)


@pytest.mark.parametrize("scale", [1e4, 1e8, 1e12])
def test_msp_keeps_full_precision_at_any_scale(scale: float) -> None:
    # hand derivation: softmax shifts freely, so softmax([s, s − 1, s − 2])₀ = 1 / (1 + e⁻¹ + e⁻²) for any
    # s, and softmax([s, s])₀ = ½ exactly; s − 1 and s − 2 are exact in float64 up to 2⁵³ ≈ 9e15
    (shifted,) = ood_detect([[scale, scale - 1, scale - 2]]).samples
    tie, negative = ood_detect([[scale, scale], [-scale, -scale - 1]]).samples
    assert shifted.max_softmax_prob == pytest.approx(1 / (1 + math.exp(-1) + math.exp(-2)), rel=1e-15)
    assert tie.max_softmax_prob == 0.5
    assert negative.max_softmax_prob == pytest.approx(1 / (1 + math.exp(-1)), rel=1e-15)


def test_msp_of_the_issue_examples() -> None:
    # issue #11: [1e12, 1e12] gave 0.500016 and [1e11, 1e11 − 1] gave 0.7310577; exact: ½ and 1/(1 + e⁻¹)
    tie, near = ood_detect([[1e12, 1e12], [1e11, 1e11 - 1]]).samples
    assert tie.max_softmax_prob == 0.5
    assert near.max_softmax_prob == pytest.approx(0.7310585786300049, rel=1e-15)


def test_large_logits_are_stable() -> None:
    # a naive exp(1e4) overflows; log-sum-exp keeps everything finite and exact
    # (a third logit 1e4 below the others adds exp(-1e4) = 0 to the sums)
    result = ood_detect([[1e4, 0.0, -1e4], [1e4, 1e4, 0.0], [-1e4, -1e4 + 1, -2e4]])
    big, tie, negative = result.samples
    assert big.max_softmax_prob == 1.0
    assert big.energy == pytest.approx(-1e4, rel=1e-15)
    assert tie.max_softmax_prob == pytest.approx(0.5, rel=1e-12)
    assert tie.energy == pytest.approx(-(1e4 + math.log(2)), rel=1e-15)
    assert tie.predicted_class == 0  # ties go to the first class
    assert negative.max_softmax_prob == pytest.approx(math.e / (math.e + 1), rel=1e-12)
    assert negative.predicted_class == 1
    assert all(math.isfinite(v) for s in result.samples for v in (s.max_softmax_prob, s.energy, s.score))


def test_energy_matches_torch_logsumexp() -> None:
    gen = torch.Generator().manual_seed(0)
    logits = (torch.randn(32, 10, generator=gen, dtype=torch.float64) * 5).tolist()
    result = ood_detect(logits, method="energy", threshold=6.0, temperature=1.5)
    expected = -1.5 * torch.logsumexp(torch.tensor(logits, dtype=torch.float64) / 1.5, dim=1)
    for sample, energy in zip(result.samples, expected.tolist(), strict=True):
        assert sample.energy == pytest.approx(energy, rel=1e-12)
        assert sample.score == pytest.approx(-energy, rel=1e-12)
        assert sample.flagged == (-energy < 6.0)
    assert result.flagged_count == sum(-e < 6.0 for e in expected.tolist())
    assert "logsumexp" in result.rule and "< 6" in result.rule


def test_energy_flags_low_negative_energy() -> None:
    # −E([5, 0]) = log(e⁵ + 1) ≈ 5.0067 (in-distribution); −E([0, 0]) = log 2 ≈ 0.693 (flagged at threshold 1)
    result = ood_detect([[5.0, 0.0], [0.0, 0.0]], method="energy", threshold=1.0)
    assert [s.flagged for s in result.samples] == [False, True]
    assert result.samples[1].score == pytest.approx(math.log(2), rel=1e-12)


def test_ood_semantic_errors_name_the_field() -> None:
    with pytest.raises(ToolInputError) as err:
        ood_detect([[1.0, 2.0], [1.0, 2.0, 3.0]])
    assert err.value.field == "logits[1]"
    with pytest.raises(ToolInputError) as err:
        ood_detect([[1.0, 2.0]], threshold=1.5)
    assert err.value.field == "threshold"
    with pytest.raises(ToolInputError) as err:
        ood_detect([[0.0] * 1000] * 1001)
    assert err.value.field == "logits"


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"logits": []}, "logits"),
        ({"logits": [[1.0]]}, "logits.0"),
        ({"logits": [[1.0, math.nan]]}, "logits.0.1"),
        ({"logits": [[1.0, 2e12]]}, "logits.0.1"),
        ({"logits": [[1.0, 2.0]], "temperature": 0}, "temperature"),
        ({"logits": [[1.0, 2.0]], "method": "odin"}, "method"),
        ({"logits": [[1.0, 2.0]], "threshold": math.inf}, "threshold"),
        ({"threshold": 0.5}, "logits"),
    ],
)
def test_ood_schema_errors_name_the_field(args: dict, field: str) -> None:
    with pytest.raises(ToolInputError) as err:
        call_tool("ood_detect", args)
    assert err.value.field == field


def test_ood_through_the_catalogue() -> None:
    result = call_tool("ood_detect", {"logits": [[3, 0, 0], [0.1, 0, 0]], "threshold": 0.5})
    assert result.flagged_indices == [1]
    assert result.num_classes == 3


def test_energy_without_a_threshold_gives_the_scores_and_flags_nothing() -> None:
    # Hand derivation (Liu et al. 2020, T = 1): −E([3.0, 1.0, 0.2]) = log(e³ + e¹ + e^0.2) = 3.17910
    result = ood_detect([[3.0, 1.0, 0.2], [0.0, 0.0, 0.0]], method="energy")
    assert result.threshold is None and result.flagged_count is None and result.flagged_fraction is None
    assert result.flagged_indices == [] and [s.flagged for s in result.samples] == [None, None]
    assert result.samples[0].score == pytest.approx(3.17910, abs=5e-6)
    assert result.samples[1].score == pytest.approx(math.log(3))
    assert "logit units" in result.rule and "5th percentile" in result.rule
