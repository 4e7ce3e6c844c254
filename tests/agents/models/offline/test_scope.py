"""Scope: a request outside the field is told by its words against the notes' and tools' vocabularies."""

from __future__ import annotations

import pytest

from agents.models.offline.schema import ToolView
from agents.models.offline.scope import read_scope


@pytest.fixture(scope="module")
def offered(catalogue_specs) -> list[ToolView]:
    return [ToolView.from_spec(spec) for spec in catalogue_specs]


@pytest.mark.parametrize(
    "text",
    [
        "book a train ticket to Boston for tomorrow morning",  # "train" is a word of the field, by chance
        "recommend a few good movies for the weekend",  # the action of recommend_optimizer, not its object
        "tell me a funny joke about cats",
        "推荐几部好看的电影",
        "帮我买一张明天去杭州的高铁票",
    ],
)
def test_a_request_outside_the_field_is_outside(offered, text):
    assert read_scope(text, offered).outside


@pytest.mark.parametrize(
    "text",
    [
        "any practical tips for training a GAN",  # names a note
        "how many parameters does resnet50 have?",
        "my loss goes to nan after a few hundred steps",
        "covariate shift 和 semantic shift 有什么区别",  # "么区" only joins two known words
        "量化之后解码能快多少？精度会掉很多吗",
        "梯度裁剪的 max_norm 一般设多少",
    ],
)
def test_a_request_about_the_field_is_inside(offered, text):
    assert not read_scope(text, offered).outside


def test_the_scope_names_the_foreign_words(offered):
    scope = read_scope("buy me some running shoes", offered)
    assert scope.foreign == ("sho",) and scope.outside  # "shoes", stemmed as the notes are
