"""Grouping the review queue: the same question asked with or without diacritics, in teencode or
in other words lands in one group; a different question in another; the key names the group
the same way each time; texts become plain training examples."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

from bot.review.grouping import THRESHOLD, Item, group, training_text

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)  # ISO week 48

VNEID = [
    "Làm sao cài VNeID?",
    "lam sao cai vneid",
    "ko cài dc vneid ạ",
    "cách cài đặt ứng dụng VNeID",
    "em k cai duoc app vneid",
]
ID_CARD = ["đổi căn cước ở đâu", "doi cccd o dau v ad", "làm lại căn cước công dân ở đâu"]
BIRTH = ["đăng ký khai sinh online", "dang ky khai sinh truc tuyen nhu the nao"]
# Share a word or a way of asking with the groups above, not the question.
OTHERS = [
    "mở tài khoản ngân hàng online",
    "quên mật khẩu vneid",
    "thời tiết hôm nay thế nào",
    "lịch tiêm phòng cho trẻ",
    "[số điện thoại] này có phải lừa đảo k",
    "sđt của tổng đài là gì",
]


def items(texts: list[str], start: int = 0, when: datetime = MONDAY) -> list[Item]:
    return [
        Item(start + i, t, when + timedelta(minutes=i), "fallback") for i, t in enumerate(texts)
    ]


def texts_of(found: list[Item]) -> set[str]:
    return {i.text for i in found}


def test_similar_phrasings_share_a_group_and_different_questions_do_not() -> None:
    found = group(items(VNEID + ID_CARD + BIRTH + OTHERS))
    by_text = {i.text: g.key for g in found for i in g.items}
    assert {by_text[t] for t in VNEID} == {by_text[VNEID[0]]}
    assert {by_text[t] for t in ID_CARD} == {by_text[ID_CARD[0]]}
    assert {by_text[t] for t in BIRTH} == {by_text[BIRTH[0]]}
    groups = {by_text[VNEID[0]], by_text[ID_CARD[0]], by_text[BIRTH[0]]}
    assert len(groups) == 3
    assert all(by_text[t] not in groups for t in OTHERS)
    assert len(found) == 3 + len(OTHERS)
    # The biggest first, with its examples: "Làm sao cài VNeID?" and "lam sao cai vneid" are
    # one text once folded.
    assert found[0].count == len(VNEID)
    assert texts_of(found[0].items) == set(VNEID)
    assert len(found[0].examples()) == 4
    assert (
        len(group(items(VNEID * 2 + ["cài vneid ntn", "cài vneid bằng cách nào"]))[0].examples())
        == 5
    )
    assert 0.3 < THRESHOLD < 0.6


def test_the_key_is_the_same_however_the_messages_are_ordered() -> None:
    forward = group(items(VNEID + ID_CARD))
    backward = group(items(list(reversed(VNEID + ID_CARD)), start=100))
    assert [g.key for g in forward] == [g.key for g in backward]
    assert [g.count for g in forward] == [5, 3]


def test_counts_per_iso_week_and_repeated_texts_counted_once_as_examples() -> None:
    earlier = MONDAY - timedelta(days=7)
    found = group(items(VNEID[2:4]) + items(VNEID[2:3] * 3, start=10, when=earlier))
    assert len(found) == 1
    assert found[0].count == 5
    assert found[0].weeks() == [("2026-W47", 3), ("2026-W48", 2)]
    assert sorted(found[0].examples()) == sorted(VNEID[2:4])


def test_a_masked_number_does_not_make_questions_alike() -> None:
    found = group(
        items(["[số điện thoại] gọi cho em bảo trúng thưởng", "cho em hỏi số [số điện thoại]"])
    )
    assert len(found) == 2


def test_training_text_is_plain() -> None:
    assert training_text("số [số điện thoại] này {có} lừa đảo ko") == (
        "số số điện thoại này có lừa đảo ko"
    )
    assert training_text("  hai\n dòng  ") == "hai dòng"


def test_thousands_of_messages_are_grouped_within_seconds() -> None:
    # 5000 distinct texts (the queue's cap), each a question of the lists above.
    questions = VNEID + ID_CARD + BIRTH + OTHERS
    texts = [f"{questions[n % len(questions)]} {n}" for n in range(5000)]
    started = time.perf_counter()
    found = group(items(texts))
    assert time.perf_counter() - started < 15
    assert sum(g.count for g in found) == 5000
    assert len(found) < 500 and found[0].count > 100
