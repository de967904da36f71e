"""The gateway's own small dialogues: the consent notice, the optional commune, rating buttons.

These concern the data the gateway holds, so the gateway answers them itself before Rasa sees
the message: button payloads ("/consent_accept", "/commune_pick:cam lam") and a few typed
answers while a question is open ("đồng ý" after the notice, a commune name after "Chọn xã").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.conversation.chain import Answer, ChatHandlers, Notice, Turn
from bot.conversation.citizens import DECLINED, GRANTED, Citizen, CitizenRegistry
from bot.core import communes
from bot.core.replies import Reply
from bot.nlu.text import fold

if TYPE_CHECKING:
    from bot.core.services import Services

ACCEPT, DECLINE = "/consent_accept", "/consent_decline"
CHOOSE, SKIP = "/commune_choose", "/commune_skip"
PICK, AREA, AREAS_MORE = "/commune_pick:", "/commune_area:", "/commune_areas_more"
HELPFUL, NOT_HELPFUL = "/feedback_positive", "/feedback_negative"
MAX_BUTTONS = 12  # Messenger shows at most 13 quick replies

NOTICE = (
    "Để tỉnh thống kê hiệu quả tuyên truyền chuyển đổi số, mình xin lưu câu hỏi của bạn "
    "(số điện thoại, số định danh, số tài khoản, mã OTP được che), chủ đề, thời gian, kênh, "
    "một mã ẩn danh thay cho tên bạn và mã tài khoản do Zalo/Facebook cấp để gửi tin trả lời; "
    "nếu bạn dùng tới, cả xã/phường, biệt danh và điểm thi, bài dự thi kèm tên liên hệ, đăng ký "
    "bản tin, đánh giá và tin nhắn với tình nguyện viên. Dữ liệu giữ {days} ngày. Bạn có thể "
    'xem, xóa dữ liệu hoặc rút lại đồng ý bất cứ lúc nào (gõ "xem dữ liệu của tôi"). Không '
    "đồng ý thì mình vẫn trả lời bình thường.\nNguồn: Luật Bảo vệ dữ liệu cá nhân 91/2025/QH15"
)
NOTICE_BUTTONS = (
    {"title": "Đồng ý", "payload": ACCEPT},
    {"title": "Không đồng ý", "payload": DECLINE},
)
ACCEPTED = (
    "Cảm ơn bạn! Bạn có muốn cho biết mình ở xã/phường nào không? Không bắt buộc, việc này giúp "
    "tỉnh biết chuyển đổi số đã đến được những đâu."
)
NEWSLETTER_BUTTON = {"title": "Nhận bản tin", "payload": "/newsletter_subscribe"}
COMMUNE_OFFER = (
    {"title": "Chọn xã/phường", "payload": CHOOSE},
    {"title": "Bỏ qua", "payload": SKIP},
)
DECLINED_TEXT = (
    "Mình đã ghi nhận. Mình vẫn trả lời bạn bình thường, chỉ đếm số lượt hỏi, không lưu câu hỏi "
    'và không gắn lượt hỏi với mã của bạn. Nếu đổi ý, bạn gõ "đồng ý lưu dữ liệu".'
)
WITHDRAWN = (
    "Mình đã ngừng lưu dữ liệu mới về bạn. Những gì đã lưu trước đó sẽ tự xóa sau {days} ngày; "
    'muốn xóa ngay thì chọn "Xóa dữ liệu".'
)
ASK_COMMUNE = (
    "Bạn gõ tên xã/phường (có dấu hay không đều được), ví dụ: Cam Lâm, Bắc Nha Trang, Phan Rang. "
    "Hoặc chọn khu vực cũ (huyện, thị xã, thành phố trước 7/2025) bên dưới."
)
PICK_ONE = "Bạn ở xã/phường nào dưới đây?"
COMMUNE_SAVED = 'Đã ghi nhận: {label}. Cảm ơn bạn! Muốn đổi, bạn gõ "đổi xã".'
SKIPPED = "Không sao. Bạn cần hỏi gì cứ nhắn mình nhé."
NEEDS_CONSENT = "Mình chỉ lưu xã/phường của bạn khi bạn đồng ý cho lưu dữ liệu."
ALREADY = "Bạn đã đồng ý rồi. Cảm ơn bạn!"
FEEDBACK_BUTTONS = (
    {"title": "Hữu ích 👍", "payload": HELPFUL},
    {"title": "Chưa hữu ích 👎", "payload": NOT_HELPFUL},
)

_ACCEPT_WORDS = {"dong y", "toi dong y", "dong y luu", "dong y luu du lieu", "ok dong y", "co"}
_DECLINE_WORDS = {"khong dong y", "toi khong dong y", "ko dong y", "k dong y", "khong"}
# Typed consent that needs no open question.
_ACCEPT_ALWAYS = {"dong y luu du lieu", "toi dong y luu du lieu"}
_CHOOSE_WORDS = {
    "doi xa", "doi phuong", "chon xa", "chon phuong", "doi xa phuong", "chon xa phuong",
    "cap nhat xa", "cap nhat xa phuong", "xa cua toi", "phuong cua toi",
}  # fmt: skip


@dataclass(frozen=True)
class Handled:
    """A message the gateway answered itself, and what to record for it."""

    replies: list[Reply]
    intent: str
    topic: str = "data_rights"


def _words(text: str) -> str:
    return " ".join(fold(text).replace(".", " ").replace("!", " ").split())


def notice(days: int) -> Reply:
    return Reply(NOTICE.format(days=days), NOTICE_BUTTONS)


def area_buttons(more: bool = False) -> tuple[dict[str, str], ...]:
    names = communes.areas()
    first, rest = names[: MAX_BUTTONS - 1], names[MAX_BUTTONS - 1 :]
    if more:
        return tuple({"title": a[:20], "payload": f"{AREA}{a}"} for a in rest)
    buttons = [{"title": a[:20], "payload": f"{AREA}{a}"} for a in first]
    if rest:
        buttons.append({"title": "Khu vực khác", "payload": AREAS_MORE})
    return tuple(buttons)


def _unit_buttons(units: tuple[communes.Commune, ...]) -> tuple[dict[str, str], ...]:
    return tuple({"title": c.name[:20], "payload": f"{PICK}{c.key}"} for c in units[:MAX_BUTTONS])


# A dialogue step that does not take the message.
PASS = object()


async def _accept(
    registry: CitizenRegistry, citizen: Citizen, text: str, words: str, days: int
) -> Handled | object:
    asked = words in _ACCEPT_WORDS and citizen.awaiting == "consent"
    if text != ACCEPT and not asked and words not in _ACCEPT_ALWAYS:
        return PASS
    if citizen.consented:
        await registry.update(citizen, awaiting=None)
        return Handled([Reply(ALREADY)], "consent_accept")
    await registry.update(citizen, consent=GRANTED, awaiting=None)
    if citizen.commune:
        return Handled([Reply(ALREADY)], "consent_accept")
    buttons: tuple[dict[str, str], ...] = COMMUNE_OFFER
    if citizen.channel in ("facebook", "zalo") and not citizen.newsletter:
        # The channels that can carry the newsletter also offer it here, once.
        buttons = (*COMMUNE_OFFER[:1], NEWSLETTER_BUTTON, *COMMUNE_OFFER[1:])
    return Handled([Reply(ACCEPTED, buttons)], "consent_accept")


async def _decline(
    registry: CitizenRegistry, citizen: Citizen, text: str, words: str, days: int
) -> Handled | object:
    if text != DECLINE and not (words in _DECLINE_WORDS and citizen.awaiting == "consent"):
        return PASS
    await registry.update(citizen, consent=DECLINED, awaiting=None, newsletter=False)
    return Handled([Reply(DECLINED_TEXT)], "consent_decline")


async def _choose(
    registry: CitizenRegistry, citizen: Citizen, text: str, words: str, days: int
) -> Handled | object:
    if text != CHOOSE and words not in _CHOOSE_WORDS:
        return PASS
    if not citizen.consented:
        return Handled([Reply(NEEDS_CONSENT), notice(days)], "commune_choose")
    await registry.update(citizen, awaiting="commune")
    return Handled([Reply(ASK_COMMUNE, area_buttons())], "commune_choose")


async def _buttons(
    registry: CitizenRegistry, citizen: Citizen, text: str, words: str, days: int
) -> Handled | object:
    """The commune dialogue's buttons: skip, more areas, an area, a unit."""
    if text == SKIP:
        await registry.update(citizen, awaiting=None)
        return Handled([Reply(SKIPPED)], "commune_skip")
    if text == AREAS_MORE:
        return Handled([Reply(PICK_ONE, area_buttons(more=True))], "commune_choose")
    if text.startswith(AREA):
        area = text[len(AREA) :]
        units = tuple(c for c in communes.load() if area in c.former_areas)
        return Handled([Reply(PICK_ONE, _unit_buttons(units))], "commune_choose")
    if not text.startswith(PICK):
        return PASS
    unit = communes.by_key(text[len(PICK) :])
    if unit is None or not citizen.consented:
        return Handled([Reply(ASK_COMMUNE, area_buttons())], "commune_choose")
    await registry.update(citizen, commune=unit.name, awaiting=None)
    return Handled([Reply(COMMUNE_SAVED.format(label=unit.label))], "commune_set")


async def _typed_commune(
    registry: CitizenRegistry, citizen: Citizen, text: str, words: str, days: int
) -> Handled | object | None:
    """A commune typed after "Chọn xã"; anything else ends the wait (None: not answered)."""
    if citizen.awaiting != "commune" or not citizen.consented or text.startswith("/"):
        return PASS
    # Old names too: "phường Vĩnh Hải" is stored as Bắc Nha Trang, the unit it is now.
    found = communes.match(text)
    unit = found.settled
    if unit is not None:
        await registry.update(citizen, commune=unit.name, awaiting=None)
        label = f"{unit.label} (gồm {found.via} cũ)" if found.via else unit.label
        return Handled([Reply(COMMUNE_SAVED.format(label=label))], "commune_set")
    if 0 < len(found.candidates) <= MAX_BUTTONS:
        # A name two places share, an old unit split in parts, or an old district.
        ask = found.note or PICK_ONE
        return Handled([Reply(ask, _unit_buttons(found.candidates))], "commune_choose")
    # Not a commune: the citizen moved on to a question; stop waiting.
    await registry.update(citizen, awaiting=None)
    return None


_STEPS = (_accept, _decline, _choose, _buttons, _typed_commune)


async def intercept(
    registry: CitizenRegistry, citizen: Citizen, text: str, days: int
) -> Handled | None:
    """Answer `text` here if it belongs to one of the gateway's dialogues, else None."""
    words = _words(text)
    for step in _STEPS:
        handled = await step(registry, citizen, text, words, days)
        if handled is not PASS:
            return handled if isinstance(handled, Handled) else None
    if citizen.awaiting == "consent":
        # Another question instead of an answer to the notice: it is asked again next time.
        await registry.update(citizen, awaiting=None)
    return None


def chat(desk: None, services: Services) -> ChatHandlers:
    """The consent and commune dialogues, before anything else reads the message."""
    days = services.settings.retention_days

    async def dialogue(turn: Turn) -> Answer | None:
        handled = await intercept(services.citizens, turn.citizen, turn.text, days)
        if handled is None:
            return None
        return Answer(handled.replies, handled.intent, handled.topic, Notice.NEVER)

    return ChatHandlers(before_nlu={"dialogue": dialogue})
