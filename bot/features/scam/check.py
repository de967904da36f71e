"""Rate a message a citizen pasted or forwarded: low / suspicious / very likely a scam.

Rules, not a model: every point comes from a named signal, so the assistant can say exactly
why — requests for OTP, passwords or transfers; urgency and threats; someone posing as the
police, EVN, a bank or VNeID; links to APK files, look-alike or unusual domains, shortened links;
prize, job and investment lures. Matching is on accent-folded text, so "chuyen khoan" and
"chuyển khoản" are the same.

Signals are combined, since honest notices carry parts of a scam too: who speaks (police, bank)
and how urgent it is never flag a message alone, only with a request, a lure, a risky link or a
threat made to the reader; warnings ("không chia sẻ mã"), what "kẻ gian" are told to do, payments
told as done, a bank's own code and bills paid at a counter are not requests. A general question
about a kind of scam (no sum, number, "this" message or someone who called) is not rated, nor a
relative's request the citizen checked by calling back a number he knows.
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
    # Context (who speaks, how urgent) also fills honest notices: alone it never flags a message.
    context: bool = False


# A sum of money as written in messages: "2 triệu", "45.000đ", "500k", "20.000 USD".
_AMOUNT = r"\d+(?:[.,]\d+)* ?(?:k|tr|trieu|ty|nghin|ngan|d|dong|vnd|usd)\b"
# Where money is sent; masking turns account and phone numbers into "[số tài khoản]"-like tags.
# "vì" (because) folds like "ví" (wallet): a wallet only right after "vào", "qua", "sang".
_DESTINATION = (
    r"(?:vao|qua|toi|den|sang|cho) (?:\w+ ){0,2}(?:stk|tk|tai khoan|so nay|so tai khoan|\[so)|"
    r"(?:vao|qua|sang) (?:\w+ )?vi\b"
)

# Signals with their weight. A message "very likely" is a scam from 5 points, "suspicious" from 2.
SIGNALS = (
    Signal(
        "đòi mã OTP, mật khẩu hoặc mã xác thực",
        4,
        (
            # "điện thoại hết pin" folds like "điền ... PIN": a phone's battery, not a code.
            # "cắt điện, ba má" folds like "điền ... mã": electricity and a mother, no code.
            r"(?:doc|cung cap|nhap|bao lai|bao cho|"
            r"(?<!cat )(?<!cup )(?<!tien )dien(?! thoai| luc)) (?:\w+ ){0,3}"
            r"(?:(?<!ba )ma|otp|mat khau|cvv|passcode|(?<!het )pin)\b"
            r"(?! (?:giam|khuyen|don|van don|qr|so thue))",
            # "mà" (but) folds like "mã": after "gửi", "cho", "xin" the code must look like one.
            # "hãy đổi mật khẩu" (change it) folds like "đòi mật khẩu" (demand it): advice.
            r"(?:gui|dua|cho|xin|doi(?! mat khau)|hoi|lay) (?:\w+ ){0,3}"
            r"(?:otp|mat khau|cvv|passcode|pin|ma (?:otp|xac|so|pin|bao mat|kich hoat|giao dich|"
            r"nay|do|vua|\d|\[ma\]|gui|ve|dang nhap))\b",
            # Card or account details typed into a form or read out.
            r"(?:dien|nhap|cung cap|doc|gui) (?:\w+ ){0,4}(?:thong tin |so )?"
            r"(?:tai khoan ngan hang|the ngan hang|so the)",
            r"(?:otp|mat khau|cvv|ma pin) (?:\w+ ){0,3}(?:cho (?:nhan vien|toi|chung toi|ben|ad|"
            r"admin|shop|em|anh|chi)\b|de (?:xac|hoan|huy|nhan|mo|kich))",
            r"\bma otp (?:vua|moi) (?:ve|gui|nhan|toi)\b",
            # "đọc giúp em 6 số vừa gửi về điện thoại": the code, without its name.
            r"\bdoc (?:\w+ ){0,3}(?:\d+ )?(?:so|ky tu|chu so) (?:vua|moi) (?:gui|ve|nhan|den)\b",
            r"\btk (?:va |vs )?mk\b",
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
            r"(?:so |tai khoan|stk|tk|link|vi\b)",
            r"chuyen (?:khoan|tien) (?:giup|ngay|truoc|gap)",
            r"chuyen gap",
            r"(?<!nguoi )nop (?:phi|tien|thue)",
            r"dong (?:phi|tien) (?:\w+ ){0,3}(?:truoc|moi|de)",
            r"phai dong phi",
            r"phi (?:xu ly|ho so|kich hoat|thu tuc|van chuyen|ship|bao hiem khoan vay|giai ngan|"
            r"dich vu truoc|nhan thuong|mo khoa|hai quan|thong quan|nhan (?:hang|qua|buu pham))",
            r"\bcoc (?:truoc|\d)",
            # "đóng trước thứ Sáu" is a deadline, not money up front.
            r"\b(?:dong|nop|chuyen) truoc\b(?! (?:thu|ngay|han|cuoi|khi|\d+ ?(?:h|gio)\b))|"
            r"\bnap phi\b|\bphi mo the\b",
            # Cash drawn and handed over "for safe keeping": the fake-police script.
            r"\bgiu ho\b|\brut (?:\w+ ){0,3}(?:\d|tien)[^.!?]{0,40}\b(?:gui|dua|giao) "
            r"(?:\w+ ){0,2}(?:ho|nguoi)\b",
            r"\bdoi tien (?:\w+ ){0,3}neu khong\b",
            # Extortion: money demanded, or "then it is deleted".
            r"\bbi doi (?:tien|\d)|\bdoi (?:tien|\d+ ?(?:k|tr|trieu)) (?:\w+ ){0,2}(?:moi|thi) "
            r"(?:xoa|go|tra|thoi)\b",
            r"tai khoan ca nhan (?:\w+ ){0,3}(?:de )?(?:nop|chuyen|dong)|nop phat online",
            r"(?:hoi|xin|nho) (?:\w+ ){0,2}(?:muon|vay) (?:tien|\d)",
            r"\bchuyen giup (?:di|gap|nhe|nha|em|anh|chi|minh|toi|\d)",
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
            # "chuyển giúp mình 2 triệu", "nộp 1,5 triệu", "mượn 15 triệu", "vào stk [số]".
            # "giao dịch trên 10 triệu" is a threshold in a notice, not a sum asked for.
            # and "giao dịch chuyển tiền 1.000.000 VND" names a transaction.
            rf"(?<!giao dich )(?<!lenh )(?:chuyen|\bck|nap|nop|muon) (?:[\w%()]+ ){{0,3}}"
            rf"(?<!tren )(?<!duoi )(?<!vuot )\(?{_AMOUNT}",
            # A share of a loan asked up front ("nộp 10%", "chuyển 30% số tiền vay").
            r"(?:chuyen|nop|dong|nap) (?:truoc |them )?\d+ ?%",
            # Paying to prove something: clean money, income, a loan's worth.
            r"(?:chuyen|nop|dong|nap)[^.!?]{0,40}\bde chung minh",
            # "biến động số dư ... vào tk" is a balance notice, not a payment asked for.
            rf"(?:chuyen|\bck|gui|nap|nop|(?<!bien )(?<!tu )dong|tra) (?:\w+ ){{0,5}}"
            rf"(?:{_DESTINATION})",
            rf"\bdong (?:them |truoc )?{_AMOUNT}",
            r"(?<!nguoi )(?:chuyen|nop|dong|tra) (?:khoan |tien )?(?:phi|le phi|thue)\b",
            r"dong tien (?:\w+ ){0,4}gap|can gap (?:\w+ ){0,2}\d",
            # Top-up cards bought for someone, their codes sent: money that cannot come back.
            r"(?:nho|giup|ho) (?:\w+ ){0,4}(?:mua )?(?:\w+ ){0,2}the (?:cao|dien thoai|game|nap)",
            r"mua (?:\w+ ){0,4}the (?:cao|dien thoai|game|nap)(?: \w+){0,8} (?:gui|chup|doc) "
            r"(?:\w+ ){0,2}ma",
            r"\bthe cao\b[^.!?]{0,100}\b(?:chup|gui|doc) (?:\w+ ){0,2}ma\b",
            # A fine paid through a link: the traffic police never send one.
            r"(?:nop|dong) (?:tien )?phat (?:\w+ ){0,3}(?:qua|tai|theo|bang) (?:duong )?link",
        ),
    ),
    Signal(
        "hối thúc phải làm ngay (gấp, trong 24h...)",
        1,
        (
            r"\bkhan\b",
            r"khan cap",
            r"ngay lap tuc",
            r"trong (?:vong )?\d+ ?(?:h|gio|tieng|phut)\b",
            r"\b24h\b",
            r"het han",
            # "gặp" folds like "gấp": only the urgent uses.
            r"(?:can|rat|chuyen|dang) gap\b|\bgap (?:lam|nhe|nha|giup|ngay)\b",
        ),
        context=True,
    ),
    Signal(
        "hối thúc hoặc đe dọa (khóa tài khoản, cắt điện, bắt giữ...)",
        2,
        (
            r"(?:bi|se bi|se) khoa",
            r"tam khoa",
            r"(?:se|bi|phai) (?:\w+ ){0,2}(?:cat dien|ngung cap dien)",
            r"cat dien (?:ngay|trong|neu|hom nay|sau)",
            r"\bdien (?:\w+ ){0,2}(?:se )?bi (?:cat|ngung)",
            r"tam giam",
            r"\btruc loi\b",
            r"tung (?:\w+ ){0,3}(?:anh|clip|video|hinh)|phat tan\b",
            r"(?:gui|tung) (?:\w+ ){0,3}(?:cho )?(?:toan bo |het )?(?:ban be|nguoi than|co quan)",
            r"(?:sim|thue bao) (?:\w+ ){0,4}(?:bi )?(?:khoa|cat|thu hoi)",
            r"truy to",
            r"bat giam",
            r"\bbi bat\b(?! (?:dau|buoc|nat|chuoc|gap))",
            r"lenh bat",
            r"khoi to",
            r"rua tien",
            r"ma tuy",
            r"giu bi mat",
            r"khong (?:duoc )?(?:noi|bao) voi ai",
            r"vo hieu hoa",
            r"xu phat",
            r"khong (?:duoc )?(?:tat may|cup may|gac may)",
            r"phai hop tac",
            r"bi ke gian",
            r"thiet bi la",
            r"(?:hoat dong|giao dich) (?:bat thuong|dang cho)",
            r"dong bang",
            r"(?:giu|tuoc|thu hoi) (?:\w+ )?(?:bang lai|gplx|giay phep lai xe)",
            r"trieu tap",
            r"phong toa",
            r"khong (?:duoc )?(?:tiet lo|noi|bao) (?:voi|cho) (?:nguoi than|gia dinh|nguoi nha)",
            r"khoan (?:vay|giai ngan) (?:\w+ ){0,6}(?:bi |dang )treo",
        ),
        context=True,
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
        context=True,
    ),
    Signal(
        "người lạ tự xưng là cơ quan, luật sư hay người thân (số mới) để làm việc qua mạng",
        2,
        (
            r"(?:xung|xung la|tu xung|gia danh|mao danh|gia lam|gia giong|noi la|tu nhan la|"
            r"nhan la) (?:\w+ ){0,2}(?:cong an|can bo|vien kiem sat|toa an|nhan vien|luat su|"
            r"ngan hang|dien luc|co quan|shipper|ban|nguoi than|con|bo|me|ba|chong|vo)",
            # A call passed on to "the police": the fake-insurance, fake-post scripts.
            r"chuyen (?:may|cuoc goi|tiep) (?:\w+ ){0,3}(?:cong an|can bo|vien kiem sat|toa an)",
            r"mac (?:do|sac phuc|quan phuc|dong phuc) (?:cong an|canh sat)",
            # "Bắt cóc online": the victim is told to hide alone in a hotel room.
            r"(?:thue|vao|o) (?:phong )?(?:khach san|nha nghi)",
            r"goi video (?:\w+ ){0,6}(?:giong|mat\b)",
            r"van phong luat|luat su (?:\w+ ){0,6}lay lai",
        ),
    ),
    Signal(
        "người thân, bạn bè nhắn từ số mới hoặc máy khác",
        2,
        (
            r"\bso (?:dien thoai |zalo )?moi\b",
            r"(?<!chuyen )\b(?:doi|thay) so\b(?! (?:du|lieu|tien|tai|the|hoa))",
            r"(?:dien thoai|may|sim) (?:\w+ )?(?:bi )?(?:hong|mat)\b",
        ),
        # A relative on a new number is news until he asks for money, a code or a link.
        context=True,
    ),
    Signal(
        "đòi quay khuôn mặt, chụp thẻ hay giấy tờ gửi qua mạng",
        4,
        (
            r"(?:bat|mo) (?:camera|video call|goi video)|"
            r"quay (?:\w+ ){0,2}(?:khuon )?mat (?:\w+ ){0,4}(?:theo|qua|goi)",
            r"sinh trac hoc (?:\w+ ){0,8}goi video|goi video (?:\w+ ){0,8}sinh trac",
            r"(?:2|hai) mat (?:the|cccd|can cuoc)\b",
        ),
    ),
    Signal(
        "bảo bấm một dãy mã lạ rồi gọi đi (chuyển hướng cuộc gọi)",
        4,
        (r"bam \*|\*21\*|\*\*21|bam (?:\w+ ){0,3}day so (?:\w+ ){0,4}goi",),
    ),
    Signal(
        'cuộc gọi tự động bảo bấm phím để gặp "nhân viên", "thư ký"',
        2,
        (r"(?:bam|nhan|an) phim (?:so )?\d",),
    ),
    Signal(
        'bảo gọi số điện thoại riêng của "cán bộ" thay vì đến trụ sở',
        1,
        (
            r"(?:lien he|goi|gap|ket ban) (?:\w+ ){0,3}"
            r"(?:can bo|dieu tra vien|thu ky|kiem sat vien|thanh tra|chien si)\b"
            r"(?: \w+){0,5} \[so dien thoai\]",
        ),
        context=True,
    ),
    Signal(
        "yêu cầu cài ứng dụng hoặc bấm vào đường link",
        2,
        (
            # "cài ứng dụng giả/lạ" names the danger: no scammer calls his own app fake.
            r"cai (?:dat )?(?:ung dung|app|phan mem)\b(?! (?:gia|la|ngoai|khong ro|trai phep)\b)",
            r"tai (?:ung dung|app)",
            r"bam (?:vao )?(?:link|duong link|duong dan)\b(?! la\b)",
            r"(?:dien|nhap|dang ky|xac nhan) (?:\w+ ){0,3}(?:tai|qua|vao|theo) "
            r"(?:duong )?(?:link|dan)\b",
            r"(?:tai|qua|theo) (?:duong )?link (?:nay|sau|duoi|ben duoi|kem|ho gui|do)",
            r"truy cap (?:link|duong link|vao)",
            r"click",
            r"nhan vao (?:link|duong)",
            r"cap nhat (?:sinh trac|thong tin|du lieu)",
            r"sinh trac hoc (?:\w+ ){0,6}(?:link|duong dan|qua)",
            r"ket ban zalo|(?:nhan tin|lien he|inbox|\bib) (?:qua |voi )?zalo",
            r"xac thuc (?:lai )?(?:tai khoan|thong tin)",
            r"link (?:\w+ ){0,3}(?:dang nhap|nhan tien|xac nhan|xac thuc)",
            r"dang nhap (?:\w+ ){0,3}de nhan (?:tien|thuong|qua)",
            r"(?:app|ung dung) rieng\b",
        ),
    ),
    Signal(
        "hứa trúng thưởng, việc nhẹ lương cao, hoa hồng hoặc lợi nhuận cao",
        3,
        (
            r"trung (?:thuong|giai)",
            r"nhan thuong\b(?! hieu)",
            r"viec nhe luong cao",
            r"cong tac vien",
            r"lam nhiem vu",
            r"hoa hong",
            r"lai \d+ ?%",
            r"loi nhuan \d+ ?%|cam ket (?:loi nhuan|lai|hoan von)",
            r"tien ao",
            # A group that shows off its gains, an exchange nobody knows.
            r"nhom (?:\w+ )?(?:dau tu|chung khoan|co phieu|tien ao|coin|forex)",
            r"(?:mo tai khoan|nap tien|dau tu) (?:\w+ ){0,3}san (?:la|ao|nuoc ngoai|khong ro|"
            r"quoc te)",
            r"chi can (?:bo )?(?:von|nap|dau tu) (?:\w+ )?\d",
            r"nang han muc|rut tien (?:mat )?tu the|dao han the|khong (?:can )?tham dinh",
            r"airdrop|\busdt\b|\bbtc\b|dat lenh|xem video (?:\w+ ){0,3}(?:duoc )?tra tien",
            # Papers "made again" without the exam or the office: forged.
            r"khong can (?:di )?(?:thi|hoc|co mat)",
            r"khoe (?:\w+ ){0,2}lai\b",
            r"lay lai (?:\w+ )?tien",
            r"thu hoi tien",
            r"tra cong",
            r"lam (?:viec )?tai nha",
            r"nhan tien ngay",
            r"kiem tien",
            r"(?:viec|lam them|viec lam) (?:\w+ )?online",
        ),
    ),
    Signal(
        "hứa quà tặng, học bổng, hoàn tiền hay tiền hỗ trợ",
        3,
        (
            # Honest notices promise these too: they count only with a request or a link.
            r"nhan (?:ngay )?qua (?:tang|tri an|tet|\d|mien phi|ngay|gia tri|tri gia)",
            r"nhan (?:mon|phan|goi) qua",
            r"qua tang",
            r"loi nhuan",
            r"dau tu",
            r"nhan (?:ngay )?\d+[.,]?\d*\s?(?:k|trieu|tr|000)",
            r"ho tro \d+",
            r"hoc bong",
            r"\bhoan (?:thue|tien|phi)",
            r"giai ngan",
        ),
        context=True,
    ),
)


OTP, MONEY, URGENCY, THREAT, IMPOSTOR, NEW_NUMBER = SIGNALS[:4] + SIGNALS[5:7]
APP, LURE = SIGNALS[-3], SIGNALS[-2]

URL = re.compile(r"(?i)\b((?:https?://)?(?:[a-z0-9-]+\.)+[a-z]{2,}(?::\d+)?(?:/[^\s]*)?)")
# Masking turns an IP address into a number's tag: it still stands where a host should.
_IPURL = re.compile(r"(?i)\bhttps?://(?:\d{1,3}(?:\.\d{1,3}){3}|\[số (?:tài khoản|điện thoại)\])")
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
          "shopee", "bhxh", "vssid", "vcb", "digibank", "viettel", "ghtk", "momo",
          "vnpt", "csgt")  # fmt: skip
OFFICIAL_SUFFIXES = (".gov.vn", "vietcombank.com.vn", "vietinbank.vn", "agribank.com.vn",
                     "bidv.com.vn", "techcombank.com", "mbbank.com.vn", "sacombank.com.vn",
                     "vpbank.com.vn", "evn.com.vn", "vnpost.vn", "zalo.me", "facebook.com",
                     "shopee.vn", "tinnhiemmang.vn", "khonggianmang.vn", "evnspc.vn", "evncpc.vn",
                     "evnhcmc.vn", "viettel.vn", "viettelpost.com.vn", "ghtk.vn", "momo.vn",
                     "vnpt.vn", "csgt.vn", "baochinhphu.vn")  # fmt: skip
# Words of a lure or a fake login in an address, written together as addresses have them.
_LURE_SLUG = re.compile(
    r"nhanqua|quatang|trian|trungthuong|nhanthuong|hoantien|hoanthue|nhantien|sinhtrac|xacthuc|"
    r"xacminh|capnhat|nhiemvu|vaytien|giaingan|thuhoi|khoiphuc|mokhoa|dautu|coin|forex|laicao"
)
# A login page counts on a made-up host ("secure-login24.com"), not on a known site's own.
_LOGIN_SLUG = re.compile(r"dangnhap|login|signin|verify")
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


def _official(host: str) -> bool:
    return any(host == s.lstrip(".") or host.endswith(s) for s in OFFICIAL_SUFFIXES)


def official_only(text: str) -> bool:
    """Whether every address in `text` is an official site's (a ministry, a bank, EVN...)."""
    hosts = [_domain(m.group(1)) for m in URL.finditer(text)]
    return bool(hosts) and all(_official(h) for h in hosts)


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
    official = _official(host)
    parts = re.split(r"[.-]", host)
    if not official and any(p.startswith(BRANDS) or p.endswith(BRANDS) for p in parts):
        reasons.append(
            f"tên miền {host} giả dạng cơ quan hoặc ngân hàng (không phải trang chính thức)"
        )
        score += 4
    words = re.sub(r"[^a-z0-9]+", " ", url.lower()).split()
    # A news article's address is a long title; a lure's is a few words ("nhan-qua", "login").
    made_up = bool(re.search(r"[-\d]", host.rsplit(".", 1)[0]))
    slug = "".join(words)
    lure = _LURE_SLUG.search(slug) or (made_up and _LOGIN_SLUG.search(slug))
    if not official and len(words) <= 8 and lure:
        reasons.append(f"đường link {host} mời nhận tiền, nhận quà hoặc đăng nhập, xác thực")
        score += 2
    tld = host.rsplit(".", 1)[-1]
    if tld in UNUSUAL_TLDS and not official:
        reasons.append(f"tên miền đuôi .{tld} hay bị dùng cho trang lừa đảo")
        score += 2
    return reasons, score


# Part of one clause: up to a full stop or comma, though "2.000.000đ" and "1,5 triệu" go on.
_CLAUSE = r"(?:[^.!?\n,;]|[.,](?=\d))"
# Warnings quote the very requests scammers make ("ngân hàng không bao giờ yêu cầu OTP",
# "không bấm vào đường link lạ"): a negated request is not a request. "Nếu không chuyển khoản..."
# is a threat, not a warning, so a condition keeps it.
_NEGATED = re.compile(
    # A list of what not to give, to its end: "không cung cấp số thẻ, mã OTP cho bất kỳ ai".
    r"\b(?:khong|dung|tuyet doi khong) (?:\w+ )?(?:cung cap|chia se|tiet lo|gui|dua)[^.!?\n]{0,80}"
    r"\bcho (?:bat ky ai|bat cu ai|ai|nguoi khac|nguoi la)\b|"
    # "không được nói với người thân" is the scammer's demand for secrecy, not a warning.
    # "... không chuyển 20 triệu thì tao gửi...": a condition, the threat of an extortioner.
    rf"(?<!\bneu )\b(?:khong|ko|hok|dung|tuyet doi khong) (?!{_CLAUSE}*\bthi\b)(?:phai |can )?"
    r"(?!(?:duoc )?(?:tiet lo|noi|bao) (?:voi|cho) (?:nguoi than|gia dinh|nguoi nha))"
    r"(?:bao gio |he |duoc |nen |\w+ bao gio )?"
    r"(?:yeu cau|doi|hoi|xin|lam viec|goi dien|nhan tin|chuyen|chia se|cung cap|tiet lo|dua|doc|"
    r"gui|bam|nhan vao|click|truy cap|cai|tai|thu|nop|dong tien|dong phi|ket ban|lam theo)"
    rf"{_CLAUSE}*"
)
# A payment told as done ("đã chuyển", "chuyển rồi", "giao dịch ... thành công") is not a request;
# nor is the "ND:" field of a balance notice, which the sender types.
_REPORTED = re.compile(
    rf"\b(?:da|vua|vua moi) (?:\w+ )?(?:chuyen|ck|nap|nop|dong|tra|thanh toan){_CLAUSE}*|"
    # The citizen's own payment, told ("tôi nạp tiền điện thoại"): nobody asks him for it.
    # "bắt tôi nộp" is asked of him: only "tôi" opening a clause.
    r"(?:^|[.!?,;] ?|\b(?:thi|nen|roi|hom nay|hom qua|sang nay|vua roi|luc nay) )"
    rf"toi (?:tu |moi )?(?:chuyen|ck|nap|nop|dong|tra|thanh toan){_CLAUSE}*|"
    # "chuyển trước 50k rồi mới giao" asks first: "rồi mới" is no payment done.
    rf"\b(?:chuyen|ck|nap|nop|dong|tra)\b{_CLAUSE}* (?:roi|xong|r)\b(?! moi)(?: \w+){{0,2}}"
    r"\s*(?=[.!?\n,;]|$)|"
    rf"\b(?:chuyen|ck|nap|nop|dong|tra)\b{_CLAUSE}* thanh cong\b|"
    r"\b(?:nd|noi dung)\b ?:[^\n]*|"
    rf"\bgui\b{_CLAUSE}* (?:roi|r) (?:nha|nhe|nghe|a|do|day)\b|"
    # The bank sending a code to the citizen is its notice, not someone asking for the code.
    r"\b(?:ngan hang|he thong|tong dai|\w+bank|app|ung dung) (?:\w+ )?(?:gui|nhan) (?:\w+ )?"
    r"(?:ma|otp)"
    rf"{_CLAUSE}*"
)
# A warning tells what scammers do ("nhiều đối tượng giả danh điện lực đến nhà thu tiền",
# "thủ đoạn giả mạo tin nhắn yêu cầu cập nhật..."): their requests, quoted, are not made here.
_DESCRIBED_DANGER = re.compile(
    # "Đối tượng cần liên hệ..." addresses the reader as a suspect: that is the scam.
    rf"\b(?:thu doan|doi tuong(?! (?:can|phai|vui long|co trach nhiem))|nhieu nguoi){_CLAUSE}*|"
    # "... đều là lừa đảo", "cách nhận biết cuộc gọi giả danh": warnings and lessons.
    r"[^.!?\n]*\bdeu la (?:lua dao|gia mao|gia)\b[^.!?\n]*|"
    r"\b(?:nhan biet|phong tranh|phong chong|tuyen truyen|to roi)\b[^.!?\n]*|"
    # "cẩn trọng với cuộc gọi giả danh...", "triệt phá đường dây...": warnings and news.
    rf"\b(?:can trong|canh giac|coi chung|de phong|luu y) (?:voi|truoc)\b{_CLAUSE}*|"
    rf"\btriet pha\b{_CLAUSE}*|\bkhuyen cao\b[^.!?\n]*|"
    # A message headed "Cảnh báo": its first sentence tells what to refuse.
    r"^\W*canh bao\b[^.!?\n]*|\bcanh bao ?:[^.!?\n]*|"
    # A warning about calls, to the people; a scammers' trick ("chiêu giả danh") told.
    r"\bcanh bao (?:ve|nguoi dan|ba con|moi nguoi)\b[^.!?\n]*|"
    r"\bchieu (?:gia|lua|mao|tro)[^.!?\n]*|"
    # To the end of the sentence: the scammers named as such ("kẻ gian giả danh..."; "bị kẻ gian"
    # tells the reader he is a victim, which scammers say), what they often do, and a scheme told
    # by what it does to its victims ("dụ người dân nạp tiền").
    r"(?<!bi )\b(?:ke gian|ke xau|ke lua dao|toi pham|"
    r"(?:bon|nhom|cac|nhung) (?:lua dao|doi tuong)|"
    r"lua dao (?:hay|thuong|luon)|nhieu (?:trang|tai khoan|so|tin nhan|cuoc goi|ung dung|app|web)|"
    r"(?:du|lua) (?:nguoi dan|nguoi dung|khach hang|nan nhan))\b[^.!?\n]*|"
    # A request told with its purpose ("... để lừa đảo") is described, not made.
    rf"{_CLAUSE}*\b(?:de|nham) (?:lua dao|lua|chiem doat){_CLAUSE}*"
)
# Paying at a counter, a school office or on delivery: how honest bills and fees are paid.
_IN_PERSON = re.compile(
    r"\b(?:ra|den|toi) (?:quay|phong giao dich|chi nhanh|tru so)\b|"
    r"\btai (?:quay|phong|tru so|diem thu|buu cuc|chi nhanh|truong|nha van hoa|hoi truong|"
    r"diem phuc vu)\b|truc tiep|"
    r"khi nhan hang|\bhoa don\b|ghi tren (?:thong bao|hoa don|giay)|mot cua|"
    # Official portals and apps: a tax paid there reaches the State.
    r"\.gov\.vn\b|\betax\b|"
    # An insurer's or a shop's own app, its office: where a customer pays a known bill.
    r"\b(?:app|ung dung|trang|website) chinh thuc\b|\b(?:ra|tai|len|den) van phong\b|"
    r"\bmang theo\b"
)
# Apps from the official stores, with only official links: the agencies' own instructions.
_OFFICIAL_STORE = re.compile(r"\b(?:app ?store|ch ?play|google play)\b")
# At the bank's own counter a code, an app or a face scan is the bank's, not a stranger's.
_AT_COUNTER = re.compile(
    r"\b(?:ra|den|toi|tai) (?:quay|phong giao dich|chi nhanh|tru so|diem giao dich)\b"
)
# Paid as every month, to the account used before: the landlord's or the school's bill.
_ROUTINE = re.compile(
    r"\bvao (?:so )?(?:tai khoan|stk|tk)(?: \w+){0,4} cu\b|"
    r"\bnhu (?:moi|cac) (?:thang|khi|lan|nam|ky)\b|\bmoi khi\b|\bnhu (?:thang|lan|ky) truoc\b"
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
# A general question ("làm sao nhận biết...", "công an có gọi điện đòi tiền không?"): one sentence
# with a question word, or a yes/no question.
_QUESTION_WORDS = re.compile(
    r"\b(?:lam sao|lam the nao|the nao|nhu the nao|ntn|co bao gio|la gi|o dau|nhan biet|"
    r"tai sao|vi sao|phat hien|phong tranh|phan biet|nen lam gi|co phai (?:\w+ ){0,3}deu|"
    r"nhung (?:gi|chieu|thu doan|dau hieu)|ra sao|phai lam gi|bang cach nao|xu ly sao)\b|"
    r"\bco (?:\w+ ){1,14}(?:khong|ko|k)(?:\s+(?:a|ah|vay|nhi|ha|ad|z|v|ban))*\s*[?.!]*\s*$"
)
# Someone who did something: "có người gọi", "họ nhắn" (not "tin nhắn báo", a kind of message).
# Who called or wrote, and what they did, as a citizen tells it (shared with DESCRIBED below).
_CALLER = r"co nguoi|co ai|ai do|mot nguoi|nguoi la|so la|sdt la|ben do|ho"
_CALLED = r"goi|nhan|nhan tin|moi|xung|bao|noi"
_SOMEONE = re.compile(
    rf"\b(?:{_CALLER}|nguoi ta|ben kia|\w+ toi) (?:\w+ ){{0,4}}(?:{_CALLED}|gui|muon)\b"
)
# "... thì có phải lừa đảo không?": a case imagined, not a message received.
_HYPOTHETICAL = re.compile(r"\bthi (?:co|la|phai)\b")
# What a received message has and a question about a kind of scam lacks: a sum, a number, a
# quote, "this/that" message, an order ("vui lòng", "hãy chuyển"), a page where it was seen.
_SPECIFIC = re.compile(
    r"\d|\[|[\"“”]|\b(?:vui long|de nghi|nay|do|kia)\b|"
    r"\bhay (?:bam|chuyen|nap|nop|cai|nhap|gui|lien he|truy cap|dang ky)\b|"
    r"\b(?:tren|qua) (?:facebook|fb|zalo|mang|tiktok|telegram|tele)\b|\bquang cao\b"
)


def general_question(folded: str) -> bool:
    body = folded.rstrip(" ?!.")
    if re.search(r"[.!?]\s", body) or len(body.split()) > 30:
        return False  # several sentences: a pasted message, even if it ends with a question
    asked = ASK.search(folded) and not _HYPOTHETICAL.search(folded)
    if asked and (_SPECIFIC.search(folded) or _SOMEONE.search(folded)):
        return False  # "chuyển 2 triệu phí hồ sơ, có phải lừa đảo không?" asks about a message
    if re.search(r"\b(?:quy khach|anh chi|ong ba)\b|\bco muon\b", folded):
        return False  # an offer put to the reader ("bạn có muốn nhận 5 triệu không?")
    # "... có phải lừa đảo không?" with nothing of one message asks about a kind of scam.
    return bool(asked or _QUESTION_WORDS.search(folded) or _HOW_QUESTION.search(folded))


# Something that happened to the citizen ("tôi nhận được...", "có người gọi..."): rated even when
# it ends with "phải làm sao".
_PERSONAL = re.compile(
    r"\b(?:toi|minh|em|nha toi|me toi|bo toi|con toi|vua|hom qua|hom nay|nhan duoc|nhan dc|"
    r"co nguoi|co ai|ai do|dang(?! (?:nhap|ky|ki|bai)))\b"
)


# The citizen called the person back on a number he knows and it was really them: "tôi gọi lại
# số cũ thì đúng là con tôi". A video call is no proof: faces and voices are faked.
_VERIFIED = re.compile(
    # Not the number the stranger gave ("số đó", "họ").
    r"\bgoi lai (?:cho )?(?!(?:so (?:do|nay|la|kia|ho|tren)|ho|nguoi do|nguoi la|ben do)\b)"
    r"(?!(?:\w+ ){0,3}video)[^.!?]{0,40}\b(?:thi|va) (?:\w+ ){0,3}"
    r"(?:dung la|xac nhan|dung that|dung|chinh la)\b"
)

# The reader, addressed as scammers address their targets.
_ADDRESSED = re.compile(r"\b(?:ban|quy khach|anh ?/?chi|ong ?/?ba|doi tuong (?:can|phai))\b")


def check(text: str) -> Verdict:
    """Rate `text` and list the reasons."""
    plain = re.sub(r"['\"“”‘’]", "", folded_words(text))
    folded = _DESCRIBED_DANGER.sub(" ", _NEGATED.sub(" ", _REPORTED.sub(" ", plain)))
    folded = re.sub(r"\s*[,;:]\s*", " ", folded)
    if _PHONE_ONLY.match(text.strip()):
        return Verdict(Risk.LOW, 0, phone_only=True)
    # "Cho tôi hỏi..." opens a question; it tells of nothing that happened.
    # "Nếu ... thì tôi phải làm gì": a case imagined; "tôi muốn cài...": a wish, not an event.
    opening = r"^(?:cho )?(?:toi|minh|em) (?:muon )?hoi\b|^(?:toi|minh|em) (?:muon|can|dinh)\b"
    personal = not plain.startswith("neu ") and _PERSONAL.search(re.sub(opening, "", plain))
    if general_question(plain) and not personal and not URL.search(text):
        return Verdict(Risk.LOW, 0)
    reasons, score, links = _link_reasons(text)
    acting = bool(reasons)  # a risky link is a lure by itself
    matched = [s for s in SIGNALS if any(re.search(p, folded) for p in s.patterns)]
    if _VERIFIED.search(
        plain
    ):  # a relative's request, checked with him: a code or link still counts
        matched = [s for s in matched if s not in (MONEY, IMPOSTOR, NEW_NUMBER)]
    # A bill, fee or scholarship handled at a counter or school office: no stranger gets paid.
    actions = {s for s in matched if not s.context}
    if (
        actions
        and not acting
        and (
            (actions <= {MONEY, LURE} and _IN_PERSON.search(folded))
            or (actions <= {MONEY, LURE, APP, OTP} and _AT_COUNTER.search(folded))
            or (actions == {MONEY} and _ROUTINE.search(folded) and NEW_NUMBER not in matched)
            or (actions == {APP} and _OFFICIAL_STORE.search(folded) and official_only(text))
        )
    ):
        matched = [s for s in matched if s not in actions]
    for signal in matched:
        # "Hối thúc hoặc đe dọa" already says it: one line, both weights.
        if signal is not URGENCY or THREAT not in matched:
            reasons.append(signal.reason)
        score += signal.weight
    acting = acting or any(not s.context for s in matched)
    # Who speaks and how urgently only matter with a request, a lure, or a threat made to the
    # reader: news of an arrest names the police and threats too.
    # A summons to come to the office is how the police really work: no threat over the phone.
    threatened = THREAT in matched and _ADDRESSED.search(folded) and not _IN_PERSON.search(folded)
    if not acting and not threatened:
        reasons, score = [], 0
    risk = Risk.LIKELY_SCAM if score >= 5 else Risk.SUSPICIOUS if score >= 2 else Risk.LOW
    notice = risk is Risk.LOW and bool(_NOTICE.search(plain))
    return Verdict(risk, score, reasons, links, notice=notice)


# Phrases with which citizens ask for a check ("tin nay co phai lua dao khong").
ASK = re.compile(
    r"(?:co phai|la|co bi|phai) (?:lua dao|lua|scam)|lua dao (?:khong|ko|k|hong|ha|a)\b|"
    r"kiem tra (?:giup|ho|tin|link|so)|(?:tin|link|so|trang) (?:nay|do) (?:co )?(?:an toan|that)|"
    r"co (?:nen )?(?:tin|lam theo) (?:duoc )?(?:khong|ko|k)\b|(?:co )?that (?:khong|ko|k|hok)\b|"
    r"co sao (?:khong|ko|k)\b|co (?:dang tin|uy tin)|co nen (?:chuyen|bam|cai|nghe)"
)
# A call, message or offer told in the citizen's own words ("có người gọi xưng...").
DESCRIBED = re.compile(
    rf"(?:{_CALLER}) (?:\w+ ){{0,4}}(?:{_CALLED})\b|"
    r"(?:nhan duoc|nhan dc|vua nhan|bi goi) (?:\w+ ){0,3}(?:tin nhan|cuoc goi|sms|email|thu|link|"
    r"loi moi)|(?:duoc|dc) (?:\w+ ){0,3}moi (?:lam|vao|tham gia|dau tu)|"
    r"\b(?:goi|nhan|nhan tin|gui) (?:\w+ ){0,4}(?:xung|bao|noi|doi|nho|muon|bat|yeu cau)\b"
)
