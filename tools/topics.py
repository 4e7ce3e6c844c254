"""The notes' table of contents: which group each note belongs to, in reading order, and the other names
people use for it.

A note file says its own title and summary (:mod:`tools.knowledge` reads them); these tables add what a file
cannot say about itself. Matching ignores case, width, spaces and punctuation; a name may mean only one topic
(loading the notes checks it), and a file not listed here is not served (tests check both ways).
"""

from __future__ import annotations

from typing import Literal

__all__ = ["ALIASES", "GROUPS", "NoteGroup"]

NoteGroup = Literal[
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

#: Every topic, by group, in reading order. A note file not listed here is not served (tests check both ways).
GROUPS: dict[str, tuple[str, ...]] = {
    "protocols & agents": ("protocols", "agent"),
    "information theory": ("cross-entropy-vs-kl", "losses"),
    "backbones": (
        "lenet",
        "alexnet",
        "vgg",
        "googlenet",
        "resnet",
        "densenet",
        "mobilenet",
        "efficientnet",
        "vit",
    ),
    "complexity": ("model-complexity",),
    "fine-tuning": (
        "peft",
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
    ),
    "LLM inference": (
        "llm-basics",
        "kv-cache",
        "flash-attention",
        "continuous-batching",
        "inference-quantization",
        "speculative-decoding",
        "parallelism",
        "roofline",
    ),
    "architectures": ("transformer", "bert", "gpt", "clip", "blip", "diffusion", "gan", "lstm"),
    "training": ("optimizers", "overfitting", "vanishing-exploding-gradients"),
    "detection": ("object-detection",),
    "OOD": ("ood",),
}

# Names a reader may type besides the slug and the title (whose English and Chinese parts are added
# automatically), separated by ';'. Matching ignores case, width, spaces and punctuation, so "ResNet-50" and
# "resnet50" are one name. A name may mean only one topic (loading the notes checks it).
ALIASES: dict[str, str] = {
    "protocols": (
        "protocol; MCP; Model Context Protocol; 模型上下文协议; function calling; tool calling; "
        "tool use; 函数调用; A2A; agent-to-agent; agent2agent; 智能体间协议; agent protocols"
    ),
    "agent": "agents; AI agent; LLM agent; AI智能体; 代理; ReAct; agent memory; 记忆; 感知",
    "cross-entropy-vs-kl": (
        "cross entropy; cross-entropy; CE; KL; KL divergence; Kullback-Leibler; "
        "Kullback-Leibler divergence; relative entropy; 相对熵; entropy; Shannon entropy; 信息熵; 熵; "
        "perplexity; 困惑度; CE vs KL; information theory; 信息论"
    ),
    "losses": (
        "loss; loss function; loss functions; MSE; mean squared error; 均方误差; MAE; Huber; "
        "Huber loss; focal loss; 焦点损失; label smoothing; 标签平滑; hinge loss; contrastive loss; "
        "InfoNCE; triplet loss; distillation loss; 知识蒸馏; knowledge distillation"
    ),
    "lenet": "LeNet-5; LeCun 1998; CNN; convolutional neural network; 卷积神经网络; 卷积",
    "alexnet": "AlexNet 2012",
    "vgg": "VGG11; VGG13; VGG16; VGG19; VGGNet; VGG-16-BN; vgg16_bn",
    "googlenet": "Inception; Inception v1; InceptionV1; Inception module; Inception模块",
    "resnet": (
        "ResNet-18; ResNet-34; ResNet-50; ResNet-101; ResNet-152; residual network; "
        "residual connection; skip connection; shortcut; 残差连接; 残差"
    ),
    "densenet": "DenseNet-121; DenseNet-169; DenseNet-201; dense connection; 稠密连接",
    "mobilenet": (
        "MobileNetV1; MobileNet v1; MobileNetV2; MobileNet v2; MobileNetV3; MobileNetV3-Large; "
        "MobileNetV3-Small; mobilenet_v3_large; mobilenet_v3_small; depthwise separable convolution; "
        "depthwise convolution; 深度可分离卷积; inverted residual; 倒残差"
    ),
    "efficientnet": (
        "EfficientNet-B0; EfficientNet-B1; EfficientNet-B2; EfficientNet-B3; EfficientNet-B4; "
        "EfficientNet-B5; EfficientNet-B6; EfficientNet-B7; compound scaling; 复合缩放"
    ),
    "vit": "ViT-B/16; ViT-B/32; ViT-L/16; ViT-H/14; vit_b_16; vision transformer; 视觉Transformer",
    "model-complexity": (
        "complexity; FLOPs; MACs; GMACs; params; parameter count; parameters; 参数量; 计算量; params vs FLOPs"
    ),
    "object-detection": (
        "detection; detector; object detector; 检测; 目标检测; 检测器; two-stage detector; "
        "one-stage detector; 两阶段检测; 单阶段检测; Faster R-CNN; Mask R-CNN; Keypoint R-CNN; R-CNN; RPN; "
        "region proposal network; RetinaNet; FCOS; SSD; SSDlite; YOLO; anchor; anchors; anchor box; 锚框; "
        "FPN; feature pyramid network; 特征金字塔; IoU; intersection over union; 交并比; NMS; "
        "non-maximum suppression; 非极大值抑制; mAP; mean average precision; average precision; 平均精度; "
        "bounding box; 边界框"
    ),
    "peft": (
        "parameter-efficient fine-tuning; parameter efficient fine tuning; fine-tuning; finetuning; "
        "微调; PEFT methods; adapters"
    ),
    "prefix-tuning": "prefix; prefix tuning; 前缀调优",
    "prompt-tuning": "soft prompt; soft prompts; prompt tuning; 软提示",
    "p-tuning-v2": "P-Tuning; p-tuning v2; ptuning; deep prompt tuning; 深度提示调优",
    "lora": "low-rank adaptation; LoRA adapter; 低秩适应",
    "dylora": "dynamic LoRA; dynamic low-rank adaptation",
    "adalora": "adaptive LoRA; adaptive budget allocation; 自适应低秩适配",
    "qlora": "quantized LoRA; NF4; NormalFloat; double quantization; paged optimizers; 4-bit",
    "qa-lora": "quantization-aware LoRA; quantization-aware low-rank adaptation",
    "longlora": "long LoRA; S2-Attn; shifted sparse attention; long context; 长上下文",
    "vera": "vector-based random matrix adaptation",
    "s-lora": (
        "SLoRA; serving LoRA; multi-LoRA serving; LoRA serving; unified paging; many LoRA adapters; "
        "multiple LoRA adapters; thousands of LoRA adapters; 多个LoRA适配器"
    ),
    "ia3": "(IA)³; IA^3; T-Few; infused adapter",
    "dora": "weight-decomposed low-rank adaptation; weight decomposition; 权重分解低秩适配",
    "llm-basics": (
        "LLM; LLMs; large language model; large language models; 大模型; 大语言模型; tokenization; "
        "tokenisation; "
        "tokenizer; BPE; byte-pair encoding; 分词; decoding strategies; sampling; top-p; top-k; "
        "nucleus sampling; 核采样; temperature sampling; greedy decoding; beam search; 束搜索; 解码策略; "
        "mixture of experts; mixture-of-experts; MoE; sparse MoE; 混合专家; 专家混合; 混合专家模型; "
        "top-k routing; expert routing; 专家路由; active parameters; activated parameters; 激活参数; "
        "Mixtral; Mixtral 8x7B; Mixtral 8x22B; Qwen3; Qwen3-MoE; 千问3; 通义千问; DeepSeek; DeepSeek-V3; "
        "DeepSeek-R1; DeepSeek-V2"
    ),
    "kv-cache": (
        "KV cache; key-value cache; KV缓存; PagedAttention; paged attention; 分页注意力; vLLM; GQA; "
        "grouped-query attention; 分组查询注意力; MQA; multi-query attention; prefix caching; MLA; "
        "multi-head latent attention; latent attention; 多头潜在注意力; 潜在注意力; KV compression; FlashMLA"
    ),
    "flash-attention": (
        "FlashAttention; FlashAttention-2; flash attention; IO-aware attention; online softmax; 闪电注意力"
    ),
    "continuous-batching": (
        "continuous batching; in-flight batching; iteration-level scheduling; Orca; chunked prefill; "
        "批处理; 动态批处理; batching; throughput vs latency; TTFT; TPOT; 首字延迟; 吞吐量"
    ),
    "inference-quantization": (
        "inference quantization; inference quantisation; 推理量化; GPTQ; AWQ; SmoothQuant; FP8; INT8; "
        "INT4; W4A16; W8A8; weight-only quantization; 4-bit inference; 量化推理"
    ),
    "speculative-decoding": (
        "speculative decoding; speculative sampling; 投机采样; draft model; 草稿模型; Medusa; EAGLE; "
        "acceptance rate; lookahead decoding"
    ),
    "parallelism": (
        "tensor parallelism; 张量并行; pipeline parallelism; 流水线并行; model parallelism; 模型并行; "
        "Megatron-LM; GPipe; pipeline bubble; TP; PP; 推理部署; deployment; serving; 分布式推理"
    ),
    "roofline": (
        "roofline; roofline model; 屋顶线; arithmetic intensity; 算术强度; ridge point; memory bandwidth; "
        "带宽; 算力; compute vs bandwidth; compute-bound; memory-bound; 带宽受限; 计算受限; "
        "why is decoding memory-bound; prefill vs decode"
    ),
    "transformer": (
        "transformers; attention; self-attention; multi-head attention; 自注意力; 注意力机制; "
        "多头注意力; attention is all you need"
    ),
    "bert": "BERT-base; BERT-large; masked language model; MLM; 掩码语言模型",
    "gpt": "GPT-1; GPT-2; GPT-3; GPT-4; ChatGPT; decoder-only; causal language model; 自回归",
    "clip": "contrastive language-image pre-training; 图文对比学习; zero-shot classification",
    "blip": "BLIP-2; Q-Former; CapFilt; image captioning; 图像描述",
    "diffusion": (
        "diffusion model; diffusion models; DDPM; DDIM; stable diffusion; latent diffusion; "
        "classifier-free guidance; 去噪扩散"
    ),
    "gan": (
        "GANs; generative adversarial network; generative adversarial networks; WGAN; DCGAN; "
        "mode collapse; 模式崩溃; 生成器; 判别器"
    ),
    "lstm": (
        "long short-term memory; LSTM gates; peephole; peephole connections; 窥视孔连接; GRU; RNN; "
        "recurrent neural network; 循环神经网络; 遗忘门; 输入门; 输出门"
    ),
    "optimizers": (
        "optimizer; optimiser; optimisers; optimizer table; 优化器; SGD; momentum; 动量; NAG; "
        "Nesterov; Adagrad; RMSProp; Adam; AdamW; AdaBelief; weight decay; 权重衰减; learning rate; "
        "学习率; warm-up; warmup; learning-rate warm-up; 预热; 学习率预热; learning-rate schedule; "
        "learning rate schedule; 学习率调度; cosine decay; betas"
    ),
    "overfitting": (
        "over-fitting; overfit; underfitting; under-fitting; underfit; over- and under-fitting; "
        "bias-variance; regularization; regularisation; 正则化; early stopping; 早停; dropout; "
        "generalization; 泛化"
    ),
    "vanishing-exploding-gradients": (
        "vanishing gradients; vanishing gradient; exploding gradients; exploding gradient; "
        "gradient clipping; clip_grad_norm_; 梯度裁剪; He init; He initialization; Kaiming init; "
        "Xavier init; batch normalization; batchnorm; 批归一化; gradient flow; gradient explosion; "
        "gradients explode; gradients vanish"
    ),
    "ood": (
        "out-of-distribution; out of distribution; OOD detection; out-of-distribution detection; "
        "分布外; anomaly detection; novelty detection; energy score; 能量分数; MSP; "
        "maximum softmax probability; 最大softmax概率; "
        "ODIN; Mahalanobis"
    ),
}
