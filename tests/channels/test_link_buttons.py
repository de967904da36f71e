"""A button that opens an official page (a service card's), as each platform wants it."""

from __future__ import annotations

from bot.channels.facebook.adapter import FacebookAdapter
from bot.channels.zalo.adapter import ZaloAdapter
from bot.core.replies import Reply

LINK = {"title": "Mở trang dịch vụ", "url": "https://dichvucong.gov.vn"}
TAP = {"title": "Nhờ tình nguyện viên", "payload": "/handoff_request"}


def test_messenger_carries_a_link_in_a_button_template_and_taps_as_quick_replies() -> None:
    [body] = FacebookAdapter("s").render([Reply("Nguồn: Thông tư 75/2022", (LINK, TAP))])
    message = body["message"]
    payload = message["attachment"]["payload"]
    assert payload["template_type"] == "button"
    assert payload["text"] == "Nguồn: Thông tư 75/2022"
    assert payload["buttons"] == [
        {"type": "web_url", "url": "https://dichvucong.gov.vn", "title": "Mở trang dịch vụ"}
    ]
    assert [q["payload"] for q in message["quick_replies"]] == ["/handoff_request"]


def test_messenger_sends_a_long_text_then_the_link_apart() -> None:
    bodies = FacebookAdapter("s").render([Reply("chữ " * 300, (LINK,))])
    assert bodies[0]["message"]["text"].startswith("chữ")
    template = bodies[-1]["message"]["attachment"]["payload"]
    assert len(template["text"]) <= 640 and template["buttons"][0]["url"] == LINK["url"]


def test_zalo_opens_the_link_in_its_browser() -> None:
    [body] = ZaloAdapter("1", "s").render([Reply("Nguồn: ...", (LINK, TAP))])
    buttons = body["message"]["attachment"]["payload"]["buttons"]
    assert buttons[0] == {
        "title": "Mở trang dịch vụ",
        "type": "oa.open.url",
        "payload": {"url": "https://dichvucong.gov.vn"},
    }
    assert buttons[1]["type"] == "oa.query.hide" and buttons[1]["payload"] == "/handoff_request"
