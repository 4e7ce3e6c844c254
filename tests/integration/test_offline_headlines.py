"""Every catalogue tool's answer leads with a headline in the language of the question: for each tool, the
Chinese request of :data:`tests.integration.test_offline_model_on_the_catalogue.CASES` is run through the real
tool and answered in Chinese and in English. A new tool whose result fields have no Chinese name (see
``agents/models/offline/phrases/zh_results.py``) fails here."""

from __future__ import annotations

import json
import re

import pytest

from agents.models.offline.answers import render_result
from agents.models.offline.headline import headline_fields, scalar_matrices
from tests.integration.test_offline_model_on_the_catalogue import CASES
from tools.catalog import TOOLS, call_tool

_NOT_COMPUTED = {"explain", "list_topics", "remember", "recall", "forget", "ask_user"}
_SLOW = {"compare_optimizers", "learning_rate_sweep", "gradient_flow", "compare_models"}
_ENGLISH_PROSE = re.compile(r"\b(?:the|of|per|with|and|is|are|does|fits|result)\b", re.IGNORECASE)


def _zh_case(tool: str) -> tuple[str, dict[str, object]]:
    return next((request, arguments) for name, request, arguments in CASES if name == tool and re.search(
        "[\u4e00-\u9fff]", request
    ))  # fmt: skip


@pytest.mark.parametrize(
    "tool",
    [spec.name for spec in TOOLS if spec.name not in _NOT_COMPUTED | _SLOW],
)
def test_each_tools_headline_is_said_in_the_question_language(tool):
    request, arguments = _zh_case(tool)
    data = call_tool(tool, arguments).model_dump(mode="json")
    content = json.dumps(data)
    zh = render_result(
        tool, content, chinese=True, request=request, arguments=arguments, parameters=arguments
    )
    en = render_result(
        tool, content, chinese=False, request=request, arguments=arguments, parameters=arguments
    )
    zh_head, en_head = zh.split("\n", 1)[0], en.split("\n", 1)[0]
    assert zh_head.startswith(f"**{tool}**") and en_head.startswith(f"**{tool}**")
    assert re.search("[\u4e00-\u9fff]", zh_head), zh_head  # said in Chinese …
    assert not _ENGLISH_PROSE.search(zh_head), zh_head
    assert not re.search("[\u4e00-\u9fff]{2}", en_head.replace(tool, "")), en_head  # … and in English
    # every field the headline leads with is named in Chinese, not by its English field name
    said = zh_head.removeprefix(f"**{tool}**")
    for key in headline_fields(tool, scalar_matrices(data), request, arguments, arguments):
        assert not re.search(rf"(?<![\w]){re.escape(key)}(?![\w])", said), (key, zh_head)


def test_every_computing_tool_has_a_chinese_case():
    computed = [spec.name for spec in TOOLS if spec.name not in _NOT_COMPUTED]
    assert all(_zh_case(tool) for tool in computed)
