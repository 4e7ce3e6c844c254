"""entropy, cross_entropy, kl_divergence: hand derivations, torch references, properties, bad input."""

import math
import subprocess
import sys

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from tools.catalog import call_tool
from tools.errors import ToolInputError
from tools.information.measures import cross_entropy, entropy, kl_divergence

LN2 = math.log(2.0)


def _rejected(name: str, arguments: dict) -> ToolInputError:
    with pytest.raises(ToolInputError) as caught:
        call_tool(name, arguments)
    return caught.value


# ---------------------------------------------------------------------------------------------- entropy


def test_fair_coin_has_one_bit():
    # Hand derivation: −2·½·log₂½ = 1 bit.
    result = entropy([0.5, 0.5], base="2")
    assert result.entropy == pytest.approx(1.0, abs=1e-15)
    assert result.unit == "bits"
    assert result.perplexity == pytest.approx(2.0)
    assert result.normalized_entropy == pytest.approx(1.0)


def test_uniform_over_ten_has_one_hartley_and_is_the_maximum():
    # Hand derivation: H(uniform over n) = log n; log₁₀ 10 = 1 hartley.
    result = entropy([0.1] * 10, base="10")
    assert result.entropy == pytest.approx(1.0, abs=1e-12)
    assert result.max_entropy == pytest.approx(1.0)
    assert result.unit == "hartleys"


def test_certain_outcome_has_zero_entropy_and_zeros_contribute_nothing():
    # Hand derivation: 0·log 0 = 0 and 1·log 1 = 0.
    result = entropy([0.0, 1.0, 0.0])
    assert result.entropy == 0.0
    assert result.support_size == 1
    assert result.perplexity == 1.0


def test_normalize_turns_counts_into_a_distribution():
    # Counts [1, 1, 2] → [¼, ¼, ½]; hand: ¼·2 + ¼·2 + ½·1 = 1.5 bits.
    result = entropy([1, 1, 2], base="2", normalize=True)
    assert result.entropy == pytest.approx(1.5)
    assert result.normalized is True


def test_entropy_matches_torch_categorical():
    gen = torch.Generator().manual_seed(0)
    probs = torch.softmax(torch.randn(50, generator=gen, dtype=torch.float64), 0)
    expected = torch.distributions.Categorical(probs=probs).entropy().item()  # reference: torch.distributions
    assert entropy(probs.tolist()).entropy == pytest.approx(expected, rel=1e-12)


def test_a_million_outcomes_uniform_is_log_n():
    # Longest accepted vector: H(uniform over 10⁶) = ln 10⁶ (hand derivation).
    result = call_tool("entropy", {"p": [1e-6] * 1_000_000})
    assert result.entropy == pytest.approx(math.log(1e6), rel=1e-12)


def test_tiny_rounding_in_the_sum_is_accepted():
    result = entropy([0.3333333, 0.3333333, 0.3333333], base="2")  # sums to 0.9999999, within 1e-6
    assert result.entropy == pytest.approx(math.log2(3), rel=1e-9)
    assert result.normalized is False


# ---------------------------------------------------------------------------------------------- cross-entropy


def test_one_hot_cross_entropy_is_minus_log_of_the_label_probability():
    # Hand derivation: H(onehot₀, q) = −ln q₀ = −ln 0.9.
    result = cross_entropy([1.0, 0.0], [0.9, 0.1])
    assert result.cross_entropy == pytest.approx(-math.log(0.9))
    assert result.entropy_p == 0.0
    assert result.kl_divergence == pytest.approx(-math.log(0.9))
    assert result.perplexity == pytest.approx(1 / 0.9)


def test_soft_target_cross_entropy_matches_torch():
    gen = torch.Generator().manual_seed(1)
    p = torch.softmax(torch.randn(7, generator=gen, dtype=torch.float64), 0)
    q = torch.softmax(torch.randn(7, generator=gen, dtype=torch.float64), 0)
    # reference: F.cross_entropy with class-probability targets computes −Σ p·log softmax(logits).
    expected = F.cross_entropy(q.log()[None], p[None]).item()
    result = cross_entropy(p.tolist(), q.tolist())
    assert result.cross_entropy == pytest.approx(expected, rel=1e-12)
    assert "H(p, q) = H(p) + KL(p‖q)" in result.note


def test_cross_entropy_in_bits():
    # Hand derivation: p uniform over 2, q = [¼, ¾]: −½·log₂¼ − ½·log₂¾ = 1 + ½·log₂(4/3).
    result = cross_entropy([0.5, 0.5], [0.25, 0.75], base="2")
    assert result.cross_entropy == pytest.approx(1 + 0.5 * math.log2(4 / 3))


def test_zero_model_probability_where_p_has_mass_is_infinite_with_the_index():
    result = cross_entropy([0.2, 0.3, 0.5, 0.0], [0.5, 0.5, 0.0, 0.0])
    assert result.cross_entropy is None
    assert result.infinite is True
    assert result.infinite_index == 2
    assert result.infinite_count == 1
    assert result.kl_divergence is None
    assert result.perplexity is None
    assert "q[2] = 0" in result.note
    assert result.model_dump_json()  # no inf/NaN: serialisable as strict JSON


# ---------------------------------------------------------------------------------------------- KL


def test_kl_by_hand_and_asymmetric():
    # Hand derivation: KL(p‖q) = ½ln(½/0.9) + ½ln(½/0.1); KL(q‖p) = 0.9ln(0.9/½) + 0.1ln(0.1/½).
    result = kl_divergence([0.5, 0.5], [0.9, 0.1])
    forward = 0.5 * math.log(0.5 / 0.9) + 0.5 * math.log(0.5 / 0.1)
    reverse = 0.9 * math.log(0.9 / 0.5) + 0.1 * math.log(0.1 / 0.5)
    assert result.kl_pq == pytest.approx(forward, rel=1e-12)
    assert result.kl_qp == pytest.approx(reverse, rel=1e-12)
    assert result.asymmetry == pytest.approx(forward - reverse)
    assert result.cross_entropy_pq == pytest.approx(result.entropy_p + forward)
    assert result.entropy_p == pytest.approx(LN2)
    assert "not a distance" in result.note


def test_kl_matches_torch_kl_div():
    gen = torch.Generator().manual_seed(2)
    p = torch.softmax(torch.randn(100, generator=gen, dtype=torch.float64) * 3, 0)
    q = torch.softmax(torch.randn(100, generator=gen, dtype=torch.float64) * 3, 0)
    # reference: F.kl_div(input=log q, target=p, reduction='sum') = Σ p·(log p − log q).
    expected = F.kl_div(q.log(), p, reduction="sum").item()
    expected_reverse = F.kl_div(p.log(), q, reduction="sum").item()
    result = kl_divergence(p.tolist(), q.tolist())
    assert result.kl_pq == pytest.approx(expected, rel=1e-10)
    assert result.kl_qp == pytest.approx(expected_reverse, rel=1e-10)


def test_kl_with_zero_in_q_is_infinite_with_the_offending_index_and_reverse_stays_finite():
    result = kl_divergence([0.25, 0.25, 0.5], [0.5, 0.5, 0.0])
    assert result.kl_pq is None and result.kl_pq_infinite is True
    assert result.kl_pq_infinite_index == 2
    assert result.cross_entropy_pq is None
    # Hand: KL(q‖p) = 2·½·ln(½/¼) = ln 2 (q has no mass at index 2, so that term is 0).
    assert result.kl_qp == pytest.approx(LN2)
    assert result.kl_qp_infinite is False and result.kl_qp_infinite_index is None
    assert result.asymmetry is None
    assert "q[2] = 0" in result.note
    assert result.model_dump_json()


def test_jensen_shannon_of_disjoint_distributions_is_one_bit():
    # Hand derivation: disjoint supports → m = ½(p+q), KL(p‖m) = KL(q‖m) = ln 2, JS = 1 bit; both KLs are ∞.
    result = kl_divergence([1.0, 0.0], [0.0, 1.0], base="2")
    assert result.js_divergence == pytest.approx(1.0)
    assert result.kl_pq is None and result.kl_qp is None


def test_kl_divergence_of_identical_distributions_is_zero():
    result = kl_divergence([0.2, 0.3, 0.5], [0.2, 0.3, 0.5])
    assert result.kl_pq == 0.0 and result.kl_qp == 0.0 and result.js_divergence == 0.0


# ---------------------------------------------------------------------------------------------- properties


def _weights(n: int, zeros: bool):
    low = 0.0 if zeros else 1e-3
    return st.lists(st.floats(low, 1.0), min_size=n, max_size=n).filter(lambda w: sum(w) > 1e-3)


pairs = st.integers(1, 12).flatmap(lambda n: st.tuples(_weights(n, zeros=True), _weights(n, zeros=False)))


@settings(max_examples=60, deadline=None)
@given(pairs, st.sampled_from(["e", "2", "10"]))
def test_kl_properties(pair, base):
    p, q = pair
    result = kl_divergence(p, q, base=base, normalize=True)
    assert result.kl_pq >= 0  # Gibbs' inequality
    assert result.kl_pq == pytest.approx(
        result.cross_entropy_pq - result.entropy_p, abs=1e-9
    )  # KL = H(p,q) − H(p)
    assert result.cross_entropy_pq >= result.entropy_p
    assert 0 <= result.js_divergence <= math.log(2.0) / {"e": 1, "2": LN2, "10": math.log(10)}[base] + 1e-12
    same = kl_divergence(p, p, base=base, normalize=True)
    assert same.kl_pq == 0.0  # KL(p‖p) = 0


@settings(max_examples=60, deadline=None)
@given(pairs)
def test_cross_entropy_is_at_least_entropy_and_agrees_with_kl_divergence(pair):
    p, q = pair
    ce = cross_entropy(p, q, normalize=True)
    kl = kl_divergence(p, q, normalize=True)
    assert ce.cross_entropy >= ce.entropy_p
    assert ce.cross_entropy == pytest.approx(kl.cross_entropy_pq, rel=1e-12)
    assert ce.kl_divergence == pytest.approx(kl.kl_pq, rel=1e-12, abs=1e-15)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 12).flatmap(lambda n: st.tuples(_weights(n, True), _weights(n, True))))
def test_kl_is_infinite_exactly_when_q_misses_mass_of_p(pair):
    p, q = pair
    total_p, total_q = sum(p), sum(q)
    misses = [i for i, (x, y) in enumerate(zip(p, q, strict=True)) if x / total_p > 0 and y / total_q == 0]
    result = kl_divergence(p, q, normalize=True)
    assert result.kl_pq_infinite == bool(misses)
    assert result.kl_pq_infinite_index == (misses[0] if misses else None)


@settings(max_examples=40, deadline=None)
@given(_weights(8, zeros=True))
def test_entropy_units_convert_by_log_of_the_base_and_stay_within_log_n(weights):
    nats = entropy(weights, normalize=True)
    bits = entropy(weights, base="2", normalize=True)
    assert bits.entropy == pytest.approx(nats.entropy / LN2, abs=1e-12)
    assert 0 <= nats.entropy <= math.log(8) + 1e-12
    assert 1 - 1e-12 <= nats.perplexity <= 8 + 1e-9


# ---------------------------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("name", "arguments", "field"),
    [
        ("entropy", {"p": []}, "p"),
        ("entropy", {"p": [0.5, float("nan")]}, "p"),
        ("entropy", {"p": [0.5, 0.5], "base": "3"}, "base"),
        ("cross_entropy", {"p": [1.0], "q": [float("inf")]}, "q"),
        ("kl_divergence", {"p": [1.0]}, "q"),
        ("kl_divergence", {"p": [1.0], "q": [1.0], "extra": 1}, "extra"),
    ],
)
def test_schema_violations_name_the_field(name, arguments, field):
    assert _rejected(name, arguments).field.split(".")[0] == field


def test_sum_off_by_more_than_tolerance_is_rejected_with_the_normalize_hint():
    error = _rejected("entropy", {"p": [0.5, 0.4]})
    assert error.field == "p"
    assert "sum to 1" in error.reason and "0.9" in error.reason and "normalize=true" in error.reason


def test_negative_probability_names_its_index():
    with pytest.raises(ToolInputError, match=r"p\[1\] = -0.1") as caught:
        entropy([0.6, -0.1, 0.5])
    assert caught.value.field == "p"


def test_q_problems_name_q():
    with pytest.raises(ToolInputError, match="q: must sum to 1"):
        kl_divergence([0.5, 0.5], [0.5, 0.6])
    with pytest.raises(ToolInputError, match="q: must have the same length as p"):
        cross_entropy([0.5, 0.5], [1.0])


def test_all_zero_weights_cannot_be_normalized():
    with pytest.raises(ToolInputError, match="p: sums to 0"):
        entropy([0.0, 0.0], normalize=True)


def test_non_finite_entries_are_rejected_on_direct_calls_too():
    with pytest.raises(ToolInputError, match=r"p\[1\] = nan"):
        entropy([0.5, math.nan])
    with pytest.raises(ToolInputError, match=r"q\[0\] = inf"):
        kl_divergence([1.0], [math.inf])


def test_importing_the_tool_modules_does_not_import_torch():
    code = (
        "import sys, tools.information.measures, tools.information.losses, tools.complexity.layers; "
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
