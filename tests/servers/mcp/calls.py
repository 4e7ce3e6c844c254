"""One valid, quick argument set per catalogue tool (the MCP tests call each tool once with it).

Every catalogue tool must have an entry: the tests fail naming any tool that is missing, so a tool added to
the catalogue cannot go untested through MCP. Sizes are kept small so the whole table runs in seconds.
"""

from __future__ import annotations

from typing import Any

VALID_CALLS: dict[str, dict[str, Any]] = {
    # information theory and losses
    "entropy": {"p": [0.5, 0.25, 0.25], "base": "2"},
    "cross_entropy": {"p": [0.5, 0.5], "q": [0.25, 0.75]},
    "kl_divergence": {"p": [0.5, 0.5], "q": [0.9, 0.1], "base": "2"},
    "gaussian_kl": {"p_mean": [0.5, -1.0], "p_var": [0.64, 0.25]},
    "classification_loss": {"logits": [[2.0, 0.5, -1.0], [0.1, 0.2, 3.0]], "labels": [0, 2]},
    "distillation_loss": {
        "student_logits": [[1.0, 2.0, 0.5]],
        "teacher_logits": [[1.5, 2.5, 0.0]],
        "temperature": 4.0,
        "alpha": 0.7,
        "labels": [1],
    },
    # layer calculators and backbones
    "conv2d_params": {"kernel_size": 3, "in_channels": 3, "out_channels": 16, "input_size": [32, 32]},
    "linear_params": {"in_features": 784, "out_features": 10},
    "rnn_params": {"kind": "lstm", "input_size": 32, "hidden_size": 64, "num_layers": 2},
    "transformer_params": {
        "d_model": 64,
        "n_layers": 2,
        "n_heads": 4,
        "d_ff": 256,
        "vocab_size": 1000,
        "max_positions": 128,
    },
    "list_architectures": {},
    "model_complexity": {"model": "LeNet-5"},
    "compare_models": {"models": ["LeNet-5", "MobileNetV1"], "plot": True},
    "custom_network_complexity": {
        "layers": [
            {"type": "conv2d", "out_channels": 8, "kernel_size": 3, "padding": 1},
            {"type": "relu"},
            {"type": "adaptive_avgpool"},
            {"type": "flatten"},
            {"type": "linear", "out_features": 10},
        ],
        "input_shape": [3, 32, 32],
    },
    # fine-tuning
    "peft_trainable_params": {"method": "lora", "base": "bert-base", "r": 8, "target_modules": ["q", "v"]},
    "finetune_memory": {"params_billion": 7, "method": "qlora", "gpu_memory_gb": 24},
    # LLM inference and deployment
    "llm_inference_memory": {
        "model": "llama-3.1-70b",
        "quantization": "awq",
        "num_gpus": 2,
        "gpu": "l40s",
        "context_len": 32768,
    },
    "roofline": {"model": "llama-2-7b", "gpu": "a100-80gb", "context_len": 1024, "plot": True},
    "llm_throughput": {"model": "llama-3-8b", "gpu": "h100-sxm", "batch_size": 8, "target_tpot_ms": 20},
    # optimizers
    "recommend_optimizer": {"task": "image_classification", "model_family": "resnet"},
    "compare_optimizers": {"problem": "quadratic", "optimizers": ["sgd", "adam"], "steps": 50},
    "learning_rate_sweep": {"problem": "quadratic", "optimizer": "sgd", "lrs": [0.001, 0.01], "steps": 50},
    # training diagnostics
    "diagnose_training": {
        "train_loss": [2.0, 1.5, 1.1, 0.8, 0.6, 0.45, 0.35, 0.28],
        "val_loss": [2.1, 1.7, 1.4, 1.3, 1.35, 1.45, 1.6, 1.8],
    },
    "gradient_flow": {"depth": 6, "width": 16, "activation": "sigmoid", "batch_size": 8},
    # object detection
    "detection_metrics": {
        "predictions": [
            {"box": [0, 0, 10, 10], "score": 0.9, "label": "cat"},
            {"box": [1, 1, 11, 11], "score": 0.8, "label": "cat"},
        ],
        "ground_truth": [{"box": [0, 0, 10, 10], "label": "cat"}],
        "nms_iou_threshold": 0.5,
    },
    # out-of-distribution detection
    "ood_detect": {"logits": [[5.0, 0.1, 0.2], [0.4, 0.5, 0.45]], "threshold": 0.8},
    # knowledge
    "list_topics": {},
    "explain": {"topic": "KL散度"},
}

#: A call that reports progress for a while (a long tool with enough work for several reports).
PROGRESS_CALL = (
    "learning_rate_sweep",
    {"problem": "quadratic", "optimizer": "sgd", "lrs": [0.001, 0.01, 0.05, 0.1], "steps": 200},
)
