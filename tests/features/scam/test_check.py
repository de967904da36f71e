"""The scam check on its own: signals, links, and precision/recall on the labelled examples."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.privacy import mask_text
from bot.features.scam.check import Risk, check
from bot.features.scam.evaluation import (
    DEV_2026G,
    DEVELOPMENT,
    FROZEN,
    TEST,
    TEST_2026B,
    TEST_2026C,
    TEST_2026D,
    TEST_2026E,
    TEST_2026F,
    evaluate,
    load,
)

# Development sets and the least precision and recall CI accepts on each, a little below the
# figures measured after round 5b of issue 16 (1.00 / 1.00 on all of them). The test parts were
# each measured once before being tuned on: scam_test.tsv 0.89 / 0.90, 2026b 0.93 / 0.96, 2026c
# 0.94 / 0.94, 2026d 0.91 / 0.92, 2026e 0.93 / 0.89, 2026f 0.946 / 0.933; 2026g was written to
# tune on. The frozen part (2026h), measured once on 2026-12-01 after round 5b: precision 0.959
# (71 of 74 warnings right), recall 0.947 (71 of 75 scams warned). CI holds it a little below.
THRESHOLDS = (
    pytest.param(FROZEN, 0.94, 0.93, id="frozen-2026h"),
    pytest.param(TEST_2026D, 0.97, 0.97, id="test-2026d"),
    pytest.param(TEST_2026E, 0.97, 0.97, id="test-2026e"),
    pytest.param(DEV_2026G, 0.97, 0.97, id="development-2026g"),
    pytest.param(TEST_2026F, 0.97, 0.97, id="test-2026f"),
    pytest.param(DEVELOPMENT, 0.97, 0.97, id="development"),
    pytest.param(TEST, 0.97, 0.97, id="test"),
    pytest.param(TEST_2026B, 0.97, 0.97, id="test-2026b"),
    pytest.param(TEST_2026C, 0.97, 0.97, id="test-2026c"),
)


def test_the_labelled_sets_are_big_enough_and_balanced() -> None:
    sets = [load(DEVELOPMENT), load(TEST), load(TEST_2026B), load(TEST_2026C)]
    assert sum(len(rows) for rows in sets) >= 400
    for rows in sets:
        labels = [row.label for row in rows]
        assert labels.count("scam") >= 30 and labels.count("harmless") >= 30
    for rows in sets[1:]:
        assert {row.kind for row in rows} == {"paste", "description", "link", "question"}


@pytest.mark.parametrize(("path", "precision", "recall"), THRESHOLDS)
def test_precision_and_recall_on_each_development_set(
    path: Path, precision: float, recall: float
) -> None:
    scores, mistakes = evaluate(path)
    overall = scores["all"]
    assert overall.precision >= precision, mistakes
    assert overall.recall >= recall, mistakes


@pytest.mark.parametrize(
    ("text", "risk", "reason"),
    [
        (
            "Cài ứng dụng tại http://vneid-capnhat.top/app.apk ngay",
            Risk.LIKELY_SCAM,
            "tệp cài đặt",
        ),
        ("Xác thực tài khoản tại https://bit.ly/abc123", Risk.SUSPICIOUS, "rút gọn"),
        ("vui long doc ma otp cho nhan vien", Risk.SUSPICIOUS, "OTP"),
        ("https://hoantien-khachhang247.com/nhan-tien", Risk.SUSPICIOUS, "nhận tiền"),
        (
            "Dang nhap tai https://vietcombank-baomat.com de tranh bi khoa",
            Risk.LIKELY_SCAM,
            "giả dạng",
        ),
    ],
)
def test_signals_are_named(text: str, risk: Risk, reason: str) -> None:
    verdict = check(text)
    assert verdict.risk is risk
    assert any(reason in r for r in verdict.reasons), verdict.reasons


@pytest.mark.parametrize(
    "text",
    [
        "Nộp hồ sơ tại dichvucong.gov.vn bằng tài khoản VNeID",
        "Vietcombank khuyến cáo: ngân hàng không bao giờ yêu cầu khách hàng cung cấp OTP.",
        "Tra cứu hóa đơn tại evn.com.vn",
        "Mẹ đã chuyển khoản tiền học cho con rồi nhé",
    ],
)
def test_official_sites_warnings_and_reports_of_payments_are_not_flagged(text: str) -> None:
    assert check(text).risk is Risk.LOW


def test_a_phone_number_alone_is_not_judged() -> None:
    verdict = check("0905 123 456")
    assert verdict.phone_only and verdict.risk is Risk.LOW


def test_the_checks_read_masked_text_as_every_channel_delivers_it() -> None:
    assert check(mask_text("0905 123 456")).phone_only
    otp = check(mask_text("Mã xác thực giao dịch của bạn là 482913. Không chia sẻ mã này."))
    assert otp.risk is Risk.LOW and otp.notice


@pytest.mark.parametrize(
    "text",
    [
        # Warnings list the requests scammers make, negated.
        "Cảnh báo: không bấm link lạ, không cài ứng dụng ngoài kho chính thức, không chuyển tiền.",
        # Context alone (an authority, a deadline) is in every honest notice.
        "Công an phường thông báo: hạn làm căn cước cho trẻ em là trong 24h tới tại trụ sở.",
        "Thẻ ATM của quý khách sắp hết hạn, mời quý khách đến chi nhánh ngân hàng để đổi thẻ.",
        # News of an arrest names the police and threats, but threatens no reader.
        "Công an thành phố bắt giam hai đối tượng lừa đảo, khởi tố vụ án rửa tiền.",
        # A fee paid at the counter, a payment told as done.
        "Nhà trường thu tiền học thêm 350.000đ trực tiếp tại phòng tài vụ đến hết thứ Sáu.",
        "Chị chuyển khoản tiền rau 250.000đ cho em rồi nhé, em xem giúp chị.",
        "BIDV: Chuyen tien 3.000.000d toi TRAN VAN A da thanh cong luc 08:10.",
        # General questions about scams.
        "Làm thế nào để nhận biết cuộc gọi giả danh công an đòi chuyển tiền?",
        "Ngân hàng có bao giờ nhắn tin bắt cập nhật sinh trắc học qua link không?",
        "tin nhan thuong hieu cua ngan hang co that khong",
        # A kind of scam asked about, with nothing of a received message (no sum, no "this").
        "Tài khoản an toàn là gì, có thật không?",
        "Làm việc online phải nạp tiền trước có phải lừa đảo không?",
        # A bank's warning names the scammers and what they ask for.
        "BIDV cảnh báo: kẻ gian giả danh nhân viên, yêu cầu chuyển tiền vào tài khoản an toàn.",
        # The citizen rang back a number he knows: it was really his son.
        "Con tôi nhắn nhờ chuyển 2 triệu, tôi gọi lại số cũ thì đúng là con tôi.",
        # "vì" (because) is not "ví" (wallet); the citizen's own top-up is not asked of him.
        "Tôi ra quầy chuyển tiền, nhân viên hỏi chuyển cho ai vì sợ tôi bị lừa, có sao không?",
        "Tôi nạp tiền điện thoại xong thì nhận tin báo số dư, bình thường không?",
    ],
)
def test_notices_warnings_reports_and_questions_are_not_warned(text: str) -> None:
    assert check(mask_text(text)).risk is Risk.LOW


@pytest.mark.parametrize(
    "text",
    [
        "Có người gọi xưng điện lực, nói nếu không chuyển khoản ngay thì cắt điện nhà tôi.",
        "Con đổi số rồi mẹ ơi, mẹ chuyển giúp con 4 triệu vào tài khoản bạn con nhé.",
        "Chuyển phí lưu kho 30.000đ vào STK 0900000123 để bưu kiện được giao.",
        "Anh chỉ cần đóng phí hải quan 12 triệu là nhận được quà từ nước ngoài.",
        "Tôi được mời làm nhiệm vụ like video, giờ họ bắt nạp 3 triệu mới rút được tiền.",
        "Luật sư nhắn tin nói lấy lại được tiền tôi bị lừa, đóng trước phí 2 triệu.",
        "Bạn gửi giúp mình cái mã 6 số vừa nhắn về máy bạn nhé.",
        "Có tin nhắn bảo cập nhật sinh trắc học qua link, không thì tài khoản bị khóa.",
        # A summons or an arrest warrant by text, with a number to call or a key to press.
        "Viện kiểm sát: ông/bà có lệnh bắt tạm giam. Liên hệ cán bộ 0900000231, giữ bí mật.",
        "Tòa án: quý khách có giấy triệu tập. Bấm phím 9 để gặp thư ký tòa.",
        # A share of a frozen loan asked up front.
        "Khoản vay của quý khách bị treo. Nộp 10% (3.000.000đ) để chứng minh tài chính.",
        "Tôi vay qua app, họ bắt tôi nộp 30% để giải ngân.",
        # Told by the citizen, though it ends like a general question.
        "Người ta bảo nộp phí hồ sơ để vay tiền, có phải lừa đảo không?",
    ],
)
def test_requests_for_money_codes_and_links_are_warned(text: str) -> None:
    assert check(mask_text(text)).risk is not Risk.LOW


def test_a_genuine_code_is_a_notice_with_the_advice_to_keep_it() -> None:
    verdict = check(mask_text("Mã OTP của bạn là 551203, hết hạn sau 2 phút. Không chia sẻ mã."))
    assert verdict.risk is Risk.LOW and verdict.notice
