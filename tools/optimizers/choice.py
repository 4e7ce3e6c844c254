"""Which optimizer to pick: the optimizer table of the notes, the scoring rules, and ``recommend_optimizer``.

Each rule maps one input value (e.g. ``model_family=resnet``) to points per optimizer and the reason shown to
the user; a recommendation's score is the sum of the rules its inputs selected, so every rank is explainable.
"""

from dataclasses import dataclass
from typing import Annotated, Literal, get_args

from pydantic import Field

from tools._common import ResultModel

__all__ = [
    "RULES",
    "TABLE",
    "AppliedRule",
    "Entry",
    "OptimizerChoice",
    "OptimizerName",
    "RecommendOptimizerResult",
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
#: The optimizers compare_optimizers can run (kept equal to tools.optimizers.problems.OPTIMIZER_NAMES; a test
#: checks it).
OptimizerName = Literal["sgd", "momentum", "rmsprop", "adagrad", "adam", "adamw", "adabelief"]


@dataclass(frozen=True)
class Entry:
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
TABLE: tuple[Entry, ...] = (
    Entry(
        "sgd", "SGD", "torch.optim.SGD(params, lr=0.01)", False, "none",
        "L2 via weight_decay (for plain SGD identical to decoupled weight decay)",
        "simplest; no optimizer state (lowest memory); well-understood convergence; generalises well "
        "when tuned",
        "slow on ill-conditioned or ravine-shaped losses; one lr for all parameters; needs a tuned lr "
        "schedule",
        "convex models (linear / logistic regression), baselines, memory-starved training",
        {"lr": 0.01},
    ),
    Entry(
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
    Entry(
        "nesterov", "Nesterov accelerated gradient",
        "torch.optim.SGD(params, lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-4)", False,
        "Nesterov look-ahead, β = 0.9", "L2 via weight_decay",
        "momentum with a look-ahead correction: less overshoot, often slightly faster than heavy ball",
        "the same tuning burden as momentum SGD",
        "wherever momentum SGD is used: CNN image classification (Sutskever et al. 2013)",
        {"lr": 0.1, "momentum": 0.9, "weight_decay": 1e-4},
    ),
    Entry(
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
    Entry(
        "rmsprop", "RMSProp", "torch.optim.RMSprop(params, lr=1e-3, alpha=0.99)", True,
        "none by default (optional momentum)", "L2 via weight_decay (coupled)",
        "per-parameter lr from a moving average of g² (no decay to zero, unlike Adagrad); copes with "
        "non-stationary objectives and uneven gradient scales",
        "no bias correction or first-moment averaging: noisier than Adam; oscillates when lr is too large",
        "RNNs / LSTMs (Graves 2013), reinforcement learning (DQN, A3C), the WGAN critic",
        {"lr": 1e-3, "alpha": 0.99, "eps": 1e-8},
    ),
    Entry(
        "adam", "Adam", "torch.optim.Adam(params, lr=1e-3)", True,
        "moving average of gradients, β1 = 0.9 (bias-corrected)",
        "weight_decay is L2 added to the gradient (coupled) and gets rescaled away: prefer AdamW",
        "fast convergence with default settings on most architectures; per-parameter step sizes",
        "two state buffers (optimizer memory = 2 × parameters); can generalise worse than SGD on vision "
        "(Wilson et al. 2017)",
        "prototyping, MLPs, GANs (lr 2e-4, β1 = 0.5; DCGAN), RL (PPO), deep recommenders (SparseAdam)",
        {"lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8},
    ),
    Entry(
        "adamw", "AdamW", "torch.optim.AdamW(params, lr=1e-3, weight_decay=0.01)", True,
        "moving average of gradients, β1 = 0.9 (bias-corrected)",
        "decoupled weight decay (Loshchilov & Hutter 2019), typically 0.01 – 0.1",
        "Adam's speed with weight decay that regularises as intended; the standard for transformers",
        "two state buffers (2 × parameters); transformers still need warm-up and a decay schedule",
        "transformers (BERT, GPT, ViT), LLM pre-training and fine-tuning (full fine-tuning lr ~1e-5 – 5e-5, "
        "LoRA lr ~1e-4 – 2e-4)",
        {"lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.01},
    ),
    Entry(
        "adabelief", "AdaBelief", "tools.optimizers.adabelief.AdaBelief(params, lr=1e-3)", True,
        "moving average of gradients, β1 = 0.9 (bias-corrected)", "decoupled weight decay",
        "steps scale with the belief in the gradient (1/√EMA of (g − m)²): large where gradients are "
        "consistent, small where they are noisy; Adam-like speed with SGD-like accuracy in its paper's CNN "
        "and GAN runs",
        "newer and less battle-tested; not in torch.optim; its ε sits inside the square root (1e-16 ≈ "
        "Adam's 1e-8)",
        "image classification when Adam-like ease is wanted, GANs, noisy gradients (Zhuang et al. 2020)",
        {"lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-16, "weight_decay": 0.0},
    ),
    Entry(
        "adafactor", "Adafactor", "torch.optim.Adafactor(params, lr=1e-2)", True, "none",
        "decoupled weight decay (weight_decay argument)",
        "factored second moment: O(n + m) state per n × m matrix instead of O(n·m); made for large "
        "transformers",
        "less stable without warm-up / update clipping; little gain on small models",
        "T5-style pre-training and fine-tuning of large transformers under memory pressure "
        "(Shazeer & Stern 2018)",
        {"lr": 1e-2, "beta2_decay": -0.8, "weight_decay": 0.0},
    ),
    Entry(
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
RULES: dict[tuple[str, str], dict[str, tuple[int, str]]] = {
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
    scores = {entry.key: 0 for entry in TABLE}
    reasons: dict[str, list[str]] = {entry.key: [] for entry in TABLE}
    applied: list[AppliedRule] = []
    silent: list[str] = []
    for name, value in given.items():
        rule = RULES.get((name, value))
        if rule is None:
            silent.append(f"{name}={value}")
            continue
        applied.append(AppliedRule(input=f"{name}={value}", points={k: pts for k, (pts, _) in rule.items()}))
        for key, (points, why) in rule.items():
            scores[key] += points
            reasons[key].append(f"{name}={value} ({points:+d}): {why}")

    order = sorted(TABLE, key=lambda entry: -scores[entry.key])  # stable: ties keep the table order
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
