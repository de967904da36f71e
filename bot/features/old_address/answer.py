"""The answers: where old units went, and where to find a unit's one-stop office.

Every line states only what content/khanh_hoa_old_to_new_2025.csv, content/communes.csv and the
project's sources say; no office address is given, since no source the project holds gives one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.core.communes import Commune, Hit, Place, joined
from bot.core.replies import Reply

EFFECTIVE = "từ 1/7/2025"
SOURCE_UNITS = "Nghị quyết 1667/NQ-UBTVQH15 (16/6/2025)"
# Ninh Thuận's merger into Khánh Hòa and the end of the district level.
SOURCE_MERGER = "Nghị quyết 202/2025/QH15 (12/6/2025)"
SOURCE_DATA = "Dữ liệu hành chính: VietMap (bản 10/2025)"
# Services brief, §2: one-stop reception regardless of administrative boundaries.
SOURCE_OFFICE = "Nghị định 118/2025/NĐ-CP; Báo Khánh Hòa (8/6/2025)"
MAX_PLACES = 4  # names answered in one reply


def where(
    named: Sequence[tuple[Hit, tuple[Place, ...]]], buttons: tuple[dict[str, str], ...] = ()
) -> Reply:
    """Each old unit or district asked about, with what it is now."""
    places = [p for _, olds in named for p in olds][:MAX_PLACES]
    lines = [_fate(p) for p in places]
    lines += [note for hit, olds in named if (note := _same_name(hit, olds))]
    return Reply("\n".join(lines) + "\n\n" + _sources(places), buttons)


def _fate(place: Place) -> str:
    province = f"tỉnh {place.province} cũ"
    now = joined(place.units)
    if place.is_district:
        area = (
            f"nay là {now}"
            if len(place.units) == 1
            else f"nay thuộc {len(place.units)} đơn vị: {now}"
        )
        gone = f"{place.label} ({province}) không còn: cấp huyện đã bỏ {EFFECTIVE}."
        return f"{gone} Khu vực này {area}."
    line = f"{place.label} ({place.district}, {province}) nay thuộc {now} ({EFFECTIVE})."
    if len(place.units) > 1:
        line += (
            f" {place.kind.capitalize()} cũ được chia: mỗi phần về một đơn vị; chưa rõ nơi ở "
            "của mình thuộc phần nào, bạn hỏi UBND xã, phường nơi ở."
        )
    return line


def _same_name(hit: Hit, olds: tuple[Place, ...]) -> str:
    """A current unit that shares the name but is another place ("Xã Vĩnh Hải")."""
    current = next((p.units[0] for p in hit.places if not p.old), None)
    if current is None or any(current in p.units for p in olds):
        return ""
    areas = ", ".join(current.former_areas)
    return f"Lưu ý: {current.label} hiện nay là một đơn vị khác (khu vực {areas} cũ)."


def _sources(places: Sequence[Place]) -> str:
    parts = [SOURCE_UNITS]
    if any(p.is_district or p.province != "Khánh Hòa" for p in places):
        parts.append(SOURCE_MERGER)
    parts.append(SOURCE_DATA)
    return "Nguồn: " + "; ".join(parts)


def office(named: Sequence[tuple[Hit, tuple[Place, ...]]], links: Mapping[str, str]) -> Reply:
    """Where to look up a unit's one-stop office: no source gives the offices' addresses."""
    places = [p for _, group in named for p in group][:MAX_PLACES]
    units = tuple(dict.fromkeys(u for p in places for u in p.units))
    lines = [_fate(p) for p in places if p.old]
    lines.append(
        f"Mình chưa có địa chỉ chính thức của Trung tâm Phục vụ hành chính công (bộ phận một "
        f"cửa) {_of(units)}. Bạn xem thông tin trên trang của Trung tâm Phục vụ hành chính công "
        f"tỉnh {links['province_hcc']} hoặc Cổng thông tin điện tử tỉnh "
        f"{links['province_portal']}."
    )
    lines.append(
        f"{EFFECTIVE.capitalize()}, bạn nộp hồ sơ được ở Trung tâm Phục vụ hành chính công của "
        "bất kỳ xã, phường nào trong tỉnh, không phụ thuộc nơi ở; hoặc nộp trực tuyến trên "
        f"{links['dvc_portal']} bằng tài khoản VNeID mức 2."
    )
    return Reply("\n".join(lines) + f"\n\nNguồn: {SOURCE_OFFICE}")


def _of(units: tuple[Commune, ...]) -> str:
    return joined(units) if len(units) <= 3 else "các xã, phường này"
