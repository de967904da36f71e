"""Expand chat abbreviations ("ko", "dc", "ntn", "cdso") on folded tokens.

Unambiguous forms come from `data/teencode.yml`. A few forms mean two different things and are
resolved from their neighbours: "dk" (được / đăng ký), "mk" (mình / mật khẩu), "tk" (thanks /
tài khoản), "ck" (chuyển khoản / chồng), "bn" (bạn / bao nhiêu), "hs" (hồ sơ / học sinh). When
the context says nothing, they are left as typed: the classifier still sees the raw form, which
is better than a wrong guess.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

from bot.nlu.text import fold

DICTIONARY_FILE = Path(__file__).parent / "data" / "teencode.yml"

_REGISTRATION = {
    "vneid",
    "tai",
    "khoan",
    "acc",
    "muc",
    "ho",
    "so",
    "hso",
    "o",
    "dau",
    "the",
    "nao",
    "ntn",
    "online",
    "truc",
    "tuyen",
    "dinh",
    "danh",
    "sim",
    "tham",
    "gia",
    "thi",
    "nhan",
    "ban",
    "tin",
    "cho",
    "con",
    "tre",
    "em",
    "lai",
    "xe",
}
_PASSWORD = {
    "quen",
    "doi",
    "dat",
    "lay",
    "mat",
    "lo",
    "nhap",
    "sai",
    "reset",
    "khoi",
    "phuc",
    "manh",
    "yeu",
    "vneid",
    "facebook",
    "zalo",
    "fb",
    "zl",
    "email",
    "gmail",
    "ngan",
    "hang",
    "tai",
    "khoan",
    "otp",
}
_ACCOUNT = {
    "facebook",
    "fb",
    "zalo",
    "zl",
    "ngan",
    "hang",
    "vneid",
    "bi",
    "hack",
    "khoa",
    "mat",
    "dang",
    "nhap",
    "cua",
    "toi",
    "minh",
    "em",
    "lay",
    "cap",
    "ao",
    "gia",
    "so",
    "khau",
    "mk",
}
_TRANSFER = {
    "tien",
    "ngan",
    "hang",
    "stk",
    "so",
    "tai",
    "khoan",
    "chuyen",
    "cho",
    "nhan",
    "tr",
    "trieu",
    "k",
    "nghin",
    "lua",
    "dao",
    "gap",
    "ngay",
    "vao",
}
_HOW_MUCH_AFTER = {
    "tien",
    "tuoi",
    "lau",
    "ngay",
    "phi",
    "dong",
    "k",
    "nghin",
    "trieu",
    "tr",
    "nguoi",
    "xa",
    "phuong",
    "cau",
    "diem",
    "buoc",
    "thoi",
    "gian",
}
_FILE = {
    "nop",
    "dich",
    "vu",
    "cong",
    "tra",
    "cuu",
    "ma",
    "online",
    "truc",
    "tuyen",
    "giay",
    "to",
    "thu",
    "tuc",
    "dvc",
    "ho",
    "so",
}


@lru_cache(maxsize=1)
def dictionary() -> dict[str, tuple[str, ...]]:
    raw = yaml.safe_load(DICTIONARY_FILE.read_text(encoding="utf-8")) or {}
    return {fold(str(key)): tuple(fold(str(value)).split()) for key, value in raw.items()}


def _near(tokens: list[str], i: int, words: set[str], span: int = 3) -> bool:
    window = tokens[max(0, i - span) : i] + tokens[i + 1 : i + 1 + span]
    return any(token in words for token in window)


def resolve_ambiguous(tokens: list[str], i: int) -> tuple[str, ...] | None:
    """The expansion of an ambiguous form at position i, or None to leave it alone."""
    token = tokens[i]
    if token in {"dk", "dki"}:
        if _near(tokens, i, _REGISTRATION):
            return ("dang", "ky")
        return ("duoc",)
    if token in {"mk", "mik"}:
        return ("mat", "khau") if _near(tokens, i, _PASSWORD, 2) else ("minh",)
    if token == "tk":
        if _near(tokens, i, _ACCOUNT, 2):
            return ("tai", "khoan")
        # "tk ad", "ok tk", a lone "tk": thanks.
        return ("cam", "on") if len(tokens) <= 3 else None
    if token == "ck":
        return ("chuyen", "khoan") if _near(tokens, i, _TRANSFER) else None
    if token in {"bn", "b"}:
        return ("bao", "nhieu") if _asks_how_much(tokens, i) else ("ban",)
    if token == "hs":
        return ("ho", "so") if _near(tokens, i, _FILE) else None
    return None


def _asks_how_much(tokens: list[str], i: int) -> bool:
    """Whether "bn" means "bao nhiêu" ("bn tiền", "mất bn") rather than "bạn"."""
    after = tokens[i + 1 : i + 3]
    return any(word in _HOW_MUCH_AFTER for word in after) or (
        i > 0 and tokens[i - 1] in {"mat", "het", "la", "co"}
    )


def expand(folded_tokens: list[str]) -> list[tuple[str, ...]]:
    """For each folded token, the words it stands for (itself when it is not an abbreviation)."""
    table = dictionary()
    out: list[tuple[str, ...]] = []
    for i, token in enumerate(folded_tokens):
        resolved = resolve_ambiguous(folded_tokens, i)
        if resolved is None:
            resolved = table.get(token, (token,))
        out.append(resolved)
    return out
