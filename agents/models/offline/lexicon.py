"""Words the offline model treats specially: English stop words, and a small glossary that maps the notes'
Chinese vocabulary onto the English words tool schemas use (so "输入通道 3" fills ``in_channels`` the way
"3 input channels" does). The glossary is general ML vocabulary, not a table per tool: tools are still chosen
and filled from their own schemas.
"""

from __future__ import annotations

import re

from agents.messages import has_cjk

__all__ = ["GLOSSARY", "GREETINGS", "NEGATIONS", "STOP_WORDS", "translate"]

STOP_WORDS = frozenset(
    """a an the of to in on for with and or by from as at is are was were be been it its this that these
    those what which who how much many does do did can could would should will shall may might please me
    my i you your we our us give show tell compute calculate find get make let use using run want need
    know about some any value values number numbers than then there here also just into over under per
    each all both via vs versus one two three be has have having i'd i'm it's what's whats hey so if but
    not no yes like""".split()  # noqa: SIM905 - a word list reads best as words
)

NEGATIONS = frozenset(
    ["no", "not", "without", "don't", "dont", "disable", "disabled", "skip", "off", "never", "false"]
)

GREETINGS = frozenset(
    ["hi", "hello", "hey", "help", "你好", "您好", "帮助", "hallo", "bonjour", "hola", "start"]
)

# Longest first when applied, so 输入通道 wins over 通道.
GLOSSARY: dict[str, str] = {
    "信息熵": "entropy",
    "交叉熵": "cross entropy",
    "相对熵": "kl divergence",
    "散度": "divergence",
    "熵": "entropy",
    "分布": "distribution",
    "概率": "probabilities",
    "比特": "bits",
    "纳特": "nats",
    "参数量": "parameters",
    "参数": "parameters",
    "计算量": "flops",
    "浮点运算": "flops",
    "卷积层": "convolution layer",
    "卷积核": "kernel size",
    "卷积": "convolution",
    "输入通道": "input channels",
    "输出通道": "output channels",
    "通道": "channels",
    "步长": "stride",
    "填充": "padding",
    "分组": "groups",
    "偏置": "bias",
    "全连接层": "linear layer",
    "全连接": "linear",
    "输入特征": "input features",
    "输出特征": "output features",
    "输入维度": "input size",
    "隐藏层": "hidden layers",
    "隐藏": "hidden",
    "隐层": "hidden",
    "双向": "bidirectional",
    "层数": "layers",
    "层": "layers",
    "维度": "dimension",
    "注意力头": "heads",
    "头数": "heads",
    "词表": "vocabulary",
    "词汇表": "vocabulary",
    "前馈": "feed forward",
    "模型": "model",
    "比较": "compare",
    "对比": "compare",
    "骨干网络": "backbone",
    "主干网络": "backbone",
    "架构": "architectures",
    "列出": "list",
    "列表": "list",
    "微调": "fine tuning",
    "秩": "rank",
    "显存": "gpu memory",
    "内存": "memory",
    "批大小": "batch size",
    "批量大小": "batch size",
    "序列长度": "sequence length",
    "精度": "precision",
    "优化器": "optimizer",
    "学习率": "learning rate",
    "推荐": "recommend",
    "扫描": "sweep",
    "训练损失": "train loss",
    "验证损失": "validation loss",
    "训练": "training",
    "验证": "validation",
    "损失": "loss",
    "诊断": "diagnose",
    "曲线": "curve",
    "耐心": "patience",
    "梯度": "gradient",
    "激活函数": "activation",
    "深度": "depth",
    "宽度": "width",
    "初始化": "init",
    "残差": "residual",
    "分数": "scores",
    "得分": "scores",
    "分布外": "out of distribution",
    "检测": "detect",
    "温度": "temperature",
    "标签": "labels",
    "平滑": "smoothing",
    "学生": "student",
    "教师": "teacher",
    "蒸馏": "distillation",
    "知识": "knowledge",
    "主题": "topics",
    "解释": "explain",
    "什么是": "explain",
    "记住": "remember",
    "回忆": "recall",
    "记得": "recall",
    "忘记": "forget",
    "画图": "plot",
    "不画图": "no plot",
}

_GLOSSARY_PATTERN = re.compile("|".join(re.escape(term) for term in sorted(GLOSSARY, key=len, reverse=True)))
_FULL_WIDTH = str.maketrans("，。：；（）【】！？、＝", ",.:;()[]!?,=")


def translate(text: str) -> str:
    """``text`` with full-width punctuation made ASCII and glossary terms replaced by their English words."""
    text = text.translate(_FULL_WIDTH)
    if not has_cjk(text):
        return text
    return _GLOSSARY_PATTERN.sub(lambda match: f" {GLOSSARY[match.group()]} ", text)
