"""The units and the old-to-new table: the data as shipped, and the matcher a citizen's typed
commune goes through (current names, old wards, communes and towns, old districts)."""

from __future__ import annotations

import csv
from collections import defaultdict

import pytest

from bot.core import communes
from bot.core.communes import OLD_TO_NEW_CSV, match
from bot.settings import PROJECT_ROOT


def rows() -> list[dict[str, str]]:
    with OLD_TO_NEW_CSV.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def names(units: tuple[communes.Commune, ...]) -> set[str]:
    return {u.name for u in units}


def test_the_table_is_shipped_with_its_attribution_and_licence() -> None:
    table = rows()
    assert len(table) == 203
    assert len({(r["old_province"], r["old_district"], r["old_unit"]) for r in table}) == 194
    assert {r["old_province"] for r in table} == {"Khánh Hòa", "Ninh Thuận"}
    labels = {u.label for u in communes.load()}
    assert {r["new_unit"] for r in table} == labels  # all 65 units, no other name
    assert (PROJECT_ROOT / "content" / "LICENSE-vietmap.txt").read_text(encoding="utf-8")
    readme = (PROJECT_ROOT / "content" / "README.md").read_text(encoding="utf-8")
    assert "Administrative data provided by VietMap" in readme
    assert "LICENSE-vietmap.txt" in readme


def test_old_places_are_the_units_then_the_districts() -> None:
    places = communes.old_places()
    units = [p for p in places if not p.is_district]
    districts = [p for p in places if p.is_district]
    assert len(units) == 194 and len(districts) == 16
    split = {p.label: names(p.units) for p in units if len(p.units) > 1}
    assert split["Xã Cam Tân"] == {"Cam Hiệp", "Cam Lâm", "Suối Dầu"}
    assert split["Phường Đông Hải"] == {"Đông Hải", "Phước Dinh"}
    nha_trang = next(p for p in districts if p.name == "Nha Trang")
    assert names(nha_trang.units) == {
        "Nha Trang",
        "Bắc Nha Trang",
        "Nam Nha Trang",
        "Tây Nha Trang",
    }


def test_every_old_unit_typed_with_its_kind_gives_its_new_units() -> None:
    went: dict[str, set[str]] = defaultdict(set)
    for row in rows():
        went[row["old_unit"]].add(row["new_unit"])
    for old, new in went.items():
        found = match(old)
        settled = found.settled
        offered = {u.label for u in found.candidates}
        # "Phường Đông Hải" is the current ward (part of the old one went to Xã Phước Dinh).
        assert (settled is not None and settled.label in new) or new <= offered, old


@pytest.mark.parametrize(
    ("typed", "unit", "via"),
    [
        ("phường Vĩnh Hải", "Bắc Nha Trang", "Phường Vĩnh Hải"),
        ("phuong vinh hai", "Bắc Nha Trang", "Phường Vĩnh Hải"),
        ("P. Vĩnh Hải", "Bắc Nha Trang", "Phường Vĩnh Hải"),
        ("Vĩnh Hải, Nha Trang", "Bắc Nha Trang", "Phường Vĩnh Hải"),
        ("xã Vĩnh Hải", "Vĩnh Hải", ""),
        ("Vĩnh Nguyên", "Nha Trang", "Phường Vĩnh Nguyên"),
        ("Cam Đức", "Cam Lâm", "Thị trấn Cam Đức"),
        ("TT Cam Duc", "Cam Lâm", "Thị trấn Cam Đức"),
        ("thị trấn Vạn Giã", "Vạn Ninh", "Thị trấn Vạn Giã"),
        ("van gia", "Vạn Ninh", "Thị trấn Vạn Giã"),
        ("X. Cam Hải Đông", "Cam Lâm", "Xã Cam Hải Đông"),
        ("Thành Hải", "Bảo An", "Xã Thành Hải"),
        # Current names keep working, with or without their kind.
        ("xa cam lam", "Cam Lâm", ""),
        ("toi o xa cam lam", "Cam Lâm", ""),
        ("bac ninh hoa", "Bắc Ninh Hòa", ""),
        ("Diên Khánh", "Diên Khánh", ""),
        ("Đông Hải", "Đông Hải", ""),
        ("Trường Sa", "Trường Sa", ""),
        ("Nha Trang", "Nha Trang", ""),
    ],
)
def test_a_name_settles_one_unit(typed: str, unit: str, via: str) -> None:
    found = match(typed)
    assert found.settled is not None and found.settled.name == unit
    assert found.via == via


def test_a_bare_name_two_places_share_is_asked_back() -> None:
    found = match("Vĩnh Hải")
    assert found.settled is None
    assert names(found.candidates) == {"Vĩnh Hải", "Bắc Nha Trang"}
    assert "Phường Vĩnh Hải cũ (Thành phố Nha Trang) nay thuộc Phường Bắc Nha Trang" in found.note
    # Callers that cannot ask back get the current unit of that name.
    assert found.commune is not None and found.commune.name == "Vĩnh Hải"
    ninh_phuoc = match("xã Ninh Phước")  # the current xã, or the old one of Ninh Hòa
    assert names(ninh_phuoc.candidates) == {"Ninh Phước", "Đông Ninh Hòa"}


@pytest.mark.parametrize(
    ("typed", "units"),
    [
        (
            "huyện Diên Khánh",
            {"Diên Khánh", "Diên Lạc", "Diên Điền", "Diên Lâm", "Diên Thọ", "Suối Hiệp"},
        ),
        ("huyen dien khanh", None),
        (
            "Phan Rang - Tháp Chàm",
            {"Phan Rang", "Đông Hải", "Bảo An", "Ninh Chử", "Đô Vinh", "Phước Dinh"},
        ),
        ("TP Phan Rang-Thap Cham", None),
        ("thành phố Nha Trang", {"Nha Trang", "Bắc Nha Trang", "Nam Nha Trang", "Tây Nha Trang"}),
        ("thị xã Ninh Hòa", None),
        ("Xã Cam Tân", {"Cam Hiệp", "Cam Lâm", "Suối Dầu"}),
    ],
)
def test_an_old_district_or_a_split_unit_is_asked_back(typed: str, units: set[str] | None) -> None:
    found = match(typed)
    assert found.settled is None
    assert 1 < len(found.candidates) <= 12
    assert found.note
    if units is not None:
        assert names(found.candidates) == units


def test_the_five_phan_rang_wards_lead_and_district_notes_say_why() -> None:
    found = match("Phan Rang - Tháp Chàm")
    assert all(u.kind == "phường" for u in found.candidates[:5])
    assert "không còn từ 1/7/2025" in found.note


@pytest.mark.parametrize(
    "text",
    [
        "vneid muc 2 dang ky o dau",
        "nguoi ta ma noi chuyen doi so la gi",  # "mà nói" folds to the old xã Ma Nới
        "gia vang hom nay",
        "",
    ],
)
def test_text_that_names_no_unit(text: str) -> None:
    found = match(text)
    assert found.commune is None and not found.candidates


def test_part_of_a_current_name_lists_the_units() -> None:
    found = match("vĩnh")
    assert found.settled is None
    assert names(found.candidates) == {
        "Khánh Vĩnh", "Bắc Khánh Vĩnh", "Trung Khánh Vĩnh", "Tây Khánh Vĩnh", "Nam Khánh Vĩnh",
        "Vĩnh Hải", "Đô Vinh",
    }  # fmt: skip


def test_found_names_keep_how_they_were_typed() -> None:
    hit = communes.find("người ta mà nói")[0]
    assert hit.key == "ma noi" and not hit.faithful
    hit = communes.find("xã Ma Nới giờ thuộc đâu")[0]
    assert hit.faithful and hit.said == "xã"
