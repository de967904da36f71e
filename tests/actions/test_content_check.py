"""The content check (bot/content): the real content passes it, and planted mistakes fail it
with the answer and the rule named."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.content import counts, places, targets
from bot.content.check import Problem, check
from bot.content.facts import load_facts, quiz_statement
from bot.core.communes import load
from bot.core.vntime import local_day

TODAY = date(2026, 11, 30)
UNITS = load()
DATED = {"source": "Nguồn thử", "as_of": "2026-01-15", "review_by": "2027-01-15"}


def plant(folder: Path, answers: dict[str, Any], quiz: list[dict[str, Any]] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "answers.yml").write_text(yaml.safe_dump(answers, allow_unicode=True), "utf-8")
    if quiz is not None:
        text = yaml.safe_dump({"questions": quiz}, allow_unicode=True)
        (folder / "quiz.yml").write_text(text, "utf-8")
    return folder


def answer(*messages: str, **fields: str) -> dict[str, Any]:
    return {"title": "Thử", "messages": list(messages), **DATED, **fields}


def test_the_content_passes_the_check() -> None:
    today = local_day(datetime.now(timezone.utc))
    problems = check(today=today)
    assert not problems, "\n" + "\n".join(str(p) for p in problems)


def test_a_planted_stale_target_fails_and_its_correction_passes(tmp_path: Path) -> None:
    stale = plant(
        tmp_path / "stale",
        {"dx_goals": answer("Mục tiêu đến năm 2025: ít nhất 80% hồ sơ được xử lý trực tuyến.")},
    )
    problems = check(stale, today=TODAY)
    assert [(p.where, p.rule) for p in problems] == [("answers.yml dx_goals", "stale-target")]
    assert "2025" in str(problems[0]) and "dx_goals" in str(problems[0])
    fixed = plant(
        tmp_path / "fixed",
        {
            "dx_goals": answer(
                "Mục tiêu đến năm 2025 là 80% hồ sơ được xử lý hoàn toàn trực tuyến; đến "
                "26/10/2025 cả nước mới đạt 39,98%."
            )
        },
    )
    assert check(fixed, today=TODAY) == []


def test_a_planted_wrong_ward_count_fails_and_its_correction_passes(tmp_path: Path) -> None:
    wrong = plant(tmp_path / "wrong", {"gov_reorganisation": answer("Nha Trang có 3 phường.")})
    problems = check(wrong, today=TODAY)
    assert [(p.where, p.rule) for p in problems] == [
        ("answers.yml gov_reorganisation", "commune-count")
    ]
    assert "3 phường" in problems[0].message and "has 4" in problems[0].message
    right = plant(tmp_path / "right", {"gov_reorganisation": answer("Nha Trang có 4 phường.")})
    assert check(right, today=TODAY) == []


def test_a_quiz_question_is_read_with_its_right_option(tmp_path: Path) -> None:
    options = ["Nha Trang, Bắc Nha Trang, Nam Nha Trang", "Chỉ Nha Trang", "Vĩnh Hải", "X"]
    question: dict[str, Any] = {
        "id": "dx21",
        "q": "Thành phố Nha Trang cũ nay gồm những phường nào?",
        "options": options,
        "answer": "A",
        "why": "Nha Trang nay là ba phường.",
        **DATED,
    }
    problems = check(plant(tmp_path / "q", {}, [question]), today=TODAY)
    assert {(p.where, p.rule) for p in problems} == {("quiz.yml dx21", "commune-count")}
    assert len(problems) == 2  # the list in the right option, the count in the explanation
    options[0] = "Nha Trang, Bắc Nha Trang, Tây Nha Trang, Nam Nha Trang"
    question["why"] = "Nha Trang nay là bốn phường."
    assert check(plant(tmp_path / "ok", {}, [question]), today=TODAY) == []


def test_quiz_blanks_are_filled_with_the_right_option() -> None:
    assert quiz_statement("Tỉnh có bao nhiêu đơn vị cấp xã?", "65") == "Tỉnh có 65 đơn vị cấp xã?"
    assert quiz_statement("Tỉnh có bao nhiêu đơn vị?", "Sáu mươi") == "Tỉnh có bao nhiêu đơn vị?"
    assert (
        quiz_statement("Cam Ranh gồm những phường nào?", "A, B")
        == "Cam Ranh gồm các phường: A, B?"
    )


# -- rule "dated" ---------------------------------------------------------------------------------


def test_a_factual_entry_needs_source_and_days(tmp_path: Path) -> None:
    folder = plant(
        tmp_path,
        {
            "greet": {"title": "Chào", "messages": ["Xin chào!"], "factual": False},
            "undated": {"title": "A", "messages": ["Ngày 10/10 là Ngày Chuyển đổi số."]},
            "month": answer("Ngày 10/10.", as_of="7/2025"),
            "backwards": answer("Ngày 10/10.", as_of="2026-03-01", review_by="2026-02-01"),
            "future": answer("Ngày 10/10.", as_of="2027-01-01", review_by="2027-06-01"),
        },
        [{"id": "vn01", "q": "VNeID của ai?", "options": list("abcd"), "answer": "A", "why": "x"}],
    )
    problems = [p for p in check(folder, today=TODAY) if p.rule == "dated"]
    by_entry = {p.where: p.message for p in problems}
    assert set(by_entry) == {
        "answers.yml undated",
        "answers.yml month",
        "answers.yml backwards",
        "answers.yml future",
        "quiz.yml vn01",
    }
    assert "missing source, as_of, review_by" in by_entry["answers.yml undated"]
    assert "'7/2025' is not a day written YYYY-MM-DD" in by_entry["answers.yml month"]
    assert "not after as_of" in by_entry["answers.yml backwards"]
    assert "in the future" in by_entry["answers.yml future"]


def test_unquoted_yaml_days_are_read_as_written(tmp_path: Path) -> None:
    (tmp_path / "answers.yml").write_text(
        "a:\n  messages: [x]\n  source: s\n  as_of: 2026-01-15\n  review_by: 2027-01-15\n",
        "utf-8",
    )
    (fact,) = load_facts(tmp_path)
    assert (fact.as_of, fact.review_day) == ("2026-01-15", date(2027, 1, 15))
    assert check(tmp_path, today=TODAY) == []


# -- rule "stale-target" --------------------------------------------------------------------------

STALE = [
    "Mục tiêu đến 2025: ít nhất 80% hồ sơ thủ tục hành chính được xử lý hoàn toàn trực tuyến.",
    "Mục tiêu quốc gia: kinh tế số khoảng 20% GDP vào 2025 và trên 30% vào 2030.",
    "Một số chỉ tiêu 2025: 80% dịch vụ công trực tuyến dùng được trên điện thoại.",
    "Tỉnh phấn đấu đến hết năm 2025 vào top 20 DTI.",
    "Nghị quyết 52-NQ/TW đặt mục tiêu có ít nhất 3 đô thị thông minh vào năm 2025.",
    "Đến năm 2025, kinh tế số chiếm 20% GDP.",
    "Mục tiêu năm 2025, kinh tế số đạt 20% GDP.",
    "Muc tieu den 2025: 80% ho so truc tuyen.",
]
CURRENT = [
    # The result is reported, in the sentence or in the next one.
    "Mục tiêu đến năm 2025 là 80%; đến 26/10/2025 cả nước mới đạt 39,98%.",
    "Nghị quyết từng đặt chỉ tiêu kinh tế số khoảng 20% GDP cho năm 2025; kết quả đạt 14,02%.",
    "Năm 2025 kinh tế số đạt 14,02% GDP, chưa đạt mục tiêu 20%.",
    "Mục tiêu 2025: 80% hồ sơ trực tuyến. Kết quả: đến 10/2025 cả nước mới đạt 39,98%.",
    "Mục tiêu năm 2025 đã không đạt: kinh tế số 14,02% GDP.",
    # Not a goal: a document's name, a period, a day, a number, a baseline, a future year.
    "Quyết định 749/QĐ-TTg phê duyệt Chương trình Chuyển đổi số quốc gia đến năm 2025, định "
    "hướng đến năm 2030.",
    "Chiến lược giai đoạn 2021 - 2025, tầm nhìn 2030.",
    "Khánh Hòa phát động ngày 20/12/2025 và đặt mục tiêu kinh tế số 35% GRDP vào năm 2030.",
    "Mục tiêu theo Luật 91/2025/QH15: bảo vệ dữ liệu cá nhân.",
    "Mục tiêu đến năm 2030 tăng gấp đôi so với năm 2020.",
    "Tính đến năm 2025, cổng có 4.427 thủ tục trực tuyến.",
    "Thanh toán số giúp ghi lại chi tiêu năm 2024 của gia đình.",  # spending, not a target
]


@pytest.mark.parametrize("text", STALE)
def test_a_passed_year_stated_as_a_goal_is_stale(text: str) -> None:
    assert targets.problems(text, this_year=2026, as_of_year=2026), text


@pytest.mark.parametrize("text", CURRENT)
def test_a_goal_with_its_result_or_no_goal_at_all_is_fine(text: str) -> None:
    assert targets.problems(text, this_year=2026, as_of_year=2026) == []


def test_a_target_is_stale_only_once_its_year_and_the_facts_as_of_year_are_past() -> None:
    text = "Mục tiêu đến 2025: ít nhất 80% hồ sơ trực tuyến."
    assert targets.problems(text, this_year=2025, as_of_year=2025) == []  # still ahead
    assert targets.problems(text, this_year=2026, as_of_year=2025) == []  # true when dated
    assert targets.problems(text, this_year=2026, as_of_year=2026)


# -- rule "place-name" ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Bạn ở phường Vĩnh Hải thì đến UBND phường.",  # Vĩnh Hải is a xã now
        "Hồ sơ nộp tại xã Cam Hải Đông.",
        "Người dân huyện Diên Khánh nộp hồ sơ tại xã Diên Khánh.",
        "Thị trấn Cam Đức có bộ phận một cửa.",
        "Thành phố Nha Trang có 4 phường.",
        "Công an phường Lộc Thọ tiếp nhận.",
        "Người dân cư trú ở phường Lộc Thọ đến UBND.",  # "cư" is not "cũ"
    ],
)
def test_a_place_that_is_not_one_of_the_65_units_fails(text: str) -> None:
    assert places.problems(text, UNITS), text


@pytest.mark.parametrize(
    "text",
    [
        "Phường Vĩnh Hải (cũ) nay thuộc phường Bắc Nha Trang.",
        "Xã Cam Hải Đông cũ nay là một phần của xã Cam Lâm.",
        "Huyện Diên Khánh không còn từ 1/7/2025.",
        "Trước 1/7/2025, phường Lộc Thọ thuộc thành phố Nha Trang.",
        "Trước đây là thị trấn Cam Đức.",
        "Xã Vĩnh Hải, phường Tây Nha Trang, xã Tân Định và đặc khu Trường Sa.",
        "Cả nước bỏ cấp huyện; công an xã/phường nơi bạn ở. Xã hội số là gì.",
        "Thành phố Hồ Chí Minh và Hà Nội dẫn đầu DTI.",
        "xa tan dinh",  # typed without capitals: not read as a name
    ],
)
def test_current_units_and_old_names_marked_old_pass(text: str) -> None:
    assert places.problems(text, UNITS) == []


# -- rule "commune-count" -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Nha Trang có 3 phường.",
        "Thành phố Nha Trang cũ nay gồm 3 phường: Nha Trang, Bắc Nha Trang, Nam Nha Trang.",
        "Nha Trang nay là ba phường.",
        "Nha Trang gồm các phường: Nha Trang, Bắc Nha Trang, Nam Nha Trang.",
        "Phan Rang - Tháp Chàm nay gồm 4 phường.",
        "Ninh Hòa có 3 phường, 4 xã.",
        "Khánh Hòa mới có 66 đơn vị cấp xã.",
        "Tỉnh có 65 xã, phường, đặc khu: 47 xã, 17 phường và đặc khu Trường Sa.",
        "Khánh Hòa gồm 65 xã, phường.",
        "Tỉnh Khánh Hòa sau sắp xếp có 99 đơn vị hành chính cấp xã?",
    ],
)
def test_a_count_or_list_against_the_csv_fails(text: str) -> None:
    assert counts.problems(text, UNITS), text


@pytest.mark.parametrize(
    "text",
    [
        "Nha Trang có 4 phường.",
        "Thành phố Nha Trang cũ nay gồm 4 phường: Nha Trang, Bắc Nha Trang, Tây Nha Trang và "
        "Nam Nha Trang.",
        "Phan Rang - Tháp Chàm nay gồm 5 phường.",
        "Ninh Hòa có 3 phường, 5 xã.",
        "Khánh Hòa mới có 65 đơn vị cấp xã: 48 xã, 16 phường và đặc khu Trường Sa.",
        "Tỉnh có 65 xã, phường, đặc khu (48 xã, 16 phường, 1 đặc khu).",
        "Khánh Hòa có 64 xã, phường và đặc khu Trường Sa.",
        "Đội tình nguyện phủ 64/64 xã, phường, hỗ trợ hơn 80.000 người dân.",
        "Tỉnh có 39 xã, phường thiếu công chức công nghệ thông tin.",  # a part, not the whole
        "Trước sắp xếp tỉnh có 140 xã, phường, thị trấn.",  # old units
        "Phường Nha Trang gồm 8 phường cũ.",
        "Bắc Nha Trang có 2 trường đại học.",
        "Cả nước còn 3.321 xã, phường, đặc khu.",
    ],
)
def test_counts_that_agree_with_the_csv_pass(text: str) -> None:
    assert counts.problems(text, UNITS) == []


def test_a_problem_names_the_entry_and_the_rule() -> None:
    problem = Problem("answers.yml dx_goals", "stale-target", "states 2025 as a goal")
    assert str(problem) == "answers.yml dx_goals [stale-target]: states 2025 as a goal"
