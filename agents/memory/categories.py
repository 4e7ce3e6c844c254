"""What a remembered fact is about, from a small vocabulary: "I use PyTorch" answers "which framework?",
"my GPU is a 4090" answers "what card do I have?" / "我的显卡是什么？".

A fact whose terms name a member of a category ("pytorch", "4090") is indexed with that category's token as
well; a query that asks for the category ("framework", "显卡") looks for the token too. Both sides work on
the index terms of :func:`agents.memory.long_term.search_terms` (lower-cased words, Chinese bigrams), so a
memory stored before a category existed is found once it is stored again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["CATEGORIES", "Category", "asked_categories", "fact_categories"]


@dataclass(frozen=True)
class Category:
    """One kind of fact about a user."""

    token: str
    """The index term facts of this kind carry (never a word people type)."""
    asked_by: frozenset[str]
    """Query terms that ask for this kind ("framework", "框架")."""
    members: frozenset[str]
    """Terms that make a fact of this kind ("pytorch", "jax")."""


def _category(token: str, asked_by: str, members: str) -> Category:
    return Category(f"kind{token}", frozenset(asked_by.split()), frozenset(members.split()))


CATEGORIES: tuple[Category, ...] = (
    _category(
        "framework",
        "framework library toolkit 框架",
        "pytorch torch jax flax tensorflow tf keras paddle paddlepaddle mxnet mindspore 飞桨",
    ),
    _category(
        "gpu",
        "gpu card graphic vram accelerator 显卡 显存 卡",
        "4090 3090 3080 3060 4080 4070 a100 h100 h200 h800 a800 v100 t4 l4 a10 a6000 l40 rtx geforce "
        "radeon mi300 tpu",
    ),
    _category("name", "name called 名字 叫什", "name 我叫 名字 call"),
    _category(
        "language",
        "language programming 语言 编程",
        "python rust java javascript typescript golang kotlin swift julia cpp scala ruby php matlab",
    ),
    _category(
        "dataset",
        "dataset data 据集 数据",
        "cifar imagenet mnist coco squad glue wikitext voc kitti celeba 据集",
    ),
    _category(
        "os",
        "os operating system 系统",
        "ubuntu linux windows macos mac debian fedora centos arch wsl",
    ),
)


def fact_categories(terms: Iterable[str]) -> list[str]:
    """The category tokens a fact with these index terms carries."""
    present = set(terms)
    return [category.token for category in CATEGORIES if category.members & present]


def asked_categories(terms: Iterable[str]) -> list[str]:
    """The category tokens a query with these terms asks for."""
    present = set(terms)
    return [category.token for category in CATEGORIES if category.asked_by & present]
