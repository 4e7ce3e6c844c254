"""gaussian_kl against hand derivations and torch.distributions' closed-form KL."""

import math

import pytest
import torch
from torch.distributions import Normal, kl_divergence

from tools.catalog import call_tool
from tools.errors import ToolInputError
from tools.information.gaussian import gaussian_kl


def test_two_unit_variance_gaussians_one_apart():
    # Hand derivation: ln(1/1) + (1 + (0 − 1)²)/2 − ½ = 0.5 nats, the same both ways (equal variances)
    result = gaussian_kl(0.0, p_var=1.0, q_mean=1.0, q_var=1.0)
    assert result.kl_pq == pytest.approx(0.5) and result.kl_qp == pytest.approx(0.5)
    assert result.dimensions == 1 and result.unit == "nats"


@pytest.mark.parametrize(
    ("p", "q"), [((0.3, 0.5), (-1.2, 2.0)), ((5.0, 1e-3), (4.0, 3.0)), ((0.0, 10.0), (0.0, 0.1))]
)
def test_matches_torch_distributions_both_ways(p, q):
    result = gaussian_kl(p[0], p_std=p[1], q_mean=q[0], q_std=q[1])
    f64 = torch.float64
    p_dist = Normal(torch.tensor(p[0], dtype=f64), torch.tensor(p[1], dtype=f64))
    q_dist = Normal(torch.tensor(q[0], dtype=f64), torch.tensor(q[1], dtype=f64))
    assert result.kl_pq == pytest.approx(kl_divergence(p_dist, q_dist).item(), rel=1e-12)
    assert result.kl_qp == pytest.approx(kl_divergence(q_dist, p_dist).item(), rel=1e-12)


def test_a_vae_latent_against_the_standard_normal_prior():
    # Kingma & Welling 2014, Appendix B: −KL = ½ Σ (1 + ln σ² − μ² − σ²). By hand for μ = [0.5, −1],
    # σ² = [0.64, 0.25]: ½(0.25 + 0.64 − 1 − ln 0.64) + ½(1 + 0.25 − 1 − ln 0.25) = 0.168144 + 0.818147
    result = call_tool("gaussian_kl", {"p_mean": [0.5, -1.0], "p_var": [0.64, 0.25]})
    mu, var = torch.tensor([0.5, -1.0], dtype=torch.float64), torch.tensor([0.64, 0.25], dtype=torch.float64)
    vae_term = (0.5 * (mu**2 + var - 1 - torch.log(var))).tolist()
    assert result.per_dimension == pytest.approx(vae_term, rel=1e-12)
    assert result.kl_pq == pytest.approx(0.168144 + 0.818147, abs=1e-6)
    assert "VAE" in result.note and result.q_mean == [0.0, 0.0] and result.q_std == [1.0, 1.0]


def test_bits_and_a_number_shared_by_every_dimension():
    nats = gaussian_kl([0.0, 1.0, 2.0], p_std=0.5, q_mean=1.0)
    bits = gaussian_kl([0.0, 1.0, 2.0], p_std=0.5, q_mean=1.0, base="2")
    assert bits.unit == "bits" and bits.kl_pq == pytest.approx(nats.kl_pq / math.log(2))
    assert nats.p_std == [0.5, 0.5, 0.5] and nats.dimensions == 3


def test_identical_gaussians_have_zero_divergence():
    assert gaussian_kl([0.1, 0.2], p_std=[0.3, 0.4], q_mean=[0.1, 0.2], q_std=[0.3, 0.4]).kl_pq == 0.0


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"p_mean": 0.0, "p_std": 0.0}, "p_std"),
        ({"p_mean": 0.0, "p_var": -1.0}, "p_var"),
        ({"p_mean": 0.0, "p_std": 1.0, "p_var": 1.0}, "p_var"),
        ({"p_mean": [0.0, 1.0], "p_std": [1.0, 1.0, 1.0]}, "p_mean"),  # 2 means for 3 dimensions
        ({"p_mean": 0.0, "q_std": [1.0, -2.0]}, "q_std"),
    ],
)
def test_bad_input_names_the_field(arguments, field):
    with pytest.raises(ToolInputError) as caught:
        gaussian_kl(**arguments)
    assert caught.value.field == field
