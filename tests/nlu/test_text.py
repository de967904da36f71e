from __future__ import annotations

import unicodedata

import pytest

from bot.nlu.teencode import dictionary, expand
from bot.nlu.text import fold, has_diacritics, normalize
from bot.nlu.tokenizer import tokenize_text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Khánh Hoà", "Khánh Hòa"),
        ("thuý", "thúy"),
        ("khoẻ", "khỏe"),
        ("thuỷ lợi", "thủy lợi"),
        ("quý", "quý"),  # "qu" is a consonant: the tone stays on y
        ("hoàn thành", "hoàn thành"),  # not closing the syllable: unchanged
        ("toán", "toán"),
        ("Hòa", "Hòa"),
    ],
)
def test_one_tone_placement_style(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_nfd_input_becomes_nfc() -> None:
    nfd = unicodedata.normalize("NFD", "Chuyển đổi số")
    assert nfd != "Chuyển đổi số"
    assert normalize(nfd) == "Chuyển đổi số"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Chuyển đổi số", "chuyen doi so"),
        ("ĐĂNG KÝ", "dang ky"),
        ("Khánh Hòa", "khanh hoa"),
        ("Khánh Hoà", "khanh hoa"),
        ("chuyen doi so", "chuyen doi so"),
    ],
)
def test_fold(raw: str, expected: str) -> None:
    assert fold(raw) == expected


def test_has_diacritics() -> None:
    assert has_diacritics("mức 2")
    assert not has_diacritics("muc 2")


def test_dictionary_has_at_least_100_entries_in_folded_form() -> None:
    table = dictionary()
    assert len(table) >= 100
    assert all(key == fold(key) for key in table)


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("cdso la j z ad", "chuyen doi so la gi vay admin"),
        ("ko dc", "khong duoc"),
        ("lam ntn", "lam nhu the nao"),
        ("dk vneid o dau", "dang ky vneid o dau"),
        ("dk roi", "duoc roi"),
        ("quen mk vneid", "quen mat khau vneid"),
        ("mk muon hoi", "minh muon hoi"),
        ("tk fb bi hack", "tai khoan facebook bi hack"),
        ("tk ad", "cam on admin"),
        ("ck tien cho stk la", "chuyen khoan tien cho so tai khoan la"),
        ("ck minh", "ck minh"),  # "chồng" or "chuyển khoản": left alone
        ("mat bn tien", "mat bao nhieu tien"),
        ("bn oi", "ban oi"),
        ("nop hs online", "nop ho so online"),
    ],
)
def test_teencode_with_context_for_ambiguous_forms(typed: str, meant: str) -> None:
    assert " ".join(w for words in expand(typed.split()) for w in words) == meant


def test_tokens_keep_surface_text_and_put_folded_form_in_lemma() -> None:
    tokens = tokenize_text("Đăng ký VNeID mức 2 ở đâu?")
    assert [t.text for t in tokens] == ["Đăng", "ký", "VNeID", "mức", "2", "ở", "đâu"]
    assert [t.lemma for t in tokens] == ["dang", "ky", "vneid", "muc", "n2", "o", "dau"]
    assert tokens[2].start == 8 and tokens[2].end == 13


def test_accented_and_unaccented_share_lemmas() -> None:
    a = [t.lemma for t in tokenize_text("chuyển đổi số là gì")]
    b = [t.lemma for t in tokenize_text("chuyen doi so la gi")]
    c = [t.lemma for t in tokenize_text("cdso la j")]
    assert a == b == c


def test_abbreviation_expands_to_tokens_over_the_same_span() -> None:
    tokens = tokenize_text("cdso ntn")
    assert [t.lemma for t in tokens] == ["chuyen", "doi", "so", "nhu", "the", "nao"]
    assert {(t.start, t.end) for t in tokens[:3]} == {(0, 4)}


def test_domains_and_document_numbers_stay_whole() -> None:
    lemmas = [t.lemma for t in tokenize_text("xem tinnhiemmang.vn và QĐ 06/QĐ-TTg")]
    assert "tinnhiemmang.vn" in lemmas
    assert "n06_qd_ttg" in lemmas


@pytest.mark.parametrize("text", ["", "   ", "😀🙏", "!!!"])
def test_text_without_words_gives_one_placeholder_token(text: str) -> None:
    tokens = tokenize_text(text)
    assert len(tokens) == 1
    assert tokens[0].lemma.startswith("__e")


def test_huge_paste_is_bounded() -> None:
    tokens = tokenize_text("lừa đảo " * 5000, max_chars=2000)
    assert len(tokens) <= 500


@pytest.mark.parametrize(
    ("typed", "lemmas"),
    [
        ("nq57", ["nghi", "quyet", "n57"]),
        ("qd 749", ["quyet", "dinh", "n749"]),
        ("muc2", ["muc", "n2"]),
        ("ngày 10/10", ["ngay", "n10_10"]),
    ],
)
def test_numbers_stay_distinct_and_glued_forms_split(typed: str, lemmas: list[str]) -> None:
    # Rasa's CountVectorsFeaturizer maps bare digit runs to one __NUMBER__ feature; "52" and
    # "57" must not collapse, so number lemmas start with a letter.
    assert [t.lemma for t in tokenize_text(typed)] == lemmas


@pytest.mark.parametrize(
    ("text", "lemma"),
    [
        ("👍", "__emoji_ok__"),
        ("🙏🙏", "__emoji_thanks__"),
        ("😡", "__emoji_upset__"),
        ("🌊", "__emoji__"),
    ],
)
def test_emoji_only_messages_keep_their_meaning(text: str, lemma: str) -> None:
    assert [t.lemma for t in tokenize_text(text)] == [lemma]


@pytest.mark.parametrize(
    ("typed", "lemmas"),
    [
        ("dduwowcj khoong", ["duoc", "khong"]),
        ("chuyeenr ddooir soos", ["chuyen", "doi", "so"]),
        ("chuye6n d9o6i so61", ["chuyen", "doi", "so", "n61"]),
        ("facebook zalo vneid", ["facebook", "zalo", "vneid"]),
        ("tks ad", ["cam", "on", "admin"]),
    ],
)
def test_telex_and_vni_leftovers_are_decoded(typed: str, lemmas: list[str]) -> None:
    assert [t.lemma for t in tokenize_text(typed)] == lemmas
