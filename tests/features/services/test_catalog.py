"""The public-service catalogue: the real content/services.yml loads and is well formed, the names
citizens type find their service with or without diacritics, unknown and ambiguous names get
the closest services, and a broken file is refused with a message that says what is wrong."""

from __future__ import annotations

import unicodedata
from datetime import date
from pathlib import Path

import pytest
import yaml

from bot.features.services.catalog import (
    CLOSEST,
    SERVICES_YML,
    Catalog,
    CatalogError,
    load_catalog,
)

# The day the catalogue was written; no review may be set later than six months after it.
WRITTEN = date(2026, 11, 30)
LATEST_REVIEW = date(2027, 5, 30)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(SERVICES_YML)


def test_the_real_file_loads_with_at_least_60_services(catalog: Catalog) -> None:
    assert len(catalog) >= 60
    assert len({s.id for s in catalog.services}) == len(catalog)


def test_every_service_is_dated_sourced_and_linked_officially(catalog: Catalog) -> None:
    for service in catalog.services:
        assert service.sources, service.id
        assert service.as_of <= WRITTEN, service.id
        assert WRITTEN < service.review_by <= LATEST_REVIEW, service.id
        assert service.link is None or ".gov.vn" in service.link, service.id
        # The province's own portal closed its interface on 1/7/2025.
        assert "province_portal" not in service.where, service.id


def test_no_expired_2025_discount_is_told_as_current(catalog: Catalog) -> None:
    for service in catalog.services:
        if service.fee is None:
            continue
        text = service.fee.text
        for expired in ("115.000", "180.000", "360.000", "170.000", "80.000"):
            assert expired not in text, (service.id, text)


@pytest.mark.parametrize(
    ("alias", "service_id"),
    [
        ("ltp", "ly_lich_tu_phap"),
        ("gplx", "doi_gplx"),
        ("cccd", "cap_doi_the_can_cuoc"),
        ("dkkd", "dang_ky_ho_kinh_doanh"),
        ("LTP", "ly_lich_tu_phap"),
        ("xin GPLX", "doi_gplx"),
    ],
)
def test_abbreviations_of_the_issue_resolve(catalog: Catalog, alias: str, service_id: str) -> None:
    match = catalog.find(alias)
    assert match.service is not None and match.service.id == service_id


@pytest.mark.parametrize(
    ("accented", "unaccented", "service_id"),
    [
        ("đăng ký thường trú", "dang ky thuong tru", "dang_ky_thuong_tru"),
        ("đăng ký tạm trú", "dang ky tam tru", "dang_ky_tam_tru"),
        ("thông báo lưu trú", "thong bao luu tru", "thong_bao_luu_tru"),
        ("đổi căn cước", "doi can cuoc", "cap_doi_the_can_cuoc"),
        ("làm hộ chiếu", "lam ho chieu", "cap_ho_chieu"),
        ("lý lịch tư pháp", "ly lich tu phap", "ly_lich_tu_phap"),
        ("làm giấy khai sinh", "lam giay khai sinh", "dang_ky_khai_sinh"),
        ("đổi bằng lái", "doi bang lai", "doi_gplx"),
        ("trợ cấp thất nghiệp", "tro cap that nghiep", "tro_cap_that_nghiep"),
        ("sang tên sổ đỏ", "sang ten so do", "dang_ky_bien_dong_dat_dai"),
        ("xác nhận độc thân", "xac nhan doc than", "xac_nhan_tinh_trang_hon_nhan"),
        ("sang tên đồng hồ điện", "sang ten dong ho dien", "doi_chu_the_hop_dong_dien"),
    ],
)
def test_accented_and_unaccented_forms_find_the_same_service(
    catalog: Catalog, accented: str, unaccented: str, service_id: str
) -> None:
    with_marks, without = catalog.find(accented), catalog.find(unaccented)
    assert with_marks.service is not None and without.service is not None
    assert with_marks.service.id == without.service.id == service_id


@pytest.mark.parametrize(
    ("text", "service_id"),
    [
        ("dang ky thuong tru truc tuyen", "dang_ky_thuong_tru"),
        ("cấp phiếu lý lịch tư pháp trên mạng thế nào", "ly_lich_tu_phap"),
        ("lệ phí cấp căn cước bao nhiêu", "cap_doi_the_can_cuoc"),
        ("khai sinh online", "lien_thong_khai_sinh"),
        ("đổi gplx", "doi_gplx"),
        # The longest alias wins over a shorter one inside it.
        ("mất CCCD thì làm lại thế nào", "cap_lai_the_can_cuoc"),
        ("làm căn cước cho con 5 tuổi", "can_cuoc_duoi_14_tuoi"),
        ("gia hạn BHYT hộ gia đình ở đâu", "gia_han_bhyt_ho_gia_dinh"),
        # NFD input from some keyboards folds the same way.
        (unicodedata.normalize("NFD", "Đăng Ký Tạm Trú"), "dang_ky_tam_tru"),
    ],
)
def test_citizen_questions_resolve(catalog: Catalog, text: str, service_id: str) -> None:
    match = catalog.find(text)
    assert match.service is not None and match.service.id == service_id, match
    assert not match.ambiguous


def test_aliases_match_whole_words_only(catalog: Catalog) -> None:
    # "ltp" inside another word is not the abbreviation.
    assert catalog.find("altpx").service is None


def test_an_unknown_service_gets_the_three_closest(catalog: Catalog) -> None:
    match = catalog.find("giay phep nuoi cho")
    assert match.service is None and not match.ambiguous
    assert len(match.closest) == CLOSEST
    # "giấy phép" is the nearest thing the catalogue knows.
    assert {"giay_phep_xay_dung", "doi_gplx"} & {s.id for s in match.closest}


def test_an_ambiguous_alias_returns_its_candidates(catalog: Catalog) -> None:
    match = catalog.find("bhyt")
    assert match.service is None and match.ambiguous
    assert [s.id for s in match.closest] == [
        "gia_han_bhyt_ho_gia_dinh",
        "cap_lai_the_bhyt",
        "the_bhyt_dien_tu",
    ]
    assert catalog.find("Mai táng phí").ambiguous


def test_empty_text_finds_nothing(catalog: Catalog) -> None:
    match = catalog.find("  ???  ")
    assert match.service is None and match.closest == ()


# -- a broken file is refused ---------------------------------------------------------------------


def _entry(service_id: str, aliases: list[str]) -> dict[str, object]:
    return {
        "id": service_id,
        "name": f"Thủ tục {service_id}",
        "group": "other",
        "aliases": aliases,
        "level": "unknown",
        "where": ["dvcqg"],
        "where_note": "Nộp trên Cổng DVCQG.",
        "link": "https://dichvucong.gov.vn",
        "source": [{"title": "Nguồn", "url": "https://example.gov.vn/a", "date": "2025-10-02"}],
        "as_of": "2025-10-02",
        "review_by": "2027-05-30",
    }


def _write(tmp_path: Path, services: list[dict[str, object]], **extra: object) -> Path:
    path = tmp_path / "services.yml"
    path.write_text(
        yaml.safe_dump({"services": services, **extra}, allow_unicode=True), encoding="utf-8"
    )
    return path


def _refusal(path: Path) -> str:
    with pytest.raises(CatalogError) as refused:
        load_catalog(path)
    return str(refused.value)


def test_a_good_small_file_loads(tmp_path: Path) -> None:
    one = _entry("mot", ["mot a", "mot b", "mot c", "mot d"])
    two = _entry("hai", ["hai a", "hai b", "hai c", "hai d"])
    catalog = load_catalog(_write(tmp_path, [one, two]))
    assert [s.id for s in catalog.services] == ["mot", "hai"]


def test_a_missing_source_is_refused(tmp_path: Path) -> None:
    entry = _entry("mot", ["mot a", "mot b", "mot c", "mot d"])
    del entry["source"]
    assert "service 'mot': `source` is missing" in _refusal(_write(tmp_path, [entry]))


def test_an_http_link_is_refused(tmp_path: Path) -> None:
    entry = _entry("mot", ["mot a", "mot b", "mot c", "mot d"])
    entry["link"] = "http://dichvucong.gov.vn"
    message = _refusal(_write(tmp_path, [entry]))
    assert "service 'mot': link 'http://dichvucong.gov.vn' must be https" in message


def test_a_link_outside_government_is_refused(tmp_path: Path) -> None:
    entry = _entry("mot", ["mot a", "mot b", "mot c", "mot d"])
    entry["link"] = "https://dichvucong-gov.vip"
    assert "must be https on a .gov.vn host" in _refusal(_write(tmp_path, [entry]))


def test_a_duplicate_alias_is_refused(tmp_path: Path) -> None:
    one = _entry("mot", ["chung", "mot b", "mot c", "mot d"])
    two = _entry("hai", ["Chúng", "hai b", "hai c", "hai d"])
    message = _refusal(_write(tmp_path, [one, two]))
    assert "alias 'chung' is shared by ['hai', 'mot']: list it under `ambiguous:`" in message


def test_a_shared_alias_listed_as_ambiguous_is_accepted(tmp_path: Path) -> None:
    one = _entry("mot", ["chung", "mot b", "mot c", "mot d"])
    two = _entry("hai", ["chung", "hai b", "hai c", "hai d"])
    catalog = load_catalog(_write(tmp_path, [one, two], ambiguous={"chung": ["mot", "hai"]}))
    match = catalog.find("chung")
    assert match.ambiguous and [s.id for s in match.closest] == ["mot", "hai"]


def test_every_problem_is_named_at_once(tmp_path: Path) -> None:
    entry = _entry("Mot Sai", ["a", "b"])
    entry.update(level="muc_4", where=["cong_tinh"], as_of="2027-06-01", review_by="2027-05-30")
    entry["fee"] = {"text": "10.000đ"}
    message = _refusal(_write(tmp_path, [entry, _entry("hai", ["x", "y", "z", "w"])]))
    for expected in (
        "id 'Mot Sai' is not snake_case ascii",
        "level 'muc_4' is not one of",
        "needs at least 4 aliases, has 2",
        "where 'cong_tinh' is not one of",
        "as_of 2027-06-01 is after review_by 2027-05-30",
        "`fee.source` needs at least one",
    ):
        assert expected in message


def test_a_duplicate_id_is_refused(tmp_path: Path) -> None:
    one = _entry("mot", ["mot a", "mot b", "mot c", "mot d"])
    two = _entry("mot", ["hai a", "hai b", "hai c", "hai d"])
    assert "service 'mot': id used twice" in _refusal(_write(tmp_path, [one, two]))
