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
            r"(?:doc|gui|cung cap|dua|nhap|bao|cho|xin|doi|hoi|lay|dien) (?:lai )?(?:cho \w+ )?"
            r"(?:(?:ca|so|the|va) )?(?:ma|otp|mat khau|cvv|passcode|pin)\b",
            r"(?:otp|mat khau|cvv|ma pin) (?:\w+ ){0,3}(?:cho (?:nhan vien|toi|chung toi|ben)|de "
            r"(?:xac|hoan|huy|nhan|mo|kich))",
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
            r"chuyen gap",
            r"nop (?:phi|tien|thue)",
            r"dong (?:phi|tien) (?:\w+ ){0,3}(?:truoc|moi|de)",
            r"phai dong phi",
            r"phi (?:xu ly|ho so|kich hoat|thu tuc|van chuyen|ship|bao hiem khoan vay|giai ngan|"
            r"dich vu truoc|nhan thuong|mo khoa)",
            # A call or message told in the citizen's words: "bảo tôi chuyển tiền".
            r"(?:bao|bat|doi|keu|nho|muon|xin|huong dan) (?:\w+ ){0,3}(?:chuyen|nop|dong|gui|nap) "
            r"(?:\w+ ){0,2}(?:tien|khoan|phi|\d)",
            r"(?:muon|vay) (?:tien|\d+ ?(?:k|tr|trieu)) (?:\w+ ){0,2}gap",
            r"dat coc",
            r"nap (?:tien|\d)",
            r"(?:chuyen|gui|nop) (?:truoc|them) (?:\w+ ){0,3}tien",
            r"(?:chuyen|gui|nop|nap)[^.!?]{0,40}(?:so tai khoan|\bstk|\btk) (?:\w+ )?\d{6,}",
            r"(?:so tai khoan|\bstk|\btk) (?:\w+ )?\d{6,}[^.!?]{0,40}(?:chuyen|nop|nap)\b",
            r"(?:stk|tai khoan) (?:cua )?nguoi (?:khac|la)",
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
            r"(?:se|bi|phai) (?:\w+ ){0,2}(?:cat dien|ngung cap dien)",
            r"cat dien (?:ngay|trong|neu|hom nay|sau)",
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
        "người lạ tự xưng là cơ quan, luật sư hay người thân (số mới) để làm việc qua mạng",
        2,
        (
            r"(?:xung|xung la|tu xung|gia danh|mao danh|gia lam|noi la|tu nhan la|nhan la) "
            r"(?:\w+ ){0,2}(?:cong an|can bo|vien kiem sat|toa an|nhan vien|luat su|ngan hang|"
            r"dien luc|co quan|shipper)",
            r"\bso (?:dien thoai |zalo )?moi\b",
            r"(?:dien thoai|may|sim) (?:\w+ )?(?:bi )?(?:hong|mat)\b",
            r"goi video (?:\w+ ){0,6}(?:giong|mat)",
            r"van phong luat|luat su (?:\w+ ){0,6}lay lai",
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
            r"sinh trac hoc (?:\w+ ){0,6}(?:link|duong dan|qua)",
            r"ket ban zalo",
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
            r"lay lai (?:\w+ )?tien",
            r"hoc bong",
            r"\bhoan (?:thue|tien|phi)",
            r"giai ngan",
            r"lai \d+ ?%",
            r"tien ao",
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
# A number alone, as typed or as the masking left it.
_PHONE_ONLY = re.compile(r"^(?:[\s+()\d.\-]{9,16}|\[số điện thoại\])$")


@dataclass
class Verdict:
    risk: Risk
    score: int
    reasons: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    phone_only: bool = False
    # An OTP or balance notice of the kind banks send: fine, as long as the code stays private.
    notice: bool = False


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
    r"khong (?:bao gio |he |duoc )?(?:yeu cau|doi|hoi|xin|lam viec|goi dien|nhan tin|chuyen|"
    r"chia se|cung cap|tiet lo|dua|doc|gui)"
    r"[^.!?\n]*"
)


# A bank's own messages: a one-time code, or a balance change.
_NOTICE = re.compile(
    r"(?:otp|ma (?:xac thuc|xac nhan|giao dich))(?: \S+){0,6} (?:la )?(?:\d{4,8}\b|\[ma\])|"
    r"so du\b|(?:\+|-)\s?\d{1,3}(?:[.,]\d{3})+ ?(?:vnd|d\b)"
)

# "What should I do when...": a question about scams, not a message to rate.
_HOW_QUESTION = re.compile(
    r"\b(?:thi )?(?:xu ly|lam sao|lam gi|phai lam|the nao|nhu the nao|ntn|nhan biet|bao cao|"
    r"to giac|trinh bao)\b(?:\s+(?:a|ah|vay|nhi|ha|ad))*\s*[?.!]*\s*$"
)


# Something that happened to the citizen ("tôi nhận được...", "có người gọi..."): rated even when
# it ends with "phải làm sao".
_PERSONAL = re.compile(
    r"\b(?:toi|minh|em|nha toi|me toi|bo toi|con toi|vua|hom qua|hom nay|nhan duoc|nhan dc|"
    r"co nguoi|co ai|ai do|dang)\b"
)


def check(text: str) -> Verdict:
    """Rate `text` and list the reasons."""
    folded = _NEGATED.sub(" ", folded_words(text))
    if _PHONE_ONLY.match(text.strip()):
        return Verdict(Risk.LOW, 0, phone_only=True)
    if _HOW_QUESTION.search(folded) and not _PERSONAL.search(folded) and not URL.search(text):
        return Verdict(Risk.LOW, 0)
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
    notice = risk is Risk.LOW and bool(_NOTICE.search(folded_words(text)))
    return Verdict(risk, score, reasons, links, notice=notice)


# Phrases with which citizens ask for a check ("tin nay co phai lua dao khong").
ASK = re.compile(
    r"(?:co phai|la|co bi|phai) (?:lua dao|lua|scam)|lua dao (?:khong|ko|k|hong|ha|a)\b|"
    r"kiem tra (?:giup|ho|tin|link|so)|(?:tin|link|so|trang) (?:nay|do) (?:co )?(?:an toan|that)|"
    r"co (?:nen )?(?:tin|lam theo) (?:duoc )?(?:khong|ko|k)\b|co that (?:khong|ko|k)\b|"
    r"co sao (?:khong|ko|k)\b|co dang tin|co nen (?:chuyen|bam|cai|nghe)"
)
# A call, message or offer told in the citizen's own words ("có người gọi xưng...").
DESCRIBED = re.compile(
    r"(?:co nguoi|co ai|ai do|mot nguoi|nguoi la|so la|ben do|ho) (?:\w+ ){0,4}"
    r"(?:goi|nhan|nhan tin|moi|xung|bao|noi)\b|"
    r"(?:nhan duoc|nhan dc|vua nhan|bi goi) (?:\w+ ){0,3}(?:tin nhan|cuoc goi|sms|email|thu|link|"
    r"loi moi)|(?:duoc|dc) (?:\w+ ){0,3}moi (?:lam|vao|tham gia|dau tu)|"
    r"\b(?:goi|nhan|nhan tin|gui) (?:\w+ ){0,4}(?:xung|bao|noi|doi|nho|muon|bat|yeu cau)\b"
)
