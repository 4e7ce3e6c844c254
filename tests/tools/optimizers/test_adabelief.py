"""AdaBelief against the equations of Zhuang et al. (NeurIPS 2020), Algorithm 2, worked by hand."""

import io
import math

import pytest
import torch

from tools.optimizers.adabelief import AdaBelief
from tools.optimizers.problems import make_problem, run_optimizer


def _steps(opt: AdaBelief, param: torch.Tensor, grads: list[float]) -> list[float]:
    """Feed the given gradients one step at a time; return θ after each step."""
    seen = []
    for g in grads:
        param.grad = torch.tensor([g], dtype=torch.float64)
        opt.step()
        seen.append(param.item())
    return seen


def test_first_three_steps_match_the_papers_equations_by_hand() -> None:
    # θ₀ = 1, lr α = 0.1, β1 = 0.9, β2 = 0.999, gradients g = 2, −1, 0.5 (given, not computed).
    # Paper: m_t = β1·m + (1−β1)·g;  s_t = β2·s + (1−β2)·(g − m_t)² + ε;  m̂ = m/(1−β1^t);  ŝ = s/(1−β2^t);
    #        θ_t = θ_{t−1} − α·m̂/(√ŝ + ε).  The default ε = 1e-16 moves these numbers by < 1e-13.
    # t=1: m = 0.1·2 = 0.2;  g − m = 1.8;  s = 0.001·1.8² = 0.00324;  m̂ = 0.2/0.1 = 2
    #      ŝ = 0.00324/0.001 = 3.24;  √ŝ = 1.8;  θ₁ = 1 − 0.1·2/1.8 = 1 − 0.111111… = 0.888888…
    # t=2: m = 0.9·0.2 + 0.1·(−1) = 0.08;  g − m = −1.08;  s = 0.999·0.00324 + 0.001·1.1664 = 0.00440316
    #      m̂ = 0.08/(1 − 0.81) = 0.4210526…;  ŝ = 0.00440316/(1 − 0.999²) = 0.00440316/0.001999 = 2.2026813…
    #      √ŝ = 1.4841433…;  θ₂ = 0.8888889 − 0.1·0.4210526/1.4841433 = 0.8888889 − 0.0283701 = 0.8605188
    # t=3: m = 0.9·0.08 + 0.1·0.5 = 0.122;  g − m = 0.378
    #      s = 0.999·0.00440316 + 0.001·0.142884 = 0.00454164084
    #      m̂ = 0.122/(1 − 0.729) = 0.4501845…;  ŝ = 0.00454164084/(1 − 0.999³) = 0.00454164084/0.002997001
    #        = 1.5153952…;  √ŝ = 1.2310139…;  θ₃ = 0.8605188 − 0.1·0.4501845/1.2310139 = 0.8605188 − 0.0365702
    #        = 0.8239486
    param = torch.tensor([1.0], dtype=torch.float64, requires_grad=True)
    opt = AdaBelief([param], lr=0.1)
    thetas = _steps(opt, param, [2.0, -1.0, 0.5])
    assert thetas == pytest.approx([1 - 0.1 * 2 / 1.8, 0.860518809595955, 0.8239485881254872], abs=1e-12)
    state = opt.state[param]
    assert state["step"] == 3
    assert state["exp_avg"].item() == pytest.approx(0.122, abs=1e-15)
    assert state["exp_avg_var"].item() == pytest.approx(0.00454164084, abs=1e-14)


def test_epsilon_enters_inside_the_square_root_and_again_outside() -> None:
    # ε = 0.01, θ₀ = 1, g = 2:  s₁ = 0.001·1.8² + 0.01 = 0.01324;  ŝ₁ = 13.24;  √ŝ₁ = 3.6386811
    # θ₁ = 1 − 0.1·2/(3.6386811 + 0.01) = 1 − 0.0548143 = 0.9451857
    # (ε only outside the root, as in Adam, would give 1 − 0.2/(1.8 + 0.01) = 0.8895028.)
    param = torch.tensor([1.0], dtype=torch.float64, requires_grad=True)
    opt = AdaBelief([param], lr=0.1, eps=0.01)
    (theta,) = _steps(opt, param, [2.0])
    assert theta == pytest.approx(1 - 0.2 / (math.sqrt(13.24) + 0.01), abs=1e-13)
    assert theta == pytest.approx(0.9451857, abs=1e-7)


def test_weight_decay_is_decoupled_from_the_adaptive_step() -> None:
    # θ₀ = 1, lr 0.1, weight_decay 0.5, g = 2:  θ ← 1·(1 − 0.1·0.5) = 0.95, then − 0.1·2/1.8 → 0.8388889.
    # (Coupled L2 would feed g + 0.5·θ = 2.5 through the same step: 1 − 0.1·2.5/2.25 = 0.8888889.)
    param = torch.tensor([1.0], dtype=torch.float64, requires_grad=True)
    opt = AdaBelief([param], lr=0.1, weight_decay=0.5)
    (theta,) = _steps(opt, param, [2.0])
    assert theta == pytest.approx(0.95 - 0.1 * 2 / 1.8, abs=1e-12)


def test_each_coordinate_gets_its_own_step() -> None:
    # First step: m̂₁ = g and √ŝ₁ = √((1−β2)·(g − 0.1g)²/(1−β2)) = 0.9·|g|, so every coordinate moves by
    # lr/0.9 against its gradient's sign, whatever the gradient's size (the t=1 case worked above). ε = 1e-16
    # in s₁ = 0.00081·g² shifts the smallest coordinate (g = 1e-3) by a relative 1e-16/8.1e-10/2 ≈ 6e-8.
    param = torch.tensor([0.0, 0.0, 0.0], dtype=torch.float64, requires_grad=True)
    opt = AdaBelief([param], lr=0.09)
    param.grad = torch.tensor([1e-3, -5.0, 300.0], dtype=torch.float64)
    opt.step()
    assert param.tolist() == pytest.approx([-0.1, 0.1, -0.1], rel=1e-7)


def test_converges_on_the_ill_conditioned_quadratic() -> None:
    problem = make_problem("quadratic")
    run = run_optimizer(problem, "adabelief", lr=0.3, steps=500)
    assert run.diverged_at is None
    assert run.losses[0] > 200  # ½zᵀAz at (−2, 1.5) ≈ 264.8
    assert run.losses[-1] < 1e-10
    assert run.final_point == pytest.approx([0.0, 0.0], abs=1e-5)


def test_trains_a_module_with_autograd_and_a_closure() -> None:
    torch.manual_seed(0)
    features = torch.randn(64, 3)
    targets = features @ torch.tensor([1.0, -2.0, 0.5]) + 0.3
    model = torch.nn.Linear(3, 1)
    opt = AdaBelief(model.parameters(), lr=0.05)

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(model(features).squeeze(1), targets)
        loss.backward()
        return loss

    first = closure().item()
    for _ in range(300):
        last = opt.step(closure)
    assert last.item() < first * 1e-3
    assert model.weight.detach().squeeze().tolist() == pytest.approx([1.0, -2.0, 0.5], abs=1e-2)


def test_state_dict_round_trip_continues_identically() -> None:
    def make() -> tuple[torch.Tensor, AdaBelief]:
        param = torch.tensor([1.0, -1.0], dtype=torch.float64, requires_grad=True)
        return param, AdaBelief([param], lr=0.1, weight_decay=0.01)

    a, opt_a = make()
    for g in ([1.0, 2.0], [-0.5, 0.3]):
        a.grad = torch.tensor(g, dtype=torch.float64)
        opt_a.step()
    b, opt_b = make()
    with torch.no_grad():
        b.copy_(a)
    saved = io.BytesIO()
    torch.save(opt_a.state_dict(), saved)
    saved.seek(0)
    opt_b.load_state_dict(torch.load(saved))
    for opt, param in ((opt_a, a), (opt_b, b)):
        param.grad = torch.tensor([0.7, -0.1], dtype=torch.float64)
        opt.step()
    assert torch.equal(a, b)


def test_parameters_without_gradients_are_left_alone() -> None:
    used = torch.tensor([1.0], requires_grad=True)
    unused = torch.tensor([5.0], requires_grad=True)
    opt = AdaBelief([{"params": [used]}, {"params": [unused], "lr": 1.0}], lr=0.1)
    used.grad = torch.tensor([1.0])
    opt.step()
    assert unused.item() == 5.0
    assert unused not in opt.state
    assert used.item() == pytest.approx(1 - 0.1 / 0.9, abs=1e-6)


@pytest.mark.parametrize(
    "kwargs",
    [{"lr": -1.0}, {"eps": -1e-8}, {"betas": (1.0, 0.999)}, {"betas": (0.9, -0.1)}, {"weight_decay": -0.1}],
)
def test_rejects_invalid_hyper_parameters(kwargs: dict) -> None:
    with pytest.raises(ValueError, match="Invalid"):
        AdaBelief([torch.zeros(1, requires_grad=True)], **kwargs)


def test_rejects_sparse_gradients() -> None:
    param = torch.zeros(3, requires_grad=True)
    opt = AdaBelief([param])
    param.grad = torch.sparse_coo_tensor([[0]], [1.0], (3,), check_invariants=True)
    with pytest.raises(RuntimeError, match="sparse"):
        opt.step()


# --- against the authors' package ------------------------------------------------------------------------

_OPTIONS = ("rectify", "amsgrad", "weight_decouple", "fixed_decay")


def _reference_trajectory(options: dict[str, bool], *, steps: int, weight_decay: float) -> list[list[float]]:
    """θ after each step of adabelief-pytorch 0.2.1's AdaBelief (the authors' package, a dev dependency) on
    the rosenbrock problem from (−1.5, 2), float64."""
    import contextlib

    from adabelief_pytorch import AdaBelief as Reference

    return _trajectory(
        lambda params: Reference(
            params, lr=0.01, weight_decay=weight_decay, print_change_log=False, **options
        ),
        steps=steps,
        quiet=contextlib.redirect_stdout(io.StringIO()),  # it prints which options are on
    )


def _trajectory(make, *, steps: int, quiet=None) -> list[list[float]]:
    import contextlib

    problem = make_problem("rosenbrock")
    param = torch.tensor(problem.start, dtype=torch.float64, requires_grad=True)
    with quiet or contextlib.nullcontext():
        opt = make([param])
    seen = []
    for _ in range(steps):
        _, grad = problem.loss_and_grad(param.detach())
        param.grad = grad.clone()
        opt.step()
        seen.append(param.detach().tolist())
    return seen


@pytest.mark.parametrize(
    "flags",
    [tuple(bool(n >> i & 1) for i in range(4)) for n in range(16)],
    ids=lambda f: "".join("01"[x] for x in f),
)
@pytest.mark.parametrize("weight_decay", [0.0, 0.1])
def test_every_option_combination_matches_adabelief_pytorch(flags, weight_decay) -> None:
    # adabelief-pytorch 0.2.1 (juntang-zhuang/Adabelief-Optimizer, pypi_packages/adabelief_pytorch0.2.1):
    # 40 steps cover rectification's SGD phase (ρ_t < 5 for t ≤ 5 at β2 = 0.999) and its adaptive phase
    options = dict(zip(_OPTIONS, flags, strict=True))
    ours = _trajectory(
        lambda params: AdaBelief(params, lr=0.01, weight_decay=weight_decay, **options), steps=40
    )
    reference = _reference_trajectory(options, steps=40, weight_decay=weight_decay)
    for mine, theirs in zip(ours, reference, strict=True):
        assert mine == pytest.approx(theirs, abs=1e-12, rel=1e-12)
    assert ours[-1] != ours[0]  # it moved


def test_without_degeneration_rectify_skips_the_first_steps_like_the_reference() -> None:
    options = {"rectify": True, "degenerated_to_sgd": False}
    ours = _trajectory(lambda params: AdaBelief(params, lr=0.01, **options), steps=8)
    reference = _reference_trajectory(options, steps=8, weight_decay=0.0)
    for mine, theirs in zip(ours, reference, strict=True):
        assert mine == pytest.approx(theirs, abs=1e-12)
    assert ours[:5] == [[-1.5, 2.0]] * 5  # ρ_t < 5 for t ≤ 5 at β2 = 0.999: no step at all
    assert ours[5] != [-1.5, 2.0]


def test_the_default_is_the_papers_unrectified_algorithm() -> None:
    # adabelief-pytorch defaults to rectify=True: its first step is momentum SGD, θ − lr·m̂₁ = θ − lr·g₁
    # (ρ₁ < 5); ours (the paper's Algorithm 2) moves every coordinate by lr/0.9 against its gradient's sign
    # (see test_each_coordinate_gets_its_own_step)
    ours = _trajectory(lambda params: AdaBelief(params, lr=0.01), steps=1)
    package_default = _reference_trajectory({}, steps=1, weight_decay=0.0)
    assert ours[0] == pytest.approx(
        [-1.5 + 0.01 / 0.9, 2.0 + 0.01 / 0.9], rel=1e-12
    )  # ∇f(−1.5, 2) = (−155, −50)
    assert package_default[0] != pytest.approx(ours[0])
    (rectified,) = _trajectory(lambda params: AdaBelief(params, lr=0.01, rectify=True), steps=1)
    assert rectified == pytest.approx(package_default[0], abs=1e-15)
    assert rectified == pytest.approx([-1.5 + 0.01 * 155, 2.0 + 0.01 * 50], abs=1e-12)


def test_coupled_weight_decay_leaves_the_callers_gradient_alone() -> None:
    param = torch.tensor([1.0], dtype=torch.float64, requires_grad=True)
    opt = AdaBelief([param], lr=0.1, weight_decay=0.5, weight_decouple=False)
    param.grad = torch.tensor([2.0], dtype=torch.float64)
    opt.step()
    assert param.grad.item() == 2.0
    # L2: g + 0.5·θ = 2.5 goes through the adaptive step: first step moves lr/0.9 against it
    assert param.item() == pytest.approx(1 - 0.1 / 0.9, rel=1e-12)
