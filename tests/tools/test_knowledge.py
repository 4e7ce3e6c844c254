"""The knowledge notes: every file well-formed, every topic reachable by the names people use, and the
facts the notes state checked against their sources (torchvision metadata, peft, hand derivation, running
the code)."""

import json
import math
import re
import subprocess
import sys
from importlib import resources
from typing import get_args

import pytest

from tools import knowledge
from tools.catalog import call_tool
from tools.errors import ToolInputError

NOTES = resources.files("tools").joinpath("notes")
FENCE = re.compile(r"```python\n(.*?)```", re.DOTALL)
MD_LINK = re.compile(r"\]\(([^)#]+)\.md\)")

# Every topic the issue asks for, by the slug the brief names.
REQUIRED_TOPICS = [
    "protocols",
    "agent",
    "cross-entropy-vs-kl",
    "lenet",
    "alexnet",
    "vgg",
    "googlenet",
    "resnet",
    "densenet",
    "mobilenet",
    "efficientnet",
    "vit",
    "model-complexity",
    "prefix-tuning",
    "prompt-tuning",
    "p-tuning-v2",
    "lora",
    "dylora",
    "adalora",
    "qlora",
    "qa-lora",
    "longlora",
    "vera",
    "s-lora",
    "ia3",
    "dora",
    "transformer",
    "bert",
    "gpt",
    "clip",
    "blip",
    "diffusion",
    "losses",
    "optimizers",
    "gan",
    "lstm",
    "overfitting",
    "vanishing-exploding-gradients",
    "ood",
    "object-detection",
    "llm-basics",
    "kv-cache",
    "flash-attention",
    "continuous-batching",
    "inference-quantization",
    "speculative-decoding",
    "parallelism",
    "roofline",
]
GROUPS = [
    "protocols & agents",
    "information theory",
    "backbones",
    "complexity",
    "fine-tuning",
    "LLM inference",
    "architectures",
    "training",
    "detection",
    "OOD",
]


def _note_text(slug: str) -> str:
    return NOTES.joinpath(f"{slug}.md").read_text(encoding="utf-8")


def _has_cjk(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" for ch in text)


# ------------------------------------------------------------------------------------------- the files


def test_the_notes_folder_holds_exactly_the_listed_topics():
    files = sorted(p.name[:-3] for p in NOTES.iterdir() if p.name.endswith(".md"))
    assert files == sorted(knowledge.topic_slugs())


def test_every_topic_the_issue_asks_for_exists():
    missing = set(REQUIRED_TOPICS) - set(knowledge.topic_slugs())
    assert not missing


@pytest.mark.parametrize("slug", knowledge.topic_slugs())
def test_note_starts_with_a_bilingual_title_then_a_one_line_summary(slug):
    lines = _note_text(slug).splitlines()
    title = re.fullmatch(r"# (?P<en>[^()].*?) \((?P<zh>[^()]+)\)", lines[0])
    assert title, f"{slug}: first line must be '# Title (中文术语)'"
    assert _has_cjk(title["zh"]), f"{slug}: the parenthesised term must be Chinese"
    assert lines[1] == "" and lines[2] and not lines[2].startswith("#") and lines[3] == ""
    assert len(lines[2]) >= 60, f"{slug}: summary too thin"


@pytest.mark.parametrize("slug", knowledge.topic_slugs())
def test_note_is_dense_sectioned_markdown(slug):
    text = _note_text(slug)
    lines = text.splitlines()
    assert 30 <= len(lines) <= 130, f"{slug}: {len(lines)} lines"
    headings = [line for line in lines if line.startswith("## ")]
    assert len(headings) >= 3 and headings[-1] == "## Related"
    assert text.count("```") % 2 == 0, f"{slug}: unbalanced code fence"


@pytest.mark.parametrize("slug", knowledge.topic_slugs())
def test_every_link_points_to_an_existing_note(slug):
    targets = MD_LINK.findall(_note_text(slug))
    assert targets, f"{slug} links to no other note"
    assert set(targets) <= set(knowledge.topic_slugs())


def test_key_terms_carry_their_chinese_term():
    # The terms the issue names must appear in Chinese somewhere in the notes.
    corpus = "".join(_note_text(slug) for slug in knowledge.topic_slugs())
    terms = ("交叉熵", "KL散度", "过拟合", "欠拟合", "梯度消失", "梯度爆炸", "智能体", "分布外检测", "大模型")
    terms += ("KV缓存", "投机解码", "张量并行", "流水线并行", "推理量化", "屋顶线", "算力", "带宽")
    for term in (*terms, "低秩适配"):
        assert term in corpus, term


# ------------------------------------------------------------------------------------------ the tools


def test_list_topics_returns_every_topic_with_title_summary_and_group():
    result = knowledge.list_topics()
    assert result.count == len(result.topics) == len(knowledge.topic_slugs()) == 49
    assert result.groups == GROUPS == list(get_args(knowledge.NoteGroup))  # the schema's enum, same order
    assert {t.group for t in result.topics} == set(GROUPS)
    lora = next(t for t in result.topics if t.slug == "lora")
    assert lora.group == "fine-tuning"
    assert lora.title == "LoRA: low-rank adaptation (低秩适配)"
    assert lora.summary.startswith("LoRA (Hu et al., 2021) freezes")


def test_list_topics_filters_by_group():
    result = knowledge.list_topics(group="fine-tuning")
    assert result.count == 14
    assert {t.group for t in result.topics} == {"fine-tuning"}
    assert "dora" in [t.slug for t in result.topics]


@pytest.mark.parametrize("slug", knowledge.topic_slugs())
def test_every_topic_is_explainable_by_slug_and_by_title(slug):
    by_slug = knowledge.explain(slug)
    assert by_slug.slug == slug
    assert by_slug.markdown == knowledge.read_note(slug) == _note_text(slug)
    assert by_slug.section is None and by_slug.sections[-1] == "Related"
    assert knowledge.explain(by_slug.title).slug == slug
    assert all(link.uri == f"notes://{link.slug}" for link in by_slug.related)


@pytest.mark.parametrize(
    ("query", "slug"),
    [
        ("kl", "cross-entropy-vs-kl"),
        ("KL散度", "cross-entropy-vs-kl"),
        ("交叉熵", "cross-entropy-vs-kl"),
        ("Kullback-Leibler divergence", "cross-entropy-vs-kl"),
        ("LoRA", "lora"),
        ("low-rank adaptation", "lora"),
        ("低秩适配", "lora"),
        ("过拟合", "overfitting"),
        ("欠拟合", "overfitting"),
        ("underfitting", "overfitting"),
        ("梯度消失", "vanishing-exploding-gradients"),
        ("梯度爆炸", "vanishing-exploding-gradients"),
        ("gradient clipping", "vanishing-exploding-gradients"),
        ("ResNet-50", "resnet"),
        ("resnet152", "resnet"),
        ("VGG16", "vgg"),
        ("EfficientNet-B7", "efficientnet"),
        ("ViT-B/16", "vit"),
        ("mobilenet_v3_small", "mobilenet"),
        ("DenseNet-121", "densenet"),
        ("Inception v1", "googlenet"),
        ("LeNet-5", "lenet"),
        ("(IA)³", "ia3"),
        ("NF4", "qlora"),
        ("MCP", "protocols"),
        ("function calling", "protocols"),
        ("A2A", "protocols"),
        ("智能体", "agent"),
        ("分布外检测", "ood"),
        ("目标检测", "object-detection"),
        ("non-maximum suppression", "object-detection"),
        ("mAP", "object-detection"),
        ("Faster R-CNN", "object-detection"),
        ("energy score", "ood"),
        ("AdamW", "optimizers"),
        ("优化器", "optimizers"),
        ("peephole connections", "lstm"),
        ("遗忘门", "lstm"),
        ("self-attention", "transformer"),
        ("classifier-free guidance", "diffusion"),
        ("mode collapse", "gan"),
        ("Q-Former", "blip"),
        ("参数高效微调", "peft"),
        ("FLOPs", "model-complexity"),
        ("KV缓存", "kv-cache"),
        ("PagedAttention", "kv-cache"),
        ("grouped-query attention", "kv-cache"),
        ("屋顶线", "roofline"),
        ("arithmetic intensity", "roofline"),
        ("算力", "roofline"),
        ("投机解码", "speculative-decoding"),
        ("张量并行", "parallelism"),
        ("流水线并行", "parallelism"),
        ("GPTQ", "inference-quantization"),
        ("SmoothQuant", "inference-quantization"),
        ("连续批处理", "continuous-batching"),
        ("top-p", "llm-basics"),
        ("大模型", "llm-basics"),
        ("FlashAttention-2", "flash-attention"),
    ],
)
def test_aliases_and_chinese_terms_resolve(query, slug):
    assert knowledge.explain(query).slug == slug


@pytest.mark.parametrize(
    ("query", "slug"),
    [
        ("RESNET_50", "resnet"),
        ("resnet 50", "resnet"),
        ("  Low Rank  Adaptation ", "lora"),
        ("Cross Entropy", "cross-entropy-vs-kl"),
        ("p tuning v2", "p-tuning-v2"),
        ("Vanishing_Exploding_Gradients", "vanishing-exploding-gradients"),
        ("ＬｏＲＡ", "lora"),  # full-width letters
    ],
)
def test_names_match_regardless_of_case_width_and_separators(query, slug):
    assert knowledge.explain(query).slug == slug


def test_unknown_topic_names_the_field_and_the_closest_matches():
    with pytest.raises(ToolInputError) as err:
        knowledge.explain("lorra")
    assert err.value.field == "topic"
    assert str(err.value) == "topic: unknown topic 'lorra'; closest: lora, qlora, s-lora"


def test_unknown_topic_suggests_notes_that_mention_it():
    with pytest.raises(ToolInputError, match=r"closest: lstm") as err:
        knowledge.explain("窥视孔")
    assert err.value.field == "topic"


def test_unknown_topic_with_nothing_close_points_to_list_topics():
    with pytest.raises(ToolInputError, match=r"no close match; call list_topics for all 49 topics"):
        knowledge.explain("banana split")


def test_section_returns_just_that_section():
    result = knowledge.explain("lstm", section="peephole")
    assert result.section == "Peephole connections (窥视孔连接)"
    assert result.markdown.startswith("## Peephole connections")
    assert "## Parameter count" not in result.markdown
    assert "p_o ⊙ c_t" in result.markdown


def test_section_match_prefers_an_exact_heading_over_partial_ones():
    # no shipped note has one heading inside another, so build one with the module's own parser
    note = knowledge._parse(
        "demo", "training", "# Demo (演示)\n\nSummary.\n\n## Cost\nx\n\n## Cost per token\ny\n"
    )
    assert knowledge._find_section(note, "cost") == ("Cost", "## Cost\nx\n")
    assert knowledge._find_section(note, "per token")[0] == "Cost per token"


def test_unknown_section_lists_the_sections():
    with pytest.raises(ToolInputError, match=r"no section 'recipes' in 'lora'; sections: 'The method'") as e:
        knowledge.explain("lora", section="recipes")
    assert e.value.field == "section"


def test_ambiguous_section_is_an_error():
    # "re" occurs in three headings of the gradients note: Remedies, ... residual block ..., Related
    with pytest.raises(ToolInputError, match="matches several sections"):
        knowledge.explain("vanishing-exploding-gradients", section="re")


def test_read_note_rejects_unknown_topics():
    with pytest.raises(ToolInputError, match="unknown topic 'nope'"):
        knowledge.read_note("nope")


def test_results_are_plain_json():
    payload = json.loads(knowledge.explain("dora").model_dump_json())
    assert payload["group"] == "fine-tuning"
    lora = {"slug": "lora", "title": "LoRA: low-rank adaptation (低秩适配)", "uri": "notes://lora"}
    assert lora in payload["related"]
    assert json.loads(knowledge.list_topics().model_dump_json())["count"] == 49


# ------------------------------------------------------------------------------ schema through the catalogue


def test_catalogue_call_runs_both_tools():
    assert call_tool("explain", {"topic": "KL散度", "section": "worked example"}).section == "Worked example"
    assert call_tool("list_topics", {"group": "OOD"}).count == 1


@pytest.mark.parametrize(
    ("tool", "arguments", "field"),
    [
        ("explain", {"topic": ""}, "topic"),
        ("explain", {"topic": "x" * 201}, "topic"),
        ("explain", {}, "topic"),
        ("explain", {"topic": "lora", "section": ""}, "section"),
        ("explain", {"topic": "lora", "verbose": True}, "verbose"),
        ("list_topics", {"group": "cooking"}, "group"),
    ],
)
def test_schema_bounds_are_enforced_and_name_the_field(tool, arguments, field):
    with pytest.raises(ToolInputError) as err:
        call_tool(tool, arguments)
    assert err.value.field == field


def test_importing_the_module_stays_light():
    code = "import sys, tools.knowledge; sys.exit(any(m in sys.modules for m in ('torch', 'matplotlib')))"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


# --------------------------------------------------------------------------------- facts the notes state


def test_gradient_note_code_runs_and_global_norm_clipping_caps_the_norm():
    import torch

    blocks = FENCE.findall(_note_text("vanishing-exploding-gradients"))
    assert len(blocks) == 2
    namespace: dict = {}
    exec(compile("\n".join(blocks), "vanishing-exploding-gradients.md", "exec"), namespace)  # our own file

    max_norm = namespace["max_norm"]
    assert namespace["norm_before"] > max_norm  # clipping had something to do
    assert namespace["norm_after"] == pytest.approx(max_norm, rel=1e-4)
    grads = [p.grad for p in namespace["model"].parameters()]
    assert float(torch.linalg.vector_norm(torch.stack([g.norm() for g in grads]))) <= max_norm * (1 + 1e-4)
    # the deep residual stack still delivers gradient to its first layer; the sigmoid stack does not
    assert float(namespace["model"][0].weight.grad.norm()) > 1e-3
    assert namespace["vanishing_ratio"] < 1e-6

    # He init: Var(w) = 2 / fan_in (He et al. 2015); fan_in = 64 channels · 3 · 3
    block = namespace["ResidualBlock"](64)
    assert float(block.conv1.weight.detach().std()) == pytest.approx(math.sqrt(2 / (64 * 9)), rel=0.03)
    assert isinstance(block.bn1, torch.nn.BatchNorm2d)
    x = torch.randn(2, 64, 5, 5)
    with torch.no_grad():
        block.conv2.weight.zero_()  # F(x) = 0 leaves only the shortcut: y = relu(x)
        assert torch.equal(block.eval()(x), torch.relu(x))


def _table_rows(slug: str) -> list[tuple[str, float, float]]:
    """(torchvision name, params in M, GMACs) for each cost-table row that names a torchvision builder."""
    rows = []
    for line in _note_text(slug).splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and re.fullmatch(r"`[a-z0-9_]+`", cells[1]):
            rows.append((cells[1].strip("`"), float(cells[3]), float(cells[4])))
    return rows


def test_backbone_cost_tables_match_torchvision_metadata():
    from torchvision.models import get_model_weights

    checked = 0
    for slug in ("alexnet", "vgg", "googlenet", "resnet", "densenet", "mobilenet", "efficientnet", "vit"):
        rows = _table_rows(slug)
        assert rows, slug
        for name, params_m, gmacs in rows:
            meta = get_model_weights(name).DEFAULT.meta
            # torchvision's "GFLOPS" (_ops) are GMACs; num_params is exact. Rounded half-up in the tables.
            assert abs(params_m - meta["num_params"] / 1e6) <= 0.05 + 1e-9, name
            assert abs(gmacs - meta["_ops"]) <= 0.005 + 1e-9, name
            checked += 1
    assert checked == 30  # every torchvision row: 1 + 5 + 1 + 5 + 3 + 3 + 8 + 4


def test_detection_table_matches_torchvision_metadata():
    from torchvision.models import get_model_weights

    rows = 0
    for line in _note_text("object-detection").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 6 and re.fullmatch(r"`[a-z0-9_]+`", cells[1]):
            meta = get_model_weights(cells[1].strip("`")).DEFAULT.meta  # torchvision's own documentation
            assert abs(float(cells[3]) - meta["num_params"] / 1e6) <= 0.05 + 1e-9, cells[1]
            assert abs(float(cells[4]) - meta["_ops"]) <= 0.005 + 1e-9, cells[1]
            assert float(cells[5]) == meta["_metrics"]["COCO-val2017"]["box_map"], cells[1]
            rows += 1
    assert rows == 8


def test_detection_note_iou_example():
    import torch
    from torchvision.ops import box_iou

    # two 10×10 boxes offset by 5 px: a 5×10 overlap, IoU = 50 / (100 + 100 − 50) = 1/3 (the note's example)
    iou = box_iou(torch.tensor([[0.0, 0.0, 10.0, 10.0]]), torch.tensor([[5.0, 0.0, 15.0, 10.0]]))
    assert iou.item() == pytest.approx(1 / 3)


def test_lenet_and_mobilenet_v1_counts_match_a_hand_built_network():
    import torch
    from torch import nn
    from torch.utils.flop_counter import FlopCounterMode

    def macs(model: nn.Module, shape: tuple[int, ...]) -> int:
        with FlopCounterMode(display=False) as counter:
            model.eval()(torch.zeros(shape))
        return counter.get_total_flops() // 2  # FlopCounterMode counts 2 FLOPs per MAC

    lenet = nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.Tanh(), nn.AvgPool2d(2), nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2),
        nn.Flatten(), nn.Linear(400, 120), nn.Tanh(), nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, 10),
    )  # fmt: skip
    lenet_note = _note_text("lenet")
    assert f"{sum(p.numel() for p in lenet.parameters()):,}" == "61,706" and "61,706" in lenet_note
    assert macs(lenet, (1, 1, 32, 32)) == 416_520 and "416,520" in lenet_note
    # the 1998 paper's trainable parameters, layer by layer (LeCun et al. 1998, section II.B)
    assert 156 + 12 + 1_516 + 32 + 48_120 + 10_164 == 60_000 and "**60,000**" in lenet_note

    def separable(cin: int, cout: int, stride: int) -> list[nn.Module]:
        return [
            nn.Conv2d(cin, cin, 3, stride, 1, groups=cin, bias=False), nn.BatchNorm2d(cin), nn.ReLU(),
            nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(),
        ]  # fmt: skip

    # MobileNetV1 1.0-224 body (Howard et al. 2017, Table 1)
    plan = [(32, 64, 1), (64, 128, 2), (128, 128, 1), (128, 256, 2), (256, 256, 1), (256, 512, 2)]
    plan += [(512, 512, 1)] * 5 + [(512, 1024, 2), (1024, 1024, 1)]
    layers: list[nn.Module] = [nn.Conv2d(3, 32, 3, 2, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU()]
    for cin, cout, stride in plan:
        layers += separable(cin, cout, stride)
    mobilenet = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(1024, 1000))
    note = _note_text("mobilenet")
    assert sum(p.numel() for p in mobilenet.parameters()) == 4_231_976 and "4,231,976" in note
    assert round(macs(mobilenet, (1, 3, 224, 224)) / 1e6, 1) == 568.7 and "568.7 M MACs" in note


def test_cross_entropy_and_kl_worked_example_numbers():
    # hand derivation with natural logs: H(p), H(p,q), KL(p‖q), KL(q‖p) for p=(.5,.5), q=(.9,.1)
    p, q = (0.5, 0.5), (0.9, 0.1)
    h = -sum(a * math.log(a) for a in p)
    ce = -sum(a * math.log(b) for a, b in zip(p, q, strict=True))
    kl_pq = sum(a * math.log(a / b) for a, b in zip(p, q, strict=True))
    kl_qp = sum(b * math.log(b / a) for a, b in zip(p, q, strict=True))
    note = _note_text("cross-entropy-vs-kl")
    for value in (h, ce, kl_pq, kl_qp, -math.log(0.7)):
        assert f"{value:.4f}" in note
    assert ce == pytest.approx(h + kl_pq)


def test_ood_worked_example_numbers():
    import torch

    note = _note_text("ood")
    for logits in ([5.0, 1.0, 0.0], [1.2, 1.0, 0.8], [10.0, 6.0, 5.0]):
        t = torch.tensor(logits)
        assert f"{float(torch.logsumexp(t, 0)):.2f}" in note  # energy score −E(x) at T = 1
    assert f"MSP = {float(torch.softmax(torch.tensor([5.0, 1.0, 0.0]), 0).max()):.3f}" in note
    assert f"MSP = {float(torch.softmax(torch.tensor([1.2, 1.0, 0.8]), 0).max()):.3f}" in note


def test_peft_parameter_formulas_in_the_notes_match_peft():
    peft = pytest.importorskip("peft")
    transformers = pytest.importorskip("transformers")
    # a tiny BERT: d = 32, d_ff = 64, 2 layers (the formulas are per layer, so size does not matter)
    d, d_ff, layers, r, n = 32, 64, 2, 4, 5
    config = transformers.BertConfig(
        hidden_size=d, intermediate_size=d_ff, num_hidden_layers=layers, num_attention_heads=2, vocab_size=50
    )

    def trainable(peft_config) -> int:
        model = peft.get_peft_model(transformers.BertModel(config), peft_config)
        return model.get_nb_trainable_parameters()[0]

    qv = ["query", "value"]
    # formulas as written in peft.md
    assert trainable(peft.LoraConfig(r=r, target_modules=qv)) == layers * 2 * r * (d + d)
    assert trainable(peft.LoraConfig(r=r, target_modules=qv, use_dora=True)) == layers * 2 * (r * (d + d) + d)
    assert trainable(peft.VeraConfig(r=r, target_modules=qv)) == layers * 2 * (r + d)
    adalora = peft.AdaLoraConfig(init_r=r, target_r=2, target_modules=qv, total_step=10)
    assert trainable(adalora) == layers * 2 * r * (d + d + 1)
    # key, value and the FFN's second layer (not attention.output.dense), as in the (IA)³ paper
    ffn_out = r".*layer\.\d+\.output\.dense"
    ia3 = peft.IA3Config(target_modules=rf".*\.(key|value)|{ffn_out}", feedforward_modules=ffn_out)
    assert trainable(ia3) == layers * (d + d + d_ff)
    prompt = peft.PromptTuningConfig(task_type="FEATURE_EXTRACTION", num_virtual_tokens=n)
    assert trainable(prompt) == n * d
    prefix = peft.PrefixTuningConfig(task_type="FEATURE_EXTRACTION", num_virtual_tokens=n)
    assert trainable(prefix) == n * layers * 2 * d
