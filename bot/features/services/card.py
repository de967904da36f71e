"""A public service as the citizen reads it: one template for every card, and the buttons that
offer services to choose from."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.replies import Reply
from bot.features.services.catalog import Service

# The payload of a service's button: handled by the services feature before the NLU.
PAYLOAD = "/dich_vu:"
HANDOFF_BUTTON = {"title": "Nhờ tình nguyện viên", "payload": "/handoff_request"}
LEVELS = {
    "toan_trinh": "Làm trực tuyến toàn trình (nộp, trả phí và nhận kết quả trên mạng)",
    "mot_phan": "Làm trực tuyến một phần (có bước phải đến nơi làm thủ tục)",
}
# Where a citizen is sent, by the catalogue's `where`.
WHERE = {
    "dvcqg": "Cổng Dịch vụ công quốc gia",
    "dvc_bca": "Cổng DVC Bộ Công an",
    "dvc_qlct": "Cổng DVC quản lý cư trú",
    "vneid": "ứng dụng VNeID",
    "vssid": "ứng dụng VssID",
    "etax": "eTax / eTax Mobile",
    "province_portal": "Cổng DVC tỉnh",
    "commune_centre": "Trung tâm Phục vụ hành chính công xã/phường",
}


def day(value: object) -> str:
    """A date as Vietnamese readers write it: 2025-12-04 -> 4/12/2025."""
    year, month, dom = str(value).split("-")
    return f"{int(dom)}/{int(month)}/{int(year)}"


def render(service: Service) -> list[Reply]:
    """The card: what the service is, how far it is online, where, fee, steps, then its sources
    and date with a button to the official page."""
    lines = [f"📋 {service.name}"]
    if service.level in LEVELS:
        lines.append(f"• {LEVELS[service.level]} (Nghị định 42/2022/NĐ-CP).")
    lines.append(f"• Nơi làm: {service.where_note}")
    if service.fee is not None:
        lines.append(f"• Lệ phí: {service.fee.text}")
    if service.benefit is not None:
        lines.append(f"• Mức hưởng: {service.benefit.text}")
    if service.steps:
        lines.append("Các bước:")
        lines += [f"{n}. {step}" for n, step in enumerate(service.steps, start=1)]
    titles = "; ".join(s.title.split(":")[0] for s in service.sources[:3])
    source = f"Nguồn: {titles} (thông tin tính đến {day(service.as_of)})."
    buttons: tuple[dict[str, str], ...] = (HANDOFF_BUTTON,)
    if service.link:
        buttons = ({"title": "Mở trang dịch vụ", "url": service.link}, *buttons)
    return [Reply("\n".join(lines)), Reply(source, buttons)]


def choices(services: Sequence[Service], ambiguous: bool) -> Reply:
    """The services to pick from, as buttons (names in full in the text: buttons cut them)."""
    if ambiguous:
        text = "Tên này dùng cho vài thủ tục. Bạn hỏi thủ tục nào ạ?"
    else:
        text = "Mình chưa rõ bạn hỏi thủ tục nào. Có phải một trong các thủ tục sau không?"
    names = "\n".join(f"{n}. {s.name}" for n, s in enumerate(services, start=1))
    return Reply(f"{text}\n{names}", tuple(button(s) for s in services))


def button(service: Service) -> dict[str, str]:
    return {"title": service.name, "payload": f"{PAYLOAD}{service.id}"}
