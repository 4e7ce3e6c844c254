"""The playground in a real browser (chromium via Playwright), asserting on what a person sees.

Each scenario opens the printed URL in a fresh page, does what a user would, saves a screenshot of the final
state under the test's temporary folder and checks what is visible.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

pytestmark = pytest.mark.timeout(240)

WAIT_MS = 120_000  # a cold start of the MCP server, on a busy 2-core machine


@pytest.fixture
def page(browser: Any, playground: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.goto(playground.url)
    opened.wait_for_selector("body[data-ready=true]")
    yield opened
    context.close()
    assert errors == [], f"errors in the page's scripts: {errors}"


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def test_a_kl_question_streams_an_answer_with_a_tool_card_and_model_and_mcp_lanes(page, tmp_path):
    page.fill("#chat-input", "KL divergence between p=[0.5,0.5] and q=[0.9,0.1] in bits")
    page.keyboard.press("Enter")
    card = page.locator(".tool-card", has_text="kl_divergence")
    expect(card.locator(".status")).to_have_text("ok", timeout=WAIT_MS)
    answer = page.locator(".transcript .bubble.assistant").last
    # KL(p‖q) in bits = ½·log2(0.5/0.9) + ½·log2(0.5/0.1) = 0.736966 (hand derivation)
    expect(answer).to_contain_text("0.736966", timeout=WAIT_MS)
    expect(page.locator(".transcript .bubble.user")).to_have_text(re.compile("KL divergence between"))
    card.locator("summary", has_text="result").click()
    expect(card.locator("pre")).to_contain_text('"kl_pq": 0.7369')
    timeline = page.locator(".chat-timeline")
    expect(timeline.locator(".tl-lane.role-model")).to_contain_text(
        "protoplay-offline".removeprefix("protoplay-")
    )
    expect(timeline.locator(".tl-lane.role-MCP-server")).to_be_visible()
    expect(timeline.locator(".tl-lane.role-user")).to_contain_text("you")
    expect(timeline.locator(".tl-row.proto-llm").first).to_contain_text("chat.completions")
    expect(timeline.locator(".tl-row.proto-mcp", has_text="tools/call").first).to_contain_text(
        "kl_divergence"
    )
    page.screenshot(path=tmp_path / "chat.png")


def test_a_tool_form_refuses_a_bad_value_with_a_message_then_runs(page, tmp_path):
    page.click("[role=tab][data-panel=tools]")
    page.click("button.item[data-tool=conv2d_params]")
    page.fill("input[name=kernel_size]", "3")
    page.fill("input[name=in_channels]", "0")
    page.fill("input[name=out_channels]", "16")
    page.click("button[type=submit]")
    expect(page.locator(".field[data-path=in_channels] .field-error")).to_have_text(
        "in_channels: must be at least 1"
    )
    expect(page.locator(".form-errors")).to_contain_text("in_channels must be at least 1")
    expect(page.locator(".call-result")).to_be_empty()  # nothing was sent
    page.fill("input[name=in_channels]", "3")
    page.fill("input[name=input_size]", "32, 32")
    page.click("button[type=submit]")
    result = page.locator(".call-result")
    expect(result.locator(".status.ok")).to_be_visible(timeout=WAIT_MS)
    expect(page.locator(".field-error:visible")).to_have_count(0)
    # (k_h·k_w·C_in + 1)·C_out = (3·3·3 + 1)·16 = 448; a 3×3 kernel on 32×32 without padding gives 30×30
    expect(result).to_contain_text('"params": 448')
    result.locator("summary", has_text="MCP request").click()
    expect(result.locator("pre").nth(1)).to_contain_text('"method": "tools/call"')
    page.screenshot(path=tmp_path / "tool-form.png", full_page=True)


def test_the_diagnose_training_demo_asks_in_the_page_and_finishes_with_the_answer(page, tmp_path):
    page.click("[role=tab][data-panel=demos]")
    page.click("div.demo[data-demo=diagnose-training] button")
    question = page.locator(".demo-transcript .question")
    expect(question).to_contain_text("train_loss", timeout=WAIT_MS)
    expect(page.locator("#demo-answer")).to_have_value(re.compile(r"^train loss \[2\.1"))
    page.locator("#demo-answer").press("Enter")
    expect(page.locator(".demo-line.done")).to_have_text("✔ demo finished", timeout=WAIT_MS)
    final = page.locator(".demo-transcript .bubble.assistant.state-completed")
    expect(final).to_contain_text("overfitting")
    expect(page.locator(".demo-transcript img.plot")).to_be_visible()
    timeline = page.locator(".demo-timeline")
    for role in ("user", "agent", "model", "MCP-server"):
        expect(timeline.locator(f".tl-lane.role-{role}").first).to_be_visible()
    expect(timeline.locator(".tl-lane", has_text="coordinator").first).to_be_visible()
    page.screenshot(path=tmp_path / "demo.png")


def test_an_a2a_agents_card_opens_and_a_message_gets_its_answer(page, playground, tmp_path):
    page.click("[role=tab][data-panel=agents]")
    expect(page.locator("#agent-url")).to_have_value(playground.specialist)  # the --peer is offered
    page.click("#agent-open")
    card = page.locator(".agent-card")
    expect(card.locator("h2")).to_have_text("protoplay-ml-specialist", timeout=WAIT_MS)
    expect(card.locator(".skill", has_text="Information theory")).to_be_visible()
    page.fill("#agent-message", "entropy of [0.25, 0.25, 0.5] in bits")
    page.locator("#agent-message").press("Enter")
    reply = page.locator(".task-log .bubble.assistant.state-completed")
    # H = ¼·2 + ¼·2 + ½·1 = 1.5 bits (hand derivation)
    expect(reply).to_contain_text("H(p) = −Σ p_i·log p_i = 1.5 bits", timeout=WAIT_MS)
    expect(page.locator(".task-log .state-completed").first).to_be_visible()
    page.click("#agent-tasks")
    expect(page.locator(".task-list td .state-completed").first).to_be_visible()
    page.screenshot(path=tmp_path / "agents.png")


def test_a_memory_is_found_by_search_and_forgotten(page, tmp_path):
    page.click("[role=tab][data-panel=memory]")
    expect(page.locator(".memory")).to_have_count(3)
    page.fill("#memory-query", "learning rate")
    page.locator("#memory-query").press("Enter")
    found = page.locator(".memory")
    expect(found).to_have_count(1)
    expect(found).to_contain_text("Use a learning rate of 3e-4 for AdamW on this dataset")
    found.get_by_role("button", name=re.compile("forget memory")).click()
    expect(page.locator(".memory-notice")).to_contain_text(re.compile(r"Forgot memory #\d+\."))
    expect(page.locator(".memory")).to_have_count(0)
    page.fill("#memory-query", "")
    page.click("#memory-search")
    expect(page.locator(".memory")).to_have_count(2)
    expect(page.locator(".memory-list")).not_to_contain_text("learning rate")
    page.screenshot(path=tmp_path / "memory.png")


def test_a_server_error_is_shown_and_the_next_request_works(page, tmp_path):
    page.click("[role=tab][data-panel=tools]")
    page.locator("button.item", has_text="notes://{topic}").click()
    page.fill("input[name=topic]", "no-such-topic")
    page.click("button[type=submit]")
    expect(page.locator(".call-result .error")).to_contain_text("uri:", timeout=WAIT_MS)
    page.fill("input[name=topic]", "lora")
    page.click("button[type=submit]")
    expect(page.locator(".call-result .resource-text")).to_contain_text("LoRA", timeout=WAIT_MS)
    expect(page.locator(".call-result .error")).to_have_count(0)
    page.screenshot(path=tmp_path / "recovered.png")


def test_a_narrow_dark_window_keeps_chat_and_timeline_usable(browser, playground, tmp_path):
    context = browser.new_context(viewport={"width": 420, "height": 860}, color_scheme="dark")
    page = context.new_page()
    page.goto(playground.url)
    page.wait_for_selector("body[data-ready=true]")
    composer = page.locator("#chat-input")
    expect(composer).to_be_visible()
    box, send = composer.bounding_box(), page.locator("#chat-send").bounding_box()
    assert (
        box is not None
        and send is not None
        and box["x"] + box["width"] <= 420
        and send["x"] + send["width"] <= 420
    )
    composer.fill("first line")
    composer.press("Shift+Enter")  # a newline, not a send
    composer.press_sequentially("second line")
    expect(composer).to_have_value("first line\nsecond line")
    expect(page.locator(".transcript .bubble.user")).to_have_count(0)
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(21, 23, 28)"  # the dark palette's --bg (#15171c)
    page.screenshot(path=tmp_path / "narrow-dark.png", full_page=True)
    context.close()


def test_a_ten_thousand_event_trace_renders_and_scrolls(page, playground, tmp_path):
    from agents.trace import TraceWriter

    writer = TraceWriter(playground.home / "traces", agent="protoplay-agent")
    for n in range(5_000):
        writer.record(
            "llm", "out", "protoplay-offline", "chat.completions", {"summary": f"request {n}"}, None, "big"
        )
        writer.record("mcp", "in", "protoplay", "tools/call", {"summary": f"result {n}"}, 1.5, "big")
    writer.close()
    page.click("[role=tab][data-panel=timeline]")
    page.select_option("#trace-picker", "big")
    timeline = page.locator(".trace-timeline")
    expect(timeline.locator(".tl-count")).to_have_text("10,000 events · 10,000 rows", timeout=WAIT_MS)
    assert timeline.locator(".tl-row").count() < 200  # only the rows in view are drawn
    expect(timeline.locator(".tl-row", has_text="result 4999")).to_be_visible()  # it follows the end
    timeline.locator(".tl-row", has_text="result 4999").click()
    expect(timeline.locator(".tl-detail")).to_contain_text('"summary": "result 4999"')
    timeline.locator(".tl-scroll").evaluate("el => el.scrollTop = 0")
    expect(timeline.locator(".tl-row", has_text="request 0").first).to_be_visible()
    timeline.locator("input[aria-label='show mcp']").uncheck()
    expect(timeline.locator(".tl-count")).to_have_text("10,000 events · 5,000 rows")
    page.screenshot(path=tmp_path / "big-trace.png")
