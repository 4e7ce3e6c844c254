"""Optimizers: which one to pick (a transparent rule table), real comparison runs, learning-rate sweeps.

The runs use the real ``torch.optim`` classes (and :class:`tools.adabelief.AdaBelief`) on the problems of
:mod:`tools.problems`; torch and matplotlib are imported inside the tools, never at module import.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Literal, get_args

from pydantic import Field

from tools._common import PlotResult, ResultModel, render_png, report_progress
from tools.errors import ToolInputError

if TYPE_CHECKING:  # tools.problems imports torch: only for annotations here
    from tools.problems import Assessment, Problem, Run

__all__ = [
    "CompareOptimizersResult",
    "LearningRateOutcome",
    "LearningRateSweepResult",
    "OptimizerChoice",
    "OptimizerRun",
    "RecommendOptimizerResult",
    "compare_optimizers",
    "learning_rate_sweep",
    "recommend_optimizer",
]

Task = Literal[
    "image_classification",
    "nlp",
    "llm_finetuning",
    "recommendation",
    "reinforcement_learning",
    "generative",
    "tabular",
    "other",
]
ModelFamily = Literal["cnn", "resnet", "transformer", "rnn", "linear", "gan", "mlp"]
DataKind = Literal["dense", "sparse", "noisy", "small", "large"]
Priority = Literal["generalization", "fast_convergence", "low_memory", "robustness", "little_tuning"]
#: Kept equal to tools.problems.PROBLEM_NAMES / OPTIMIZER_NAMES (a test checks it); defined here so that
#: importing the catalogue does not import torch.
ProblemName = Literal["rosenbrock", "beale", "quadratic", "logistic_regression"]
OptimizerName = Literal["sgd", "momentum", "rmsprop", "adagrad", "adam", "adamw", "adabelief"]

_CURVE_POINTS = 100  # samples per curve in a result: enough to read its shape, small enough for a model


# ----------------------------------------------------------------------------------------------------------
# recommend_optimizer: the table and the rules
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Entry:
    """One row of the optimizer table."""

    key: str
    name: str
    usage: str
    adaptive_lr: bool
    momentum: str
    regularization: str
    strengths: str
    weaknesses: str
    typical_scenarios: str
    defaults: dict[str, float]


# Historical order; ties in the ranking keep it.
_TABLE: tuple[_Entry, ...] = (
    _Entry(
        "sgd", "SGD", "torch.optim.SGD(params, lr=0.01)", False, "none",
        "L2 via weight_decay (for plain SGD identical to decoupled weight decay)",
        "simplest; no optimizer state (lowest memory); well-understood convergence; generalises well "
        "when tuned",
        "slow on ill-conditioned or ravine-shaped losses; one lr for all parameters; needs a tuned lr "
        "schedule",
        "convex models (linear / logistic regression), baselines, memory-starved training",
        {"lr": 0.01},
    ),
    _Entry(
        "momentum", "SGD with momentum (heavy ball)",
        "torch.optim.SGD(params, lr=0.1, momentum=0.9, weight_decay=1e-4)", False, "heavy ball, β = 0.9",
        "L2 via weight_decay (1e-4 – 5e-4 in ResNet recipes)",
        "damps zig-zag across ravines and accelerates along consistent directions; the strongest "
        "generalisation on CNN image classification",
        "needs a tuned lr schedule (step or cosine) and warm-up at large batch; one lr for all parameters; "
        "weak on sparse features",
        "ResNet / CNN image classification (lr 0.1, momentum 0.9, weight decay 1e-4, batch 256; "
        "He et al. 2016), detection and segmentation backbones",
        {"lr": 0.1, "momentum": 0.9, "weight_decay": 1e-4},
    ),
    _Entry(
        "nesterov", "Nesterov accelerated gradient",
        "torch.optim.SGD(params, lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-4)", False,
        "Nesterov look-ahead, β = 0.9", "L2 via weight_decay",
        "momentum with a look-ahead correction: less overshoot, often slightly faster than heavy ball",
        "the same tuning burden as momentum SGD",
        "wherever momentum SGD is used: CNN image classification (Sutskever et al. 2013)",
        {"lr": 0.1, "momentum": 0.9, "weight_decay": 1e-4},
    ),
    _Entry(
        "adagrad", "Adagrad", "torch.optim.Adagrad(params, lr=0.01)", True, "none",
        "L2 via weight_decay (coupled)",
        "per-parameter lr ∝ 1/√Σg²: rare features keep large steps, frequent ones get small steps; ideal for "
        "sparse features; little tuning",
        "the accumulated squares only grow, so the effective lr decays towards zero and long non-convex "
        "runs stall",
        "recommendation / CTR models with sparse ID features, sparse NLP features, word embeddings (GloVe), "
        "convex online learning (Duchi et al. 2011)",
        {"lr": 0.01, "eps": 1e-10},
    ),
    _Entry(
        "rmsprop", "RMSProp", "torch.optim.RMSprop(params, lr=1e-3, alpha=0.99)", True,
        "none by default (optional momentum)", "L2 via weight_decay (coupled)",
        "per-parameter lr from a moving average of g² (no decay to zero, unlike Adagrad); copes with "
        "non-stationary objectives and uneven gradient scales",
        "no bias correction or first-moment averaging: noisier than Adam; oscillates when lr is too large",
        "RNNs / LSTMs (Graves 2013), reinforcement learning (DQN, A3C), the WGAN critic",
        {"lr": 1e-3, "alpha": 0.99, "eps": 1e-8},
    ),
    _Entry(
        "adam", "Adam", "torch.optim.Adam(params, lr=1e-3)", True,
        "moving average of gradients, β1 = 0.9 (bias-corrected)",
        "weight_decay is L2 added to the gradient (coupled) and gets rescaled away: prefer AdamW",
        "fast convergence with default settings on most architectures; per-parameter step sizes",
        "two state buffers (optimizer memory = 2 × parameters); can generalise worse than SGD on vision "
        "(Wilson et al. 2017)",
        "prototyping, MLPs, GANs (lr 2e-4, β1 = 0.5; DCGAN), RL (PPO), deep recommenders (SparseAdam)",
        {"lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8},
    ),
    _Entry(
        "adamw", "AdamW", "torch.optim.AdamW(params, lr=1e-3, weight_decay=0.01)", True,
        "moving average of gradients, β1 = 0.9 (bias-corrected)",
        "decoupled weight decay (Loshchilov & Hutter 2019), typically 0.01 – 0.1",
        "Adam's speed with weight decay that regularises as intended; the standard for transformers",
        "two state buffers (2 × parameters); transformers still need warm-up and a decay schedule",
        "transformers (BERT, GPT, ViT), LLM pre-training and fine-tuning (full fine-tuning lr ~1e-5 – 5e-5, "
        "LoRA lr ~1e-4 – 2e-4)",
        {"lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.01},
    ),
    _Entry(
        "adabelief", "AdaBelief", "tools.adabelief.AdaBelief(params, lr=1e-3)", True,
        "moving average of gradients, β1 = 0.9 (bias-corrected)", "decoupled weight decay",
        "steps scale with the belief in the gradient (1/√EMA of (g − m)²): large where gradients are "
        "consistent, small where they are noisy; Adam-like speed with SGD-like accuracy in its paper's CNN "
        "and GAN runs",
        "newer and less battle-tested; not in torch.optim; its ε sits inside the square root (1e-16 ≈ "
        "Adam's 1e-8)",
        "image classification when Adam-like ease is wanted, GANs, noisy gradients (Zhuang et al. 2020)",
        {"lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-16, "weight_decay": 0.0},
    ),
    _Entry(
        "adafactor", "Adafactor", "torch.optim.Adafactor(params, lr=1e-2)", True, "none",
        "decoupled weight decay (weight_decay argument)",
        "factored second moment: O(n + m) state per n × m matrix instead of O(n·m); made for large "
        "transformers",
        "less stable without warm-up / update clipping; little gain on small models",
        "T5-style pre-training and fine-tuning of large transformers under memory pressure "
        "(Shazeer & Stern 2018)",
        {"lr": 1e-2, "beta2_decay": -0.8, "weight_decay": 0.0},
    ),
    _Entry(
        "lion", "Lion", "lion_pytorch.Lion(params, lr=1e-4, betas=(0.9, 0.99)) (not in torch.optim)", False,
        "moving average β2 = 0.99, interpolated with β1 = 0.9 for the update",
        "decoupled weight decay (3 – 10 × the AdamW value)",
        "one state buffer (half of Adam's); every coordinate moves by ±lr (sign update); competitive on "
        "large vision and language models (Chen et al. 2023)",
        "needs an lr 3 – 10 × smaller than AdamW's; sensitive to batch size; third-party package",
        "large transformer and diffusion training under memory pressure",
        {"lr": 1e-4, "beta1": 0.9, "beta2": 0.99},
    ),
)  # fmt: skip

#: The rule table: (input, value) → {optimizer: (points, why)}. An optimizer's score is the sum of the points
#: of the rules its inputs select. Every number here is visible in the result's ``rules`` and ``reasons``.
_RULES: dict[tuple[str, str], dict[str, tuple[int, str]]] = {
    ("task", "image_classification"): {
        "momentum": (3, "SGD + momentum 0.9 and a step/cosine schedule is the standard classifier recipe"),
        "nesterov": (3, "Nesterov momentum is the common drop-in variant of that recipe"),
        "sgd": (1, "plain SGD works with a tuned schedule, slower than with momentum"),
        "adamw": (1, "AdamW is the usual choice for vision transformers"),
        "adabelief": (1, "AdaBelief matched SGD's CIFAR/ImageNet accuracy in its paper"),
    },
    ("task", "nlp"): {
        "adamw": (3, "AdamW with warm-up is the default for modern NLP models"),
        "adam": (2, "Adam is the classic NLP choice (the Transformer paper used β2 = 0.98)"),
        "adagrad": (1, "Adagrad suits sparse bag-of-words and embedding features"),
        "adafactor": (1, "Adafactor saves memory on large NLP transformers (T5)"),
    },
    ("task", "llm_finetuning"): {
        "adamw": (4, "AdamW is the default of LLM full and LoRA fine-tuning recipes"),
        "adafactor": (2, "Adafactor cuts optimizer memory when fine-tuning large models (T5 recipes)"),
        "adam": (1, "Adam works, but its coupled L2 is not the weight decay fine-tuning recipes assume"),
        "lion": (1, "Lion halves AdamW's state memory and was reported competitive on language models"),
        "momentum": (-1, "momentum SGD is rarely competitive when fine-tuning transformers"),
        "sgd": (-2, "plain SGD fine-tunes transformers poorly (no per-parameter scaling)"),
    },
    ("task", "recommendation"): {
        "adagrad": (3, "Adagrad's per-feature step sizes suit the sparse ID embeddings of recommenders"),
        "adam": (2, "Adam (SparseAdam for sparse embedding gradients) is common in deep recommenders"),
    },
    ("task", "reinforcement_learning"): {
        "rmsprop": (3, "RMSProp trained DQN and A3C and copes with the non-stationary targets of RL"),
        "adam": (2, "Adam is the default of PPO and SAC implementations"),
    },
    ("task", "generative"): {
        "adam": (3, "Adam (β1 = 0.5 for GANs, DCGAN) is the standard for GANs and VAEs"),
        "adamw": (2, "AdamW is the usual choice for diffusion models and generative transformers"),
        "adabelief": (2, "AdaBelief reported stable GAN training in its paper"),
        "rmsprop": (1, "RMSProp is the optimizer of the original WGAN"),
    },
    ("task", "tabular"): {
        "adam": (2, "Adam converges quickly on the MLPs used for tabular data"),
        "adamw": (2, "AdamW adds proper weight decay against over-fitting small tables"),
    },
    ("model_family", "cnn"): {
        "momentum": (2, "momentum SGD is the usual optimizer for convolutional networks"),
        "nesterov": (2, "Nesterov momentum is the common variant for CNNs"),
        "adam": (1, "Adam trains small CNNs quickly with little tuning"),
        "adabelief": (1, "AdaBelief matched SGD on CNNs in its paper"),
    },
    ("model_family", "resnet"): {
        "momentum": (3, "ResNets were trained with SGD, momentum 0.9, lr 0.1, wd 1e-4 (He et al. 2016)"),
        "nesterov": (2, "Nesterov momentum is a common variant of the ResNet recipe"),
        "sgd": (1, "BatchNorm residual nets train well with SGD"),
        "adabelief": (1, "AdaBelief reported ResNet accuracy close to SGD's"),
    },
    ("model_family", "transformer"): {
        "adamw": (4, "AdamW with warm-up is the standard for transformers (BERT, GPT, ViT)"),
        "adam": (1, "Adam works, but decoupled weight decay (AdamW) is preferred"),
        "adafactor": (1, "Adafactor is the memory-saving choice for large transformers (T5)"),
        "lion": (1, "Lion was shown competitive on transformers with half the state"),
        "momentum": (-1, "momentum SGD trains transformers markedly worse than adaptive methods"),
        "sgd": (-2, "plain SGD trains transformers poorly (attention needs per-parameter scaling)"),
    },
    ("model_family", "rnn"): {
        "rmsprop": (3, "RMSProp is the classic RNN/LSTM optimizer (Graves 2013): it evens gradient scales"),
        "adam": (2, "Adam is the usual modern choice for LSTMs and GRUs"),
        "sgd": (-1, "plain SGD struggles with the exploding/vanishing gradient scales of RNNs"),
    },
    ("model_family", "linear"): {
        "sgd": (2, "linear models are convex: plain SGD with a decaying lr converges and needs no state"),
        "adagrad": (2, "Adagrad's guarantees are for convex, sparse-feature models (Duchi et al. 2011)"),
    },
    ("model_family", "gan"): {
        "adam": (3, "Adam with lr 2e-4 and β1 = 0.5 is the DCGAN recipe"),
        "adabelief": (2, "AdaBelief reported more stable GAN training than Adam"),
        "rmsprop": (1, "RMSProp is the original WGAN optimizer"),
        "momentum": (-1, "momentum tends to destabilise adversarial training"),
    },
    ("model_family", "mlp"): {
        "adam": (2, "Adam is the quick, low-tuning default for MLPs"),
        "adamw": (1, "AdamW adds decoupled weight decay to that default"),
    },
    ("data", "sparse"): {
        "adagrad": (4, "rare features keep large steps under Adagrad's per-feature accumulated scaling"),
        "adam": (1, "Adam adapts per parameter (torch.optim.SparseAdam handles sparse gradients)"),
        "rmsprop": (1, "per-parameter scaling helps rare features"),
        "sgd": (-1, "one global lr gives rare features tiny effective updates"),
        "momentum": (-1, "one global lr gives rare features tiny effective updates"),
        "nesterov": (-1, "one global lr gives rare features tiny effective updates"),
    },
    ("data", "noisy"): {
        "adabelief": (2, "AdaBelief takes small steps where the gradient disagrees with its running mean"),
        "adam": (1, "Adam's moving averages smooth noisy gradients"),
        "adamw": (1, "AdamW's moving averages smooth noisy gradients"),
        "momentum": (1, "momentum averages out gradient noise"),
        "sgd": (-1, "plain SGD follows every noisy gradient"),
    },
    ("data", "small"): {
        "momentum": (1, "on small data generalisation dominates, where SGD-momentum tends to do best"),
        "nesterov": (1, "on small data generalisation dominates, where SGD-momentum tends to do best"),
        "adamw": (1, "AdamW's decoupled weight decay regularises small-data training"),
    },
    ("data", "large"): {
        "momentum": (1, "momentum SGD scales to large-batch training with warm-up (Goyal et al. 2017)"),
        "adamw": (1, "AdamW scales to large data with warm-up and a decay schedule"),
        "adafactor": (1, "Adafactor's factored moments save memory at scale"),
        "lion": (1, "Lion's single state buffer is cheap at scale"),
    },
    ("priority", "generalization"): {
        "momentum": (2, "SGD-family methods tend to generalise better than adaptive ones (Wilson 2017)"),
        "nesterov": (2, "SGD-family methods tend to generalise better than adaptive ones (Wilson 2017)"),
        "sgd": (2, "SGD-family methods tend to generalise better than adaptive ones (Wilson 2017)"),
        "adabelief": (1, "AdaBelief aims at SGD-like generalisation with Adam-like speed"),
        "adamw": (1, "decoupled weight decay narrows Adam's generalisation gap (Loshchilov & Hutter 2019)"),
        "adam": (-1, "Adam can generalise worse than SGD (Wilson et al. 2017)"),
    },
    ("priority", "fast_convergence"): {
        "adam": (2, "adaptive per-parameter steps converge fast with default settings"),
        "adamw": (2, "adaptive per-parameter steps converge fast with default settings"),
        "adabelief": (2, "adaptive per-parameter steps converge fast with default settings"),
        "nesterov": (1, "Nesterov's look-ahead speeds up momentum"),
        "rmsprop": (1, "adaptive steps converge quickly"),
        "adagrad": (-1, "Adagrad's ever-shrinking lr slows late training"),
        "sgd": (-2, "plain SGD is the slowest on ill-conditioned losses"),
    },
    ("priority", "low_memory"): {
        "sgd": (3, "plain SGD keeps no optimizer state"),
        "adafactor": (3, "Adafactor's factored second moment needs O(n + m) instead of O(n·m) per matrix"),
        "lion": (2, "Lion keeps one state buffer, half of Adam's"),
        "momentum": (1, "one momentum buffer, half of Adam's state"),
        "nesterov": (1, "one momentum buffer, half of Adam's state"),
        "adagrad": (1, "one accumulator buffer, half of Adam's state"),
        "rmsprop": (1, "one moving-average buffer, half of Adam's state"),
        "adam": (-2, "two state buffers: optimizer memory = 2 × the parameters"),
        "adamw": (-2, "two state buffers: optimizer memory = 2 × the parameters"),
        "adabelief": (-2, "two state buffers: optimizer memory = 2 × the parameters"),
    },
    ("priority", "robustness"): {
        "adamw": (2, "trains stably across tasks with its default hyper-parameters"),
        "adabelief": (2, "designed for stable training: small steps when gradients are inconsistent"),
        "adam": (1, "stable across tasks with default hyper-parameters"),
        "momentum": (1, "well understood and stable with a schedule"),
        "sgd": (-1, "plain SGD is sensitive to the lr"),
    },
    ("priority", "little_tuning"): {
        "adam": (2, "its defaults (lr 1e-3, β = 0.9 / 0.999) work out of the box on many problems"),
        "adamw": (2, "its defaults (lr 1e-3, β = 0.9 / 0.999) work out of the box on many problems"),
        "adabelief": (2, "its defaults (lr 1e-3, β = 0.9 / 0.999) work out of the box on many problems"),
        "adagrad": (1, "Adagrad needs only an initial lr"),
        "momentum": (-1, "momentum SGD needs a tuned lr schedule"),
        "nesterov": (-1, "Nesterov SGD needs a tuned lr schedule"),
        "sgd": (-2, "plain SGD needs a tuned lr and schedule"),
    },
}  # fmt: skip


class AppliedRule(ResultModel):
    """One rule of the table that the inputs selected."""

    input: str = Field(description="The input that selected the rule, as name=value.")
    points: dict[str, int] = Field(description="Points the rule gives each optimizer (absent: 0).")


class OptimizerChoice(ResultModel):
    """One optimizer of the table with its score for the given inputs."""

    rank: int = Field(description="1 = best match for the inputs.")
    optimizer: str = Field(description="Key of the optimizer.")
    name: str = Field(description="Display name.")
    score: int = Field(description="Sum of the points of the rules the inputs selected.")
    adaptive_learning_rate: bool = Field(description="Whether it scales the step per parameter.")
    momentum: str = Field(description="Its momentum / first-moment mechanism.")
    regularization: str = Field(description="How weight decay / regularisation enters.")
    strengths: str = Field(description="What it is good at.")
    weaknesses: str = Field(description="Where it falls short.")
    typical_scenarios: str = Field(description="Where it is typically used.")
    suggested_defaults: dict[str, float] = Field(description="Suggested starting hyper-parameters.")
    usage: str = Field(description="How to construct it in PyTorch.")
    runnable: bool = Field(
        description="Whether compare_optimizers and learning_rate_sweep can run it (under the same key)."
    )
    reasons: list[str] = Field(description="Each rule that moved its score: input=value (points): why.")


class RecommendOptimizerResult(ResultModel):
    """The optimizer table ranked for the inputs."""

    inputs: dict[str, str] = Field(description="The inputs given (empty: the plain table).")
    ranking: list[OptimizerChoice] = Field(description="Every optimizer of the table, best match first.")
    rules: list[AppliedRule] = Field(description="The rules the inputs selected, with their points.")
    summary: str = Field(description="The top choice and the inputs that put it there.")
    scoring: str = Field(description="How the score is computed.")


def recommend_optimizer(
    task: Annotated[Task | None, Field(description="What the model is trained for.")] = None,
    model_family: Annotated[ModelFamily | None, Field(description="The kind of network.")] = None,
    data: Annotated[
        DataKind | None,
        Field(description="The character of the data / gradients (sparse features, noise, size)."),
    ] = None,
    priority: Annotated[Priority | None, Field(description="What matters most in this training run.")] = None,
) -> RecommendOptimizerResult:
    """Rank optimizers (SGD, momentum, Nesterov, Adagrad, RMSProp, Adam, AdamW, AdaBelief, Adafactor, Lion).

    Each row gives adaptive lr, momentum, regularisation, strengths, weaknesses, typical scenarios and
    suggested defaults. The score is the sum of points from a fixed rule table, one rule per input; each row's
    reasons name the inputs that moved it. No inputs: the plain table (all scores 0, historical order).
    """
    given = {
        name: value
        for name, value in (
            ("task", task),
            ("model_family", model_family),
            ("data", data),
            ("priority", priority),
        )
        if value is not None
    }
    scores = {entry.key: 0 for entry in _TABLE}
    reasons: dict[str, list[str]] = {entry.key: [] for entry in _TABLE}
    applied: list[AppliedRule] = []
    silent: list[str] = []
    for name, value in given.items():
        rule = _RULES.get((name, value))
        if rule is None:
            silent.append(f"{name}={value}")
            continue
        applied.append(AppliedRule(input=f"{name}={value}", points={k: pts for k, (pts, _) in rule.items()}))
        for key, (points, why) in rule.items():
            scores[key] += points
            reasons[key].append(f"{name}={value} ({points:+d}): {why}")

    order = sorted(_TABLE, key=lambda entry: -scores[entry.key])  # stable: ties keep the table order
    ranking = [
        OptimizerChoice(
            rank=rank,
            optimizer=entry.key,
            name=entry.name,
            score=scores[entry.key],
            adaptive_learning_rate=entry.adaptive_lr,
            momentum=entry.momentum,
            regularization=entry.regularization,
            strengths=entry.strengths,
            weaknesses=entry.weaknesses,
            typical_scenarios=entry.typical_scenarios,
            suggested_defaults=dict(entry.defaults),
            usage=entry.usage,
            runnable=entry.key in get_args(OptimizerName),
            reasons=reasons[entry.key] or ["no selected rule mentions it (score 0)"],
        )
        for rank, entry in enumerate(order, start=1)
    ]
    if not given:
        summary = (
            "No inputs given: the whole table in historical order, unranked (all scores 0). Give task, "
            "model_family, data or priority to rank it."
        )
    elif not applied:
        summary = (
            f"No rule for {', '.join(silent)}: the whole table in historical order, unranked (all scores 0)."
        )
    else:
        top = ranking[0]
        tied = [c.name for c in ranking[1:] if c.score == top.score]
        drivers = [r.split(":", 1)[0] for r in reasons[top.optimizer]]
        summary = f"{top.name} ranks first with score {top.score}, driven by {', '.join(drivers)}"
        if tied:
            summary += f"; tied with {', '.join(tied)} (ties keep the table's historical order)"
        summary += f". Runner-up: {ranking[1].name} ({ranking[1].score})."
        if silent:
            summary += f" No rule for {', '.join(silent)}: it does not change the ranking."
    return RecommendOptimizerResult(
        inputs={k: str(v) for k, v in given.items()},
        ranking=ranking,
        rules=applied,
        summary=summary,
        scoring=(
            "score = sum over the given inputs of the points their rule gives the optimizer (see rules); "
            "higher is better; ties keep the table's historical order"
        ),
    )


# ----------------------------------------------------------------------------------------------------------
# compare_optimizers and learning_rate_sweep: real runs on the problems of tools.problems
# ----------------------------------------------------------------------------------------------------------

_PROBLEM_FIELD = Field(
    description=(
        "Test problem: rosenbrock (start (−1.5, 2), minimum 0 at (1, 1)); beale (start (1, 1.5), minimum 0 "
        "at (3, 0.5)); quadratic (½zᵀAz, eigenvalues 1 and 100 on axes rotated 30°, start (−2, 1.5)); "
        "logistic_regression (200 × 10 data drawn from seed, L2 1e-3, start w = 0)."
    )
)
_STEPS_FIELD = Field(ge=1, le=5000, description="Optimizer steps per run.")
_SEED_FIELD = Field(
    ge=0, le=2**31 - 1, description="Seed of the logistic_regression data (other problems ignore it)."
)


def _short(value: float) -> float:
    """A float rounded to 6 significant digits (curves only: keeps the JSON readable)."""
    return float(f"{value:.6g}")


class OptimizerRun(ResultModel):
    """What one optimizer did."""

    optimizer: OptimizerName = Field(description="Optimizer key.")
    lr: float = Field(description="Learning rate used.")
    lr_source: Literal["given", "default"] = Field(
        description="given: the lr argument; default: per-problem table."
    )
    settings: str = Field(description="The optimizer class and its other hyper-parameters.")
    final_loss: float | None = Field(description="Loss after the last step; null when the run diverged.")
    best_loss: float = Field(description="Lowest loss seen (before divergence, if any).")
    best_step: int = Field(description="Step at which best_loss was seen (0 = start).")
    steps_to_tolerance: int | None = Field(
        description="First step with loss − minimum ≤ tolerance; null: never."
    )
    diverged: bool = Field(description="Loss became non-finite or its gap exceeded 1000 × the initial gap.")
    diverged_at_step: int | None = Field(description="Step of the divergence; the run stopped there.")
    final_point: list[float] | None = Field(description="Parameters after the last step; null when diverged.")
    curve: list[float] = Field(
        description="Loss at curve_steps (6 significant digits); shorter when diverged."
    )
    trajectory: list[tuple[float, float]] | None = Field(
        description="2-D problems: the point (x, y) at curve_steps; shorter when diverged; null otherwise."
    )
    seconds: float = Field(description="Wall time of the run.")


class CompareOptimizersResult(PlotResult):
    """Real optimizer runs side by side on one problem."""

    problem: ProblemName = Field(description="Problem key.")
    description: str = Field(description="Objective, start point and minimum.")
    start: list[float] = Field(description="The fixed start point.")
    minimum_loss: float = Field(description="The known minimum value f*.")
    minimizer: list[float] = Field(description="Where f* is attained.")
    initial_loss: float = Field(description="Loss at the start point.")
    steps: int = Field(description="Steps per run.")
    tolerance: float = Field(description="A run reaches the tolerance when loss − minimum_loss ≤ tolerance.")
    curve_steps: list[int] = Field(description=f"Steps at which curves are sampled (≤ {_CURVE_POINTS}).")
    runs: list[OptimizerRun] = Field(description="One row per optimizer, in the order asked.")
    ranking: list[str] = Field(
        description="Best first: fewest steps to tolerance, then lowest final loss; diverged runs last."
    )
    summary: str = Field(description="The outcome in one or two sentences.")


def compare_optimizers(
    problem: Annotated[ProblemName, _PROBLEM_FIELD] = "rosenbrock",
    optimizers: Annotated[
        list[OptimizerName] | None,
        Field(
            min_length=1,
            max_length=7,
            description="Optimizers to run (default all seven): sgd, momentum (0.9), rmsprop, adagrad, adam, "
            "adamw (weight decay 0.01), adabelief.",
        ),
    ] = None,
    steps: Annotated[int, _STEPS_FIELD] = 500,
    lr: Annotated[
        float | None,
        Field(
            gt=0,
            le=100,
            description="One learning rate for every optimizer; default: a tuned one per problem.",
        ),
    ] = None,
    seed: Annotated[int, _SEED_FIELD] = 0,
    tolerance: Annotated[
        float, Field(gt=0, le=1e3, description="Success threshold on the loss gap loss − minimum.")
    ] = 1e-6,
    plot: Annotated[
        bool, Field(description="Also draw a PNG: loss gap curves (log scale) and, for 2-D problems, paths.")
    ] = True,
) -> CompareOptimizersResult:
    """Run real torch.optim optimizers (and AdaBelief) from a fixed start on a test problem and compare them.

    Per optimizer: final and best loss, steps until loss − minimum ≤ tolerance, divergence (non-finite loss or
    gap > 1000 × the initial gap; the run stops there), a loss curve sampled at ≤ 100 steps and, on 2-D
    problems, the path. Learning rates default to values tuned per problem and optimizer. Gradients are exact.
    """
    from tools import problems

    names = list(optimizers) if optimizers is not None else list(problems.OPTIMIZER_NAMES)
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ToolInputError(
            "optimizers", f"each optimizer may appear once (repeated: {', '.join(duplicates)})"
        )
    prob = problems.make_problem(problem, seed)
    sample = problems.downsample_indices(steps + 1, _CURVE_POINTS)
    rows: list[OptimizerRun] = []
    runs: dict[str, Run] = {}
    for done, name in enumerate(names):
        report_progress(done, len(names), f"running {name} on {problem}")
        run_lr = lr if lr is not None else problems.DEFAULT_LR[problem][name]
        run = problems.run_optimizer(prob, name, run_lr, steps)
        runs[name] = run
        rows.append(_run_row(prob, name, run_lr, lr is not None, run, sample, tolerance))
    report_progress(len(names), len(names), "done")

    ranking = sorted(
        rows,
        key=lambda r: (
            r.diverged,
            r.steps_to_tolerance if r.steps_to_tolerance is not None else steps + 1,
            (r.final_loss if r.final_loss is not None else r.best_loss) - prob.minimum,
        ),
    )
    result = CompareOptimizersResult(
        problem=problem,
        description=prob.formula,
        start=list(prob.start),
        minimum_loss=prob.minimum,
        minimizer=list(prob.minimizer),
        initial_loss=next(iter(runs.values())).losses[0],
        steps=steps,
        tolerance=tolerance,
        curve_steps=sample,
        runs=rows,
        ranking=[r.optimizer for r in ranking],
        summary=_compare_summary(problem, steps, tolerance, ranking),
    )
    if plot:
        result.with_png(render_png(lambda fig: _draw_compare(fig, prob, runs), size=(11.0, 4.5)))
    return result


def _run_row(
    prob: "Problem", name: str, lr: float, given: bool, run: "Run", sample: list[int], tolerance: float
) -> OptimizerRun:
    from tools.problems import HYPERPARAMETERS

    losses = run.losses
    best_step = min(range(len(losses)), key=losses.__getitem__)
    reached = next((t for t, loss in enumerate(losses) if loss - prob.minimum <= tolerance), None)
    kept = [t for t in sample if t < len(losses)]
    diverged = run.diverged_at is not None
    return OptimizerRun(
        optimizer=name,
        lr=lr,
        lr_source="given" if given else "default",
        settings=HYPERPARAMETERS[name],
        final_loss=None if diverged else losses[-1],
        best_loss=losses[best_step],
        best_step=best_step,
        steps_to_tolerance=reached,
        diverged=diverged,
        diverged_at_step=run.diverged_at,
        final_point=run.final_point,
        curve=[_short(losses[t]) for t in kept],
        trajectory=[(_short(run.points[t][0]), _short(run.points[t][1])) for t in kept]
        if prob.dimension == 2
        else None,
        seconds=run.seconds,
    )


def _compare_summary(problem: str, steps: int, tolerance: float, ranking: list[OptimizerRun]) -> str:
    reached = [r for r in ranking if r.steps_to_tolerance is not None]
    missed = [r.optimizer for r in ranking if r.steps_to_tolerance is None and not r.diverged]
    diverged = [f"{r.optimizer} (step {r.diverged_at_step})" for r in ranking if r.diverged]
    parts = []
    if reached:
        first = reached[0]
        parts.append(
            f"On {problem}, {first.optimizer} reached loss − minimum ≤ {tolerance:g} first (step "
            f"{first.steps_to_tolerance}); {len(reached)} of {len(ranking)} reached it"
        )
    else:
        best = ranking[0]
        loss = best.final_loss if best.final_loss is not None else best.best_loss
        parts.append(
            f"On {problem}, no optimizer reached loss − minimum ≤ {tolerance:g} in {steps} steps; lowest "
            f"final loss: {best.optimizer} ({loss:.3g})"
        )
    if missed and reached:
        parts.append(f"not reached in {steps} steps: {', '.join(missed)}")
    if diverged:
        parts.append(f"diverged: {', '.join(diverged)}")
    return "; ".join(parts) + "."


class LearningRateOutcome(ResultModel):
    """One learning rate of the sweep."""

    lr: float = Field(description="The learning rate.")
    verdict: Literal["too_small", "good", "oscillating", "diverged"] = Field(description="See rules.")
    reason: str = Field(description="The rule that decided the verdict, with the measured numbers.")
    final_loss: float | None = Field(description="Loss after the last step; null when the run diverged.")
    best_loss: float = Field(description="Lowest loss seen.")
    gap_closed: float = Field(
        description="Share of the initial gap loss − minimum closed by the end (1 = all)."
    )
    reversal_share: float = Field(
        description="Share of the distance travelled in steps reversing the previous one."
    )
    rise_share: float = Field(description="Σ loss rises / Σ |loss changes| (0 = monotone descent).")
    diverged_at_step: int | None = Field(description="Step of the divergence; the run stopped there.")
    curve: list[float] = Field(
        description="Loss at curve_steps (6 significant digits); shorter when diverged."
    )


class LearningRateSweepResult(PlotResult):
    """One optimizer on one problem at several learning rates, each classified."""

    problem: ProblemName = Field(description="Problem key.")
    optimizer: OptimizerName = Field(description="Optimizer key.")
    settings: str = Field(description="The optimizer class and its other hyper-parameters.")
    description: str = Field(description="Objective, start point and minimum.")
    initial_loss: float = Field(description="Loss at the start point.")
    minimum_loss: float = Field(description="The known minimum value f*.")
    steps: int = Field(description="Steps per run.")
    curve_steps: list[int] = Field(description=f"Steps at which curves are sampled (≤ {_CURVE_POINTS}).")
    outcomes: list[LearningRateOutcome] = Field(description="One row per learning rate, ascending.")
    recommended_lr: float | None = Field(description="The best lr judged good; null when none was.")
    recommendation: str = Field(description="The recommended lr and why, or which way to search next.")
    rules: str = Field(description="The classification rules, in the order applied.")


def learning_rate_sweep(
    problem: Annotated[ProblemName, _PROBLEM_FIELD] = "quadratic",
    optimizer: Annotated[OptimizerName, Field(description="The optimizer to sweep.")] = "sgd",
    lrs: Annotated[
        list[Annotated[float, Field(gt=0, le=100)]] | None,
        Field(
            min_length=1,
            max_length=12,
            description="Learning rates to try (each > 0 and ≤ 100); default: the tuned lr × 1e-3 … 100.",
        ),
    ] = None,
    steps: Annotated[int, _STEPS_FIELD] = 500,
    seed: Annotated[int, _SEED_FIELD] = 0,
    plot: Annotated[bool, Field(description="Also draw a PNG of the loss gap curves, one per lr.")] = True,
) -> LearningRateSweepResult:
    """Run one optimizer at several learning rates; classify each as too_small, good, oscillating or diverged.

    Rules, in order: diverged = loss non-finite or its gap to the minimum > 1000 × the initial gap;
    oscillating = steps reversing direction carry ≥ 50 % of the distance travelled, or loss rises are ≥ 45 %
    of its total movement; too_small = closed < 10 % of the initial gap, or a larger good lr ended ≥ 100 ×
    closer to the minimum; good otherwise. Recommends the good lr with the lowest final loss (converged runs
    tie; ties go to the smaller lr).
    """
    from tools import problems

    if lrs is None:
        base = problems.DEFAULT_LR[problem][optimizer]
        grid = [float(f"{base * f:.3g}") for f in (1e-3, 1e-2, 1e-1, 0.3, 1.0, 3.0, 10.0, 100.0)]
        lrs = [lr for lr in grid if lr <= 100]
    duplicates = sorted({lr for lr in lrs if lrs.count(lr) > 1})
    if duplicates:
        raise ToolInputError("lrs", f"each learning rate may appear once (repeated: {duplicates})")
    prob = problems.make_problem(problem, seed)
    sample = problems.downsample_indices(steps + 1, _CURVE_POINTS)
    ordered = sorted(lrs)
    runs: list[tuple[float, Run, str]] = []
    judged: list[tuple[float, Assessment, tuple[float, float]]] = []
    for done, lr in enumerate(ordered):
        report_progress(done, len(ordered), f"{optimizer} at lr={lr:g}")
        run = problems.run_optimizer(prob, optimizer, lr, steps)
        runs.append((lr, run, ""))
        judged.append((lr, problems.assess(prob, run), problems.ranking_key(prob, run, lr)))
    report_progress(len(ordered), len(ordered), "done")

    assessments = problems.compare_within_sweep(judged)
    runs = [(lr, run, a.verdict) for (lr, run, _), a in zip(runs, assessments, strict=True)]
    keys = {lr: key for lr, _, key in judged}
    outcomes = [
        LearningRateOutcome(
            lr=lr,
            verdict=a.verdict,
            reason=a.reason,
            final_loss=None if run.diverged_at is not None else run.losses[-1],
            best_loss=min(run.losses),
            gap_closed=a.gap_closed,
            reversal_share=a.reversal_share,
            rise_share=a.rise_share,
            diverged_at_step=run.diverged_at,
            curve=[_short(run.losses[t]) for t in sample if t < len(run.losses)],
        )
        for (lr, run, _), a in zip(runs, assessments, strict=True)
    ]

    recommended, recommendation = _recommend_lr(outcomes, keys, prob.minimum)
    result = LearningRateSweepResult(
        problem=problem,
        optimizer=optimizer,
        settings=problems.HYPERPARAMETERS[optimizer],
        description=prob.formula,
        initial_loss=runs[0][1].losses[0],
        minimum_loss=prob.minimum,
        steps=steps,
        curve_steps=sample,
        outcomes=outcomes,
        recommended_lr=recommended,
        recommendation=recommendation,
        rules=problems.VERDICT_RULES,
    )
    if plot:
        result.with_png(render_png(lambda fig: _draw_sweep(fig, prob, optimizer, runs)))
    return result


def _recommend_lr(
    outcomes: list[LearningRateOutcome], keys: dict[float, tuple[float, float]], minimum: float
) -> tuple[float | None, str]:
    good = [o for o in outcomes if o.verdict == "good"]
    if good:
        best = min(good, key=lambda o: keys[o.lr])
        text = (
            f"lr={best.lr:g}: the good run with the lowest final loss (loss − minimum = "
            f"{best.final_loss - minimum:.3g}); converged runs tie and ties go to the smaller lr, for a "
            "margin from oscillation"
        )
        faster = [o for o in outcomes if o.verdict == "oscillating" and keys[o.lr][0] < keys[best.lr][0]]
        if faster:
            lower = min(faster, key=lambda o: keys[o.lr])
            text += (
                f"; lr={lower.lr:g} ended lower ({lower.final_loss - minimum:.3g}) but oscillated: faster, "
                "less stable"
            )
        if best.lr == outcomes[-1].lr:
            text += "; it is the largest lr tried, so larger ones may be better still"
        return best.lr, text + "."
    too_small = [o.lr for o in outcomes if o.verdict == "too_small"]
    too_big = [o.lr for o in outcomes if o.verdict in ("oscillating", "diverged")]
    if too_small and too_big:
        return None, (
            f"no lr was good: try between {max(too_small):g} (too small) and {min(too_big):g} "
            f"({next(o.verdict for o in outcomes if o.lr == min(too_big))})."
        )
    if too_small:
        return None, f"every lr was too small: try above {max(too_small):g} (or more steps)."
    return None, f"every lr oscillated or diverged: try below {min(too_big):g}."


# ----------------------------------------------------------------------------------------------------------
# drawing
# ----------------------------------------------------------------------------------------------------------


def _gap_curve(losses: list[float], minimum: float) -> list[float]:
    # a log axis needs positive values: a gap at (or a rounding error below) zero is drawn at 1e-16
    return [max(loss - minimum, 1e-16) for loss in losses]


def _log_gap_axis(ax) -> None:
    from matplotlib.ticker import LogLocator, NullLocator

    # few ticks and a fixed legend corner: matplotlib's default log ticks and its "best" legend placement
    # (which scans every plotted point) cost more than the optimizer runs themselves
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(numticks=7))
    ax.yaxis.set_minor_locator(NullLocator())
    ax.set_xlabel("step")
    ax.set_ylabel("loss − minimum")
    ax.legend(fontsize="small", loc="lower left")


def _draw_compare(fig, prob: "Problem", runs: "dict[str, Run]") -> None:
    two_d = prob.dimension == 2
    axes = fig.subplots(1, 2) if two_d else [fig.subplots(1, 1)]
    ax = axes[0]
    for name, run in runs.items():
        (line,) = ax.plot(_gap_curve(run.losses, prob.minimum), label=name, linewidth=1.2)
        if run.diverged_at is not None:
            ax.plot(
                len(run.losses) - 1, max(run.losses[-1] - prob.minimum, 1e-16), "x", color=line.get_color()
            )
    _log_gap_axis(ax)
    ax.set_title(f"{prob.name}: loss gap (x = diverged)")
    if two_d:
        _draw_paths(axes[1], prob, runs)


def _draw_paths(ax, prob: "Problem", runs: "dict[str, Run]") -> None:
    import numpy as np
    import torch

    x0, x1, y0, y1 = prob.box
    xs = torch.linspace(x0, x1, 120, dtype=torch.float64)
    ys = torch.linspace(y0, y1, 120, dtype=torch.float64)
    grid_x, grid_y = torch.meshgrid(xs, ys, indexing="xy")
    values = (prob.contour(grid_x, grid_y) - prob.minimum).clamp(min=1e-3).numpy()
    levels = np.logspace(np.log10(values.min()), np.log10(values.max()), 15)
    ax.contour(grid_x.numpy(), grid_y.numpy(), values, levels=levels, colors="0.7", linewidths=0.6)
    for name, run in runs.items():
        path = np.asarray(run.points)
        ax.plot(path[:, 0], path[:, 1], linewidth=1.0, label=name)
    ax.plot(*prob.start, "o", color="black", markersize=5)
    ax.plot(*prob.minimizer, "*", color="red", markersize=11)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_title("paths over the contours (● start, ★ minimum)")


def _draw_sweep(fig, prob: "Problem", optimizer: str, runs: "list[tuple[float, Run, str]]") -> None:
    ax = fig.subplots(1, 1)
    styles = {"good": "-", "too_small": ":", "oscillating": "--", "diverged": "-."}
    for lr, run, verdict in runs:
        gaps = _gap_curve(run.losses, prob.minimum)
        (line,) = ax.plot(gaps, styles[verdict], linewidth=1.2, label=f"lr={lr:g} ({verdict})")
        if verdict == "diverged":
            ax.plot(len(gaps) - 1, gaps[-1], "x", color=line.get_color())
    _log_gap_axis(ax)
    ax.set_title(f"{optimizer} on {prob.name}: learning-rate sweep (x = diverged)")
