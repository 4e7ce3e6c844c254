"""classification_loss and distillation_loss against torch.nn.functional and hand derivations."""

import math

import pytest
import torch
import torch.nn.functional as F

from tools.catalog import call_tool
from tools.errors import ToolInputError
from tools.information.losses import classification_loss, distillation_loss


def _random(rows: int, cols: int, seed: int, scale: float = 3.0) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(rows, cols, generator=gen, dtype=torch.float64) * scale


def _rejected(name: str, arguments: dict) -> ToolInputError:
    with pytest.raises(ToolInputError) as caught:
        call_tool(name, arguments)
    return caught.value


# ------------------------------------------------------------------------------------------ classification


def test_classification_loss_matches_torch_cross_entropy():
    logits = _random(16, 10, seed=0)
    labels = torch.randint(0, 10, (16,), generator=torch.Generator().manual_seed(1))
    result = classification_loss(logits.tolist(), labels.tolist())
    # reference: torch.nn.functional.cross_entropy, mean and reduction='none'.
    assert result.mean_loss == pytest.approx(F.cross_entropy(logits, labels).item(), rel=1e-12)
    expected_rows = F.cross_entropy(logits, labels, reduction="none").tolist()
    assert [row.loss for row in result.per_sample] == pytest.approx(expected_rows, rel=1e-12)
    assert [row.predicted for row in result.per_sample] == logits.argmax(1).tolist()
    assert result.accuracy == pytest.approx((logits.argmax(1) == labels).double().mean().item())


def test_label_smoothing_and_ignore_index_match_torch():
    logits = _random(12, 5, seed=2)
    labels = torch.tensor([0, 1, -100, 3, 4, -100, 2, 2, 1, 0, -100, 4])
    result = classification_loss(logits.tolist(), labels.tolist(), label_smoothing=0.1)
    # reference: torch's label_smoothing=0.1 with the default ignore_index=-100.
    expected = F.cross_entropy(logits, labels, label_smoothing=0.1)
    expected_rows = F.cross_entropy(logits, labels, label_smoothing=0.1, reduction="none")
    assert result.mean_loss == pytest.approx(expected.item(), rel=1e-12)
    assert [row.loss for row in result.per_sample] == pytest.approx(
        expected_rows.tolist(), rel=1e-12, abs=1e-15
    )
    assert result.counted == 9
    assert [row.ignored for row in result.per_sample].count(True) == 3
    assert result.per_sample[2].label_probability is None


def test_custom_ignore_index_matches_torch():
    logits = _random(6, 4, seed=3)
    labels = torch.tensor([0, 1, 2, 3, 3, 0])
    result = classification_loss(logits.tolist(), labels.tolist(), ignore_index=3)
    assert result.mean_loss == pytest.approx(
        F.cross_entropy(logits, labels, ignore_index=3).item(), rel=1e-12
    )
    assert result.counted == 4


def test_two_equal_logits_give_ln_2():
    # Hand derivation: softmax([0, 0]) = [½, ½], −ln ½ = ln 2; the uniform-guess loss ln C is the same.
    result = classification_loss([[0.0, 0.0]], [1])
    assert result.mean_loss == pytest.approx(math.log(2))
    assert result.uniform_loss == pytest.approx(math.log(2))
    assert result.per_sample[0].label_probability == pytest.approx(0.5)
    assert result.perplexity == pytest.approx(2.0)


def test_large_logits_stay_finite_and_exact():
    # Hand derivation: logsumexp([1000, 0]) = 1000 + ln(1 + e^−1000) = 1000 to double precision, so
    # the loss of label 1 is 1000 − 0 = 1000 and of label 0 is ~0. A naive exp(1000) overflows.
    result = classification_loss([[1000.0, 0.0], [1000.0, 0.0]], [1, 0])
    assert result.per_sample[0].loss == pytest.approx(1000.0)
    assert result.per_sample[1].loss == pytest.approx(0.0, abs=1e-300)
    assert result.mean_loss == pytest.approx(500.0)
    assert result.model_dump_json()


def test_every_row_ignored_has_no_mean():
    result = classification_loss([[1.0, 2.0], [0.0, 1.0]], [-100, -100])
    assert result.mean_loss is None and result.accuracy is None and result.perplexity is None
    assert result.counted == 0
    assert "no mean" in result.note


def test_classification_loss_through_the_catalogue():
    result = call_tool("classification_loss", {"logits": [[2.0, 0.5, -1.0]], "labels": [0]})
    # Hand derivation: −ln(e² / (e² + e^0.5 + e^−1)).
    expected = -(2.0 - math.log(math.exp(2.0) + math.exp(0.5) + math.exp(-1.0)))
    assert result.mean_loss == pytest.approx(expected)


def test_ragged_logits_name_the_row():
    with pytest.raises(ToolInputError, match="row 2 has 2 logits but row 0 has 3") as caught:
        classification_loss([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0], [1.0, 2.0]], [0, 1, 1])
    assert caught.value.field == "logits"


def test_label_out_of_range_names_the_label():
    with pytest.raises(ToolInputError, match=r"labels\[1\] = 3 is out of range for 3 classes") as caught:
        classification_loss([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]], [0, 3])
    assert caught.value.field == "labels"


def test_label_count_must_match_rows():
    with pytest.raises(ToolInputError, match="labels: needs one label per row of logits"):
        classification_loss([[1.0, 2.0], [1.0, 2.0]], [0])


def test_batch_times_classes_is_bounded():
    row = [0.0] * 1001
    with pytest.raises(ToolInputError, match="exceeds the limit") as caught:
        classification_loss([row] * 1000, [0] * 1000)
    assert caught.value.field == "logits"


def test_non_finite_logits_are_rejected_on_direct_calls():
    with pytest.raises(ToolInputError, match="row 0, class 1"):
        classification_loss([[0.0, math.inf]], [0])


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"logits": [], "labels": [0]}, "logits"),
        ({"logits": [[]], "labels": [0]}, "logits"),
        ({"logits": [[1.0, float("nan")]], "labels": [0]}, "logits"),
        ({"logits": [[1.0, 2e9]], "labels": [0]}, "logits"),
        ({"logits": [[1.0, 2.0]], "labels": [0], "label_smoothing": 1.5}, "label_smoothing"),
        ({"logits": [[1.0, 2.0]], "labels": ["a"]}, "labels"),
    ],
)
def test_classification_schema_violations_name_the_field(arguments, field):
    assert _rejected("classification_loss", arguments).field.split(".")[0] == field


# ---------------------------------------------------------------------------------------------- distillation


def _reference_distillation(student, teacher, t, alpha, labels=None):
    # reference: the usual PyTorch recipe for Hinton et al. (2015), "Distilling the Knowledge in a Neural
    # Network": batchmean KL of the softened distributions × T², plus (1 − α) hard-label CE.
    soft = F.kl_div(F.log_softmax(student / t, 1), F.softmax(teacher / t, 1), reduction="batchmean") * t * t
    if labels is None:
        return alpha * soft.item()
    return (alpha * soft + (1 - alpha) * F.cross_entropy(student, labels)).item()


@pytest.mark.parametrize("temperature", [1.0, 2.0, 4.0, 20.0])
def test_distillation_matches_the_torch_recipe(temperature):
    student, teacher = _random(8, 6, seed=4), _random(8, 6, seed=5)
    labels = torch.randint(0, 6, (8,), generator=torch.Generator().manual_seed(6))
    result = distillation_loss(
        student.tolist(), teacher.tolist(), temperature, alpha=0.7, labels=labels.tolist()
    )
    assert result.loss == pytest.approx(
        _reference_distillation(student, teacher, temperature, 0.7, labels), rel=1e-12
    )
    assert result.hard_loss == pytest.approx(F.cross_entropy(student, labels).item(), rel=1e-12)
    assert result.soft_loss == pytest.approx(temperature**2 * result.kl_divergence)


def test_pure_distillation_without_labels():
    student, teacher = _random(5, 4, seed=7), _random(5, 4, seed=8)
    result = distillation_loss(student.tolist(), teacher.tolist(), 3.0)
    assert result.loss == pytest.approx(_reference_distillation(student, teacher, 3.0, 1.0), rel=1e-12)
    assert result.hard_loss is None
    assert all(row.hard_loss is None for row in result.per_sample)
    assert sum(row.soft_loss for row in result.per_sample) / 5 == pytest.approx(result.soft_loss)


def test_distillation_by_hand():
    # Hand derivation: teacher uniform [½, ½]; student logits [ln 3, 0] → [¾, ¼] at T = 1.
    # KL(teacher‖student) = ½ln(½/¾) + ½ln(½/¼) = ½ln(4/3).
    result = distillation_loss([[math.log(3.0), 0.0]], [[0.0, 0.0]], 1.0)
    assert result.kl_divergence == pytest.approx(0.5 * math.log(4 / 3))
    assert result.teacher_entropy == pytest.approx(math.log(2))
    assert result.per_sample[0].teacher_top == 0 and result.per_sample[0].student_top == 0


def test_student_equal_to_teacher_has_zero_soft_loss():
    logits = _random(4, 5, seed=9).tolist()
    result = distillation_loss(logits, logits, 2.0)
    assert result.soft_loss == pytest.approx(0.0, abs=1e-14)
    assert result.agreement == 1.0


def test_distillation_is_stable_for_large_logits():
    # Hand derivation at T = 1: teacher ≈ [1, 0], log student = [−10⁴, 0] → KL = 1·(0 − (−10⁴)) = 10⁴.
    result = distillation_loss([[0.0, 1e4]], [[1e4, 0.0]], 1.0)
    assert result.kl_divergence == pytest.approx(1e4)
    assert result.agreement == 0.0


def test_labels_with_alpha_one_are_reported_but_not_mixed():
    student, teacher = _random(3, 3, seed=10), _random(3, 3, seed=11)
    result = distillation_loss(student.tolist(), teacher.tolist(), 2.0, labels=[0, 1, 2])
    assert result.loss == pytest.approx(result.soft_loss)
    assert result.hard_loss is not None
    assert "zero weight" in result.note


def test_alpha_below_one_needs_labels():
    with pytest.raises(ToolInputError, match="pass labels or set alpha=1") as caught:
        distillation_loss([[1.0, 2.0]], [[2.0, 1.0]], 2.0, alpha=0.5)
    assert caught.value.field == "labels"


def test_shapes_must_match():
    with pytest.raises(
        ToolInputError, match=r"shape \[1, 3\] differs from student_logits \[1, 2\]"
    ) as caught:
        distillation_loss([[1.0, 2.0]], [[2.0, 1.0, 0.0]], 2.0)
    assert caught.value.field == "teacher_logits"


def test_distillation_labels_are_checked():
    with pytest.raises(ToolInputError, match=r"labels\[0\] = 5") as caught:
        distillation_loss([[1.0, 2.0]], [[2.0, 1.0]], 2.0, alpha=0.5, labels=[5])
    assert caught.value.field == "labels"


def test_ragged_student_names_the_row():
    with pytest.raises(ToolInputError, match="row 1 has 1 logits") as caught:
        distillation_loss([[1.0, 2.0], [1.0]], [[2.0, 1.0], [0.0, 0.0]], 2.0)
    assert caught.value.field == "student_logits"


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"student_logits": [[1.0]], "teacher_logits": [[1.0]], "temperature": 0}, "temperature"),
        ({"student_logits": [[1.0]], "teacher_logits": [[1.0]], "temperature": 2, "alpha": 2}, "alpha"),
        ({"student_logits": [[1.0]], "teacher_logits": [[1.0]]}, "temperature"),
        ({"student_logits": [], "teacher_logits": [[1.0]], "temperature": 2}, "student_logits"),
    ],
)
def test_distillation_schema_violations_name_the_field(arguments, field):
    assert _rejected("distillation_loss", arguments).field.split(".")[0] == field
