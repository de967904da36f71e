"""Vietnamese text normalisation: Unicode NFC, one tone-placement style, accent folding.

Users type NFD from some keyboards, old-style tone marks ("hoà", "thuý") from others and no
diacritics at all from many phones; all of them must meet the same features.
"""

from __future__ import annotations

import re
import unicodedata

# Tone marks as combining characters (NFD): grave, acute, hook, tilde, dot below.
_TONES = "\u0300\u0301\u0309\u0303\u0323"
_TONE_RE = re.compile(f"[{_TONES}]")

# "oa", "oe", "uy" closing a syllable: the traditional style (used in "Khánh Hòa", the
# province's own spelling) puts the tone on the first vowel. Old keyboards put it on the second.
_OLD_STYLE = re.compile(rf"(?<![qQ])([oOuU])([aAeEyY])([{_TONES}])(?![\w\u0300-\u036f])")


def normalize(text: str) -> str:
    """NFC with the tone on the first vowel of a closing oa/oe/uy ("hoà" -> "hòa")."""
    decomposed = unicodedata.normalize("NFD", text)
    if _TONE_RE.search(decomposed):
        decomposed = _OLD_STYLE.sub(_move_tone, decomposed)
    return unicodedata.normalize("NFC", decomposed)


def _move_tone(match: re.Match[str]) -> str:
    first, second, tone = match.groups()
    # "uy" after "q" is handled by the look-behind; "oa"/"oe"/"uy" elsewhere move the tone.
    if first in "uU" and second not in "yY":
        return match.group(0)
    if first in "oO" and second not in "aAeE":
        return match.group(0)
    return f"{first}{tone}{second}"


def fold(text: str) -> str:
    """Lower-case and strip every diacritic, đ included: "Chuyển đổi số" -> "chuyen doi so"."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return stripped.replace("đ", "d")


_PUNCTUATION = re.compile(r"[^\w\s]")


def folded_words(text: str, *, punctuation: bool = False) -> str:
    """`text` folded, its words one space apart: " Thi  thử " -> "thi thu". With `punctuation`,
    anything but letters, digits, "_" and spaces separates words too: "A." -> "a"."""
    folded = fold(text)
    if punctuation:
        folded = _PUNCTUATION.sub(" ", folded)
    return " ".join(folded.split())


def has_diacritics(text: str) -> bool:
    return fold(text) != text.lower()


# -- keyboard leftovers ------------------------------------------------------------------------
# Phones without a Vietnamese keyboard, or one switched off, leave the Telex or VNI keystrokes
# in the text: "dduwowcj" (được), "khoong" (không), "chuye6n d9o6i" (chuyển đổi). Decoding them
# to the folded form is enough, since matching happens on folded text.
_SYLLABLE = re.compile(r"^[bcdghklmnpqrstvx]*[aeiouy]+(?:c|ch|m|n|ng|nh|p|t)?$")
_TELEX_PAIRS = (
    ("dd", "d"),
    ("aa", "a"),
    ("ee", "e"),
    ("oo", "o"),
    ("aw", "a"),
    ("ow", "o"),
    ("uw", "u"),
)
_VNI_INSIDE = re.compile(r"^[a-z]+(?:[1-9][a-z]+)+[1-9]?$")


def decode_keyboard_leftovers(token: str) -> str:
    """The folded word behind a Telex or VNI leftover; anything else is returned unchanged."""
    if not token.isascii() or not token.isalnum():
        return token
    if any(ch.isdigit() for ch in token):
        # VNI: tone/mark digits between letters ("d9o6i"); trailing digits ("muc2") are numbers.
        if _VNI_INSIDE.match(token):
            return "".join(ch for ch in token if not ch.isdigit())
        return token
    decoded = token
    for pair, single in _TELEX_PAIRS:
        decoded = decoded.replace(pair, single)
    marked = decoded != token
    # A Vietnamese syllable never ends in s, f, r, x or j: there it is a Telex tone key.
    if decoded[-1:] in {"s", "f", "r", "x", "j"} and _SYLLABLE.match(decoded[:-1]):
        decoded, marked = decoded[:-1], True
    if marked and _SYLLABLE.match(decoded):
        return decoded
    return token
