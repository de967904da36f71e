"""Rate a message a citizen pasted or forwarded: low / suspicious / very likely a scam.

Rules, not a model: every point comes from a named signal, so the assistant can say exactly
why — requests for OTP, passwords or transfers; urgency and threats; someone posing as the
police, EVN, a bank or VNeID; links to APK files, look-alike or unusual domains, shortened links;
prize, job and investment lures. Matching is on accent-folded text, so "chuyen khoan" and
"chuyển khoản" are the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum

from bot.nlu.text import folded_words


class Risk(str, Enum):
    LOW = "low"
    SUSPICIOUS = "suspicious"
    LIKELY_SCAM = "likely_scam"


@dataclass(frozen=True)
class Signal:
    reason: str  # shown to the citizen
    weight: int
    patterns: tuple[str, ...]  # regular expressions over folded text


# Signals with their weight. A message "very likely" is a scam from 5 points, "suspicious" from 2.
SIGNALS = (
    Signal(
        "đòi mã OTP, mật khẩu hoặc mã xác thực",
        4,
        (
            r"\botp\b",
            r"ma xac (?:thuc|nhan|minh)",
            r"mat khau",
            r"\bcvv\b",
            r"ma pin",
            r"(?:doc|gui|cung cap|dua|nhap|bao) (?:lai )?(?:cho \w+ )?ma\b",
            r"\bpasscode\b",
        ),
    ),
    Signal(
        "yêu cầu chuyển tiền, nộp phí hoặc đặt cọc",
        3,
        (
            # A request to pay, not a report of a payment ("em đã chuyển khoản rồi").
            r"(?:hay|vui long|can|phai|yeu cau|de nghi|giup|nho|lien he) (?:\w+ ){0,4}"
            r"chuyen (?:khoan|tien)",
            r"chuyen (?:khoan|tien|toan bo tien) (?:\w+ ){0,3}(?:vao|qua|toi|cho toi|den) "
            r"(?:so |tai khoan|stk|tk|link|vi)",
            r"chuyen (?:khoan|tien) (?:giup|ngay|truoc|gap)",
            r"nop (?:phi|tien|thue)",
            r"phi (?:xu ly|ho so|kich hoat|thu tuc|van chuyen)",
            r"dat coc",
            r"nap (?:tien|\d)",
            r"(?:chuyen|gui|nop) (?:truoc|them) (?:\w+ ){0,3}tien",
            r"(?:so tai khoan|\bstk|\btk) (?:\w+ )?\d{6,}",
            r"tai khoan (?:an toan|tam giu)",
            r"thanh toan (?:ngay|phi)",
        ),
    ),
    Signal(
        "hối thúc hoặc đe dọa (khóa tài khoản, cắt điện, bắt giữ...)",
        2,
        (
            r"\bkhan\b",
            r"khan cap",
            r"ngay lap tuc",
            r"trong vong \d+ ?(?:h|gio|phut)",
            r"\b24h\b",
            r"(?:bi|se bi|se) khoa",
            r"tam khoa",
            r"cat dien",
            r"ngung cap dien",
            r"truy to",
            r"bat giam",
            r"lenh bat",
            r"khoi to",
            r"rua tien",
            r"ma tuy",
            r"giu bi mat",
            r"khong (?:duoc )?(?:noi|bao) voi ai",
            r"het han",
            r"vo hieu hoa",
            r"xu phat",
            r"khong (?:duoc )?(?:tat may|cup may|gac may)",
            r"phai hop tac",
            r"bi ke gian",
            r"thiet bi la",
            r"(?:hoat dong|giao dich) (?:bat thuong|dang cho)",
        ),
    ),
    Signal(
        "tự xưng công an, viện kiểm sát, điện lực, ngân hàng hoặc cơ quan nhà nước",
        1,
        (
            r"cong an",
            r"vien kiem sat",
            r"toa an",
            r"\bevn\b",
            r"dien luc",
            r"ngan hang",
            r"vietcombank|vietinbank|agribank|bidv|techcombank|\bmb ?bank\b|sacombank|vpbank",
            r"\bvneid\b",
            r"dinh danh dien tu",
            r"co quan thue",
            r"\bbhxh\b",
            r"bao hiem xa hoi",
            r"dich vu cong",
            r"buu dien",
        ),
    ),
    Signal(
        "yêu cầu cài ứng dụng hoặc bấm vào đường link",
        2,
        (
            r"cai (?:dat )?(?:ung dung|app|phan mem)",
            r"tai (?:ung dung|app)",
            r"bam vao (?:link|duong)",
            r"truy cap (?:link|duong link|vao)",
            r"click",
            r"nhan vao (?:link|duong)",
            r"cap nhat (?:sinh trac|thong tin|du lieu)",
            r"xac thuc (?:lai )?(?:tai khoan|thong tin)",
        ),
    ),
    Signal(
        "hứa trúng thưởng, quà tặng, việc nhẹ lương cao hoặc lợi nhuận cao",
        3,
        (
            r"trung thuong",
            r"qua tang",
            r"nhan thuong",
            r"viec nhe luong cao",
            r"cong tac vien",
            r"lam nhiem vu",
            r"hoa hong",
            r"loi nhuan",
            r"dau tu",
            r"nhan (?:ngay )?\d+[.,]?\d*\s?(?:k|trieu|tr|000)",
            r"ho tro \d+",
            r"lay lai tien",
            r"thu hoi tien",
            r"tra cong",
            r"lam (?:viec )?tai nha",
            r"nhan tien ngay",
            r"kiem tien",
        ),
    ),
)

URL = re.compile(r"(?i)\b((?:https?://)?(?:[a-z0-9-]+\.)+[a-z]{2,}(?::\d+)?(?:/[^\s]*)?)")
_IPURL = re.compile(r"(?i)\bhttps?://\d{1,3}(?:\.\d{1,3}){3}")
SHORTENERS = frozenset(
    {"bit.ly", "tinyurl.com", "t.ly", "shorturl.at", "rb.gy", "cutt.ly", "is.gd", "goo.gl",
     "tiny.cc", "s.id", "t.co", "rebrand.ly", "ow.ly", "shorten.asia"}
)  # fmt: skip
UNUSUAL_TLDS = frozenset(
    {"xyz", "top", "vip", "click", "cc", "shop", "online", "site", "info", "live", "icu", "buzz",
     "cyou", "sbs", "tk", "ml", "ga", "cf", "gq", "work", "fun", "club", "app"}
)  # fmt: skip
# Names that scammers put in look-alike domains, and the official domains they imitate.
BRANDS = ("vneid", "dichvucong", "bocongan", "congan", "evn", "chinhphu", "vietcombank",
          "vietinbank", "agribank", "bidv", "techcombank", "mbbank", "sacombank", "vpbank",
          "baohiemxahoi", "tongcucthue", "etax", "toaan", "vnpost", "zalo", "facebook",
          "shopee")  # fmt: skip
OFFICIAL_SUFFIXES = (".gov.vn", "vietcombank.com.vn", "vietinbank.vn", "agribank.com.vn",
                     "bidv.com.vn", "techcombank.com", "mbbank.com.vn", "sacombank.com.vn",
                     "vpbank.com.vn", "evn.com.vn", "vnpost.vn", "zalo.me", "facebook.com",
                     "shopee.vn", "tinnhiemmang.vn", "khonggianmang.vn")  # fmt: skip
_FILE_EXT = re.compile(r"\.(?:apk|exe|xapk|apks)\b", re.I)
_PHONE_ONLY = re.compile(r"^[\s+()\d.\-]{9,16}$")


@dataclass
class Verdict:
    risk: Risk
    score: int
    reasons: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    phone_only: bool = False


def _domain(url: str) -> str:
    host = re.sub(r"(?i)^https?://", "", url).split("/", 1)[0].split(":", 1)[0].lower()
    return host[4:] if host.startswith("www.") else host


def _link_reasons(text: str) -> tuple[list[str], int, list[str]]:
    reasons: list[str] = []
    score = 0
    links = [m.group(1) for m in URL.finditer(text) if "." in m.group(1)]
    # "v.v." or a decimal are not links: a host needs letters in its last label.
    links = [u for u in links if re.search(r"\.[a-z]{2,}(?:[:/]|$)", _domain(u) + "/")]
    if _IPURL.search(text):
        reasons.append("đường link là địa chỉ IP, không phải tên miền")
        score += 2
    for url in links:
        url_reasons, url_score = _url_reasons(url)
        reasons += url_reasons
        score += url_score
    return list(dict.fromkeys(reasons)), score, links


def _url_reasons(url: str) -> tuple[list[str], int]:
    reasons: list[str] = []
    score = 0
    host = _domain(url)
    if _FILE_EXT.search(url):
        reasons.append(
            f"đường link tải tệp cài đặt ({host}): ứng dụng giả có thể chiếm điện thoại"
        )
        score += 4
    if host in SHORTENERS:
        reasons.append(f"đường link rút gọn ({host}) che giấu trang thật")
        score += 2
    official = any(host == s.lstrip(".") or host.endswith(s) for s in OFFICIAL_SUFFIXES)
    compact = host.replace("-", "").replace(".", "")
    if not official and any(brand in compact for brand in BRANDS):
        reasons.append(
            f"tên miền {host} giả dạng cơ quan hoặc ngân hàng (không phải trang chính thức)"
        )
        score += 4
    tld = host.rsplit(".", 1)[-1]
    if tld in UNUSUAL_TLDS and not official:
        reasons.append(f"tên miền đuôi .{tld} hay bị dùng cho trang lừa đảo")
        score += 2
    return reasons, score


# Warnings quote the very requests scammers make ("ngân hàng không bao giờ yêu cầu OTP"): a
# negated request is not a request.
_NEGATED = re.compile(
    r"khong (?:bao gio |he |duoc )?(?:yeu cau|doi|hoi|xin|lam viec|goi dien|nhan tin|chuyen)"
    r"[^.!?\n]*"
)


def check(text: str) -> Verdict:
    """Rate `text` and list the reasons."""
    folded = _NEGATED.sub(" ", folded_words(text))
    if _PHONE_ONLY.match(text.strip()):
        return Verdict(Risk.LOW, 0, phone_only=True)
    reasons, score, links = _link_reasons(text)
    for signal in SIGNALS:
        if any(re.search(p, folded) for p in signal.patterns):
            reasons.append(signal.reason)
            score += signal.weight
    # Posing as an authority only matters together with a request or a threat.
    authority = SIGNALS[3].reason
    if authority in reasons and score == SIGNALS[3].weight:
        reasons.remove(authority)
        score = 0
    risk = Risk.LIKELY_SCAM if score >= 5 else Risk.SUSPICIOUS if score >= 2 else Risk.LOW
    return Verdict(risk, score, reasons, links)


# Phrases with which citizens ask for a check ("tin nay co phai lua dao khong").
ASK = re.compile(
    r"(?:co phai|la|co bi|phai) (?:lua dao|lua|scam)|lua dao (?:khong|ko|k|hong|ha|a)\b|"
    r"kiem tra (?:giup|ho|tin|link|so)|(?:tin|link|so|trang) (?:nay|do) (?:co )?(?:an toan|that)"
)
