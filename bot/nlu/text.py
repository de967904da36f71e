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


def has_diacritics(text: str) -> bool:
    return fold(text) != text.lower()
