"""Chinese (中文): cues, sentences, and the dictionary that carries Chinese words onto the English words tool
schemas are written in ("输入通道 3" reads as "input channels 3")."""

from __future__ import annotations

from agents.models.offline.phrases.table import Phrases, SectionHint
from agents.models.offline.phrases.zh_results import LABELS, VALUES
from agents.models.offline.phrases.zh_words import MORE_WORDS

__all__ = ["PHRASES"]

# Longest entries win when the dictionary is applied, so 输入通道 is read before 通道.
_DIGITS = "零一二三四五六七八九"


def _cjk_number(count: int) -> str:
    """10–99 as Chinese numerals: 十, 十六, 二十, 二十四."""
    tens, units = divmod(count, 10)
    return f"{_DIGITS[tens] if tens > 1 else ''}十{_DIGITS[units] if units else ''}"


_DICTIONARY = {
    # model names written in Chinese ("千问3-8B" is qwen3-8b; the presets resolve the Latin spelling)
    "通义千问": "qwen",
    "千问": "qwen",
    "深度求索": "deepseek",
    # information theory
    "信息熵": "entropy",
    "交叉熵": "cross entropy",
    "相对熵": "kl divergence",
    "散度": "divergence",
    "熵": "entropy",
    # quantities and units
    "参数量": "parameters",
    "参数数量": "parameters",
    "参数个数": "parameters",
    "参数": "parameters",
    "可训练参数": "trainable parameters",
    "计算量": "flops",
    "运算量": "flops",
    "浮点运算": "flops",
    "乘加": "macs",
    "显存": "gpu memory",
    "内存": "memory",
    "显卡": "gpu",
    "卡": "gpu",
    "比特": "bits",
    "纳特": "nats",
    "为底": "base",
    # "以2为底": the base is written before 为底; read it as "base 2" (the entropy tools' log bases)
    **{f"以{spaced}为底": f"base {base}" for base in ("2", "e", "10") for spaced in (base, f" {base} ")},
    "底数为": "base =",
    "底数是": "base =",
    "底数": "base",
    "两": "2",
    "单位": "unit",
    "概率": "probabilities",
    "分布": "distribution",
    "大小": "size",
    "尺寸": "size",
    "分辨率": "input size",
    "数量": "number",
    "个数": "number",
    "步数": "steps",
    # layers and shapes
    "卷积层": "conv layer",
    "卷积核": "kernel size",
    "核大小": "kernel size",
    "卷积": "convolution",
    "输入通道数": "input channels",
    "输入通道": "input channels",
    "输出通道数": "output channels",
    "输出通道": "output channels",
    "通道": "channels",
    "步长": "stride",
    "填充": "padding",
    "分组": "groups",
    "偏置": "bias",
    "全连接层": "linear layer",
    "全连接": "linear",
    "线性层": "linear layer",
    "输入特征": "input features",
    "输出特征": "output features",
    "输入维度": "input size",
    "输入大小": "input size",
    "隐藏层大小": "hidden size",
    "隐藏大小": "hidden size",
    "隐藏层": "hidden",
    "隐层": "hidden",
    "隐藏": "hidden",
    "双向": "bidirectional",
    "深度卷积": "depthwise conv",
    "逐通道卷积": "depthwise conv",
    "逐深度卷积": "depthwise conv",
    "层数": "layers",
    "层": "layers",
    "维度": "dimension",
    "注意力头": "heads",
    "头数": "heads",
    "词表大小": "vocab size",
    "词表": "vocabulary",
    "词汇表": "vocabulary",
    "位置": "positions",
    "前馈": "feed forward",
    "输入": "input",
    "输出": "output",
    # models and training
    "模型": "model",
    "网络": "network",
    "骨干网络": "backbone",
    "主干网络": "backbone",
    "架构": "architectures",
    "微调": "fine tune",
    "秩": "rank",
    "批大小": "batch size",
    "批量大小": "batch size",
    "批次大小": "batch size",
    "序列长度": "sequence length",
    "上下文长度": "sequence length",
    "精度": "precision",
    "优化器": "optimizer",
    "学习率": "learning rate",
    "训练损失": "train loss",
    "训练集损失": "train loss",
    "验证损失": "validation loss",
    "验证集损失": "validation loss",
    "训练准确率": "train metric",
    "验证准确率": "validation metric",
    "训练": "training",
    "验证": "validation",
    "损失": "loss",
    "曲线": "curve",
    "耐心": "patience",
    "梯度": "gradient",
    "激活函数": "activation",
    "激活": "activation",
    "深度": "depth",
    "宽度": "width",
    "初始化": "init",
    "残差连接": "residual",
    "残差": "residual",
    "裁剪": "clip",
    "能量": "energy",
    "分数": "scores",
    "得分": "scores",
    "阈值": "threshold",
    "检测": "detect",
    "温度": "temperature",
    "标签": "labels",
    "平滑": "smoothing",
    "学生": "student",
    "教师": "teacher",
    "老师": "teacher",
    "蒸馏": "distillation",
    "样本": "samples",
    "图片": "image",
    "图像": "image",
    # negations ("不要 bias" reads "without bias")
    # "把 256 通道降到 64": from one value to another
    "降到": "to",
    "降至": "to",
    "减到": "to",
    "压到": "to",
    "升到": "to",
    "升至": "to",
    "扩到": "to",
    "映射到": "to",
    "投影到": "to",
    "不要": "without",
    "不带": "without",
    "不加": "without",
    "去掉": "without",
    # verbs and request words
    "比较好": "better",  # 比较 + an adjective is "rather", not "compare"
    "比较快": "faster",
    "比较": "compare",
    "对比": "compare",
    "列出": "list",
    "列表": "list",
    "推荐": "recommend",
    # recommend_optimizer's choices (task, data, priority) as students write them
    "推荐系统": "recommendation",
    "图像分类": "image classification",
    "强化学习": "reinforcement learning",
    "表格数据": "tabular",
    "稀疏": "sparse",
    "稠密": "dense",
    "噪声": "noisy",
    "数据量小": "small data",
    "数据很少": "small data",
    "数据量大": "large data",
    "泛化": "generalization",
    "收敛快": "fast convergence",
    "收敛更快": "fast convergence",
    "省显存": "low memory",
    "扫描": "sweep",
    "诊断": "diagnose",
    "计算": "compute",
    "解释": "explain",
    "知识": "knowledge",
    "笔记": "notes",
    "主题": "topics",
    "画图": "plot",
    "不画图": "no plot",
    # inference, deployment and fine-tuning of large models
    "上下文": "context",
    "并发数": "batch size",
    "并发": "batch size",
    "部署": "serving",
    "推理": "inference",
    "推断": "inference",
    "吞吐量": "throughput",
    "吞吐": "throughput",
    "延迟": "latency",
    "时延": "latency",
    "首字延迟": "time to first token",
    "首 token": "first token",
    "首token": "first token",
    "每秒": "per second",
    "每秒钟": "per second",
    "一秒": "per second",
    "一秒钟": "per second",
    "毫秒": "ms",
    "生成": "generate",
    "量化": "quantization",
    "半精度": "fp16",
    "单精度": "fp32",
    "全精度": "fp32",
    "全参微调": "full fine tune",
    "全参数微调": "full fine tune",
    "全量微调": "full fine tune",
    "权重": "weights",
    "缓存": "cache",
    "张量并行": "tensor parallel",
    "张量": "tensor",
    "解码": "decode",
    "预填充": "prefill",
    "带宽": "bandwidth",
    "算力": "compute",
    "瓶颈": "bound",
    "投机解码": "speculative decoding",
    "推测解码": "speculative decoding",
    "接受率": "acceptance rate",
    "草稿模型": "draft model",
    "草稿": "draft",
    "开销": "cost",
    "虚拟": "virtual",
    "所有线性层": "all-linear",
    "全部线性层": "all-linear",
    "占比": "percentage",
    "单卡": "1 cards",
    "双卡": "2 cards",
    "四卡": "4 cards",
    "八卡": "8 cards",
    "张卡": "cards",
    "块卡": "cards",
    "张显卡": "cards",
    "块显卡": "cards",
    # "两张 48G 卡", "2张A100": a count of cards
    **{
        f"{numeral}{counter}": f"{count} cards"
        for count, numerals in enumerate(("一1", "二两2", "三3", "四4", "五5", "六6", "七7", "八8"), start=1)
        for numeral in numerals
        for counter in "张块"
    },
    # "十六张", "二十四张", "16张": two-digit counts read whole (the longest term wins over "四张")
    **{
        f"{numeral}{counter}": f"{count} cards"
        for count in range(10, 100)
        for numeral in (str(count), _cjk_number(count))
        for counter in "张块"
    },
}

# Words students explain with that the notes write in English: they find the section that answers
# ("为什么要除以根号 d_k" meets "Why divide by √d_k"), and are never read into a tool's arguments.
_GLOSSARY = {
    "根号": "sqrt",
    "除以": "divide",
    "可靠": "reliable",
    "合并": "merge",
    "冻结": "frozen",
    "结构": "architecture",
    "组成": "parts",
    "连接": "connections",
    "池化": "pooling",
    "归一化": "normalisation",
    "注意力": "attention",
    "滑动窗口": "sliding window",
    "序列标注": "sequence labelling",
    "预训练": "pre-training",
    "数据": "data",
    "多标签": "multi-label",
    "分类": "classification",
    "遗忘门": "forget gate",
    "门": "gate",
    "调度": "schedule",
    "加速": "speed",
    "采样": "sampling",
    "编码器": "encoder",
    "解码器": "decoder",
    "嵌入": "embedding",
    "向量": "vector",
    "矩阵": "matrix",
    "矩阵乘法": "matmul",
    "缩放": "scaling",
    "幅度": "magnitude",
    "方向": "direction",
    "零点": "zero point",
    "动量": "momentum",
    "收敛": "convergence",
    "默认": "default",
    "超参数": "hyper-parameters",
    "框": "box",
    "置信度": "confidence",
    "奖励": "reward",
    "批处理": "batching",
    "服务": "serving",
    "适配器": "adapter",
    "前缀": "prefix",
    "长度": "length",
    "提示": "prompt",
    "协议": "protocol",
    "资源": "resources",
    "任务": "task",
    "损失函数": "loss",
    "缺点": "weaknesses",
    "优点": "strengths",
    "局限": "limitations",
    "效果": "results",
    "配置": "config",
    "拆": "decompose",
    "分解": "decompose",
    "存": "store",
    "重要性": "importance",
}

PHRASES = Phrases(
    language="zh",
    small_talk=(
        r"^\W*(?:你好|您好|嗨|哈喽|早上好|下午好|晚上好|早安|晚安|谢谢|多谢|感谢|好的|好|明白了|收到|再见|拜拜"
        r"|你是谁|你好吗|在吗|你叫什么)(?:啊|呀|呢|哦|你|您|啦)*\W*$"
    ),
    capabilities=r"你能做什么|你会什么|你可以做什么|能帮我做什么|你能干什么|你有什么功能|怎么用你|我可以问什么",
    name_intro=(
        r"我叫(?P<name>[\w\-]{1,12}?)(?=$|[,.!?;，。！？\s]|我|，)"
        r"|我的名字(?:是|叫)(?P<name2>[\w\-]{1,12}?)(?=$|[,.!?;，。！？\s]|我)"
        # "嗨，我是阿杰": after a greeting, "我是" + a short word alone is a name ("我是学生" alone is not)
        r"|^\W*(?:你好|您好|嗨|哈喽|hi|hello|hey)[\s,，!！~]*我是(?P<name3>[\u4e00-\u9fff]{1,3}|[A-Za-z][\w\-]{0,11})\W*$"
    ),
    preference=(
        r"(?:我(?:更)?(?:喜欢|习惯|希望|想要?)|请|以后|总是)(?:用|以)?(?P<value>比特|纳特|bits?|nats?|中文|英文"
        r"|english|chinese)(?:为单位|作为单位|单位|表示|回答|来回答)?"
    ),
    remember=r"^\W*(?:请|麻烦)?(?:帮我)?(?:记住|记下|记一下|记着|别忘了|不要忘记)[\s:：,，]*(?P<fact>.*)$",
    recall_self=(
        r"我叫(?:什么|啥)|我的名字(?:是什么|叫什么)?[?？]|你(?:都|还)?记得(?:我|关于我)(?:的)?(?:吗|是谁|什么|哪些|啥)"
        r"|你(?:都|还)?记得关于我的|关于我你(?:都)?(?:知道|记得)"
        r"|你知道我(?:是谁|什么)|我是谁"
        r"|我(?:之前|以前)?(?:告诉|跟)你(?:说)?(?:过)?什么"
    ),
    recall_topic=(
        r"(?:你(?:还)?记得|我(?:之前|以前)?(?:说过|提过|告诉过你))(?:关于)?(?P<topic>[^?？。!！]{1,40}?)(?:吗|呢)?(?:$|[?？。!！])"
        # "我用的什么显卡", "我的显卡是什么": a fact about the user, asked back
        r"|^\W*我(?:用|在用|使用)的(?:是)?(?:什么|啥|哪个|哪款)(?P<topic2>[^?？。!！]{1,20}?)(?:来着)?[?？]?$"
        r"|^\W*我的(?P<topic3>[^?？。!！的]{1,20}?)是(?:什么|啥|哪个|哪款)(?:来着)?[?？]?$"
    ),
    name_question=r"我叫(?:什么|啥)|我是谁|我的名字(?:是什么|叫什么)?[?？]|你知道我(?:的名字|叫什么)",
    forget=r"(?:忘记|忘掉|删除|删掉)(?:记忆|第)?\s*#?(?P<id>\d{1,12})",
    concept=(
        r"什么|是啥|为啥|怎么|如何|怎样|哪些|哪几|哪个|哪种|吗|区别|不同|差别|差异|原理|解释|介绍|讲讲|讲一下|说说"
        r"|理解|作用|意思|含义|定义|概念|优缺点|优点|缺点|好处|直观|通俗|干嘛|啥意思|是不是|关系|联系|怎么回事"
        r"|有啥|在哪|一般|通常|创新点?|亮点|贡献"
    ),
    explanatory=r"为什么|为啥|为何|原理|是怎么|怎么做到|如何做到|解释",
    quantity=(
        r"多少|几个|几层|多大|计算|算一下|算算|求|估算|估计|能不能|能否|够不够|放得下|装得下|能跑|跑得动|跑得起来|够吗"
        r"|够用|几张|多快|速度|带宽瓶颈|算力瓶颈|计算瓶颈|带宽受限|计算受限"
        r"|能[^，,。？?]{0,16}?(?:微调|训练)"  # "单张 4090 能全参微调 7b 吗": a fit question
        r"|你(?:们)?的?[^，,。?？]{0,8}?都?有哪些|列出|列一下"  # what is available ("你的笔记都有哪些主题")
    ),
    comparison=r"区别|不同|不一样|差在|差别|差异|对比|相比|比较(?!好|快|慢|大|小|多|少|高|低|合适|常用|稳)|还是|哪个好|优劣|[和跟与].{1,24}?(?:比|关系|联系)",
    follow_up=r"^\W*(?:那|那么|换成|改成|改为|换为|如果|要是|再|还有|同样|换)|呢\W*$",
    # "计算" asks to compute at the start or after a please ("帮我计算"), not in "省计算" (saves compute)
    demand=r"(?:^|[请帮我麻烦]|[,，。]\s*)计算|算一下|算算|帮我算|诊断|检查|测一下|扫一下|跑一下|跑跑|试一下|试试",
    section_hints=(
        SectionHint(
            r"怎么|如何|原理|工作|机制|过程|步骤|学习",
            (
                "method",
                "how",
                "work",
                "training",
                "process",
                "loop",
                "idea",
                "mechanism",
                "equation",
                "update",
                "rule",
                "objective",
                "forward",
                "module",
                "block",
            ),
        ),
        SectionHint(
            r"为什么|为啥|原因|动机", ("why", "problem", "observation", "motivation", "matter", "enough")
        ),
        SectionHint(
            r"区别|不同|差别|差异|对比|相比", ("differ", "comparison", "compared", "vs", "table", "relation")
        ),
        SectionHint(
            r"什么时候|选择|怎么选|选哪个|推荐|还是",
            ("choosing", "when", "practical", "choice", "use", "order"),
        ),
        SectionHint(
            r"缺点|局限|不足|问题|失败",
            ("limitations", "weaknesses", "trade", "caveats", "pitfalls", "failure"),
        ),
        SectionHint(r"效果|结果|性能|准确率", ("results",)),
        SectionHint(
            r"参数|计算量|显存|内存|成本|开销",
            ("cost", "parameters", "memory", "arithmetic", "count", "size"),
        ),
        SectionHint(r"用在|应用|用途|用来", ("used", "where", "practice", "legacy", "today")),
        SectionHint(
            r"哪几类|哪些类|几类|几种|种类|变体|版本|系列",
            ("families", "family", "kinds", "variants", "series"),
        ),
        SectionHint(r"解决|缓解|避免|防止|怎么办|补救", ("remedies", "fix")),
        SectionHint(
            r"加速|变快|提速|减少|降低|缩小|压缩|省", ("remedies", "fix", "shrinking", "move", "reduce")
        ),
        SectionHint(
            r"技巧|经验|建议|注意|可靠|稳定|坑", ("practical", "tips", "practice", "reliable", "choices")
        ),
        SectionHint(r"原因|症状|表现", ("causes", "symptoms", "why")),
        SectionHint(r"哪[些几一]?层|逐层|每一?层|结构|架构|集中在", ("architecture", "layer", "cost")),
    ),
    hello="你好！我是 protoplay 的内置离线模型：可以根据项目笔记解释机器学习和智能体的概念，"
    "也可以用工具算出精确的数字。",
    hello_named="你好，{name}！我是 protoplay 的内置离线模型：可以根据项目笔记解释机器学习和智能体的概念，"
    "也可以用工具算出精确的数字。",
    thanks="不客气！关于笔记或工具还有什么想问的，尽管问。",
    examples_intro="比如可以这样问：",
    examples=(
        ("explain", "LoRA 和 QLoRA 有什么区别？"),
        ("entropy", "计算分布 [0.5, 0.25, 0.25] 的信息熵，单位比特"),
        ("model_complexity", "ResNet-50 的参数量和计算量是多少？"),
        ("finetune_memory", "用 QLoRA 微调 llama-7b，24G 的显卡够吗？"),
        (
            "diagnose_training",
            "训练损失 2.0、1.4、0.9、0.5、0.3，验证损失 2.1、1.6、1.4、1.6、1.9，是过拟合吗？",
        ),
        ("kl_divergence", "p=[0.5, 0.5] 和 q=[0.9, 0.1] 的 KL 散度是多少？"),
    ),
    capabilities_reply="我离线能回答两类问题：概念，来自项目的 {notes} 篇笔记（MCP 与 A2A、损失函数、"
    "骨干网络、微调、优化器、训练问题、分布外检测）；精确数字，来自 {tools} 个工具（熵与 KL 散度、"
    "参数量与计算量、显存、损失曲线、梯度）。",
    cannot="这个我离线帮不了：我能根据笔记解释机器学习和智能体的概念，也能用工具算出精确的数字——"
    "比如“{first}”或“{second}”。",
    noted_name="很高兴认识你，{name}！",
    noted_preference="好的：本次对话里我会用{value}回答（说“记住我喜欢{value}”可以在以后的对话里保留）。",
    applied_preference="按你的偏好使用{value}",
    name_known="你叫{name}——你在这次对话里告诉过我。",
    name_unknown="我还不知道你的名字——告诉我（“我叫……”）我就会用上。",
    remembered="好的，我记住了：“{text}”（记忆 {id}）。",
    recalled="我记得{about}：{items}。",
    recalled_none="我还没有记住{about}任何内容——告诉我并说“记住……”就可以保存。",
    recalled_other="我没有找到{about}的记忆；我记得的是：{items}。",
    forgotten="好的，已忘记记忆 {id}。",
    ask_head="要运行 `{tool}`，我还需要：",
    ask_tail_one="请补充，例如：`{example}`",
    ask_tail_many="请补充，例如：`{example}`",
    result_of="**{tool}** 的结果：",
    could_not_run="`{tool}` 没有成功：{reason}",
    fix_and_retry="请修正后再问一次。",
    from_notes="来自笔记",
    full_note="完整笔记：`{uri}`",
    one_section="只看某一节：`{call}`",
    sections="章节",
    also_see="相关",
    more_fields="{what}见结构化结果。",
    yes="是",
    no="否",
    flags={
        "fits": ("放得下", "放不下"),
        "converged": ("已收敛", "未收敛"),
        "diverged": ("发散", "未发散"),
        "flagged": ("判为分布外", "未判为分布外"),
        "infinite": ("无穷大", "有限"),
    },
    dictionary={**_DICTIONARY, **MORE_WORDS},
    glossary=_GLOSSARY,
    labels=LABELS,
    values=VALUES,
)
