"""Structural contact details that lure a buyer off the platform: phone numbers, bank cards,
and the account id that follows a contact keyword (微信: abc_123, QQ 12345678).

Regular expressions are used only for these structures; words (微信, 加我, 私聊 …) live in the
off_platform lexicon. They run on the digits view (一三八 / 幺三八 / １３８ → 138), so numbers
spelled in Chinese are seen too. What is NOT a contact: masked numbers (138****5678), order and
tracking numbers (SF1403928475612, 18-19 digit order ids), prices and sizes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from classifiers.normalize.digits import NUMERALS, Digits

CATEGORY = "off_platform"
# Lexicon group (`part=channel`) whose members an account id may follow (薇：abc888, 我的v是…).
CHANNEL_GROUP = "channel"

_SEP = r"[ \-]?"
_EDGE_BEFORE = r"(?<![0-9a-z*])"
_EDGE_AFTER = r"(?![0-9a-z*])"
# Mainland mobile: 1[3-9] + 9 digits, optionally grouped 3-4-4 with spaces or dashes, +86 allowed.
_MOBILE = re.compile(rf"{_EDGE_BEFORE}(?:\+?86{_SEP})?1[3-9](?:{_SEP}\d){{9}}{_EDGE_AFTER}")
# Landline with area code (010-12345678, 0571 8888 6666).
_LANDLINE = re.compile(rf"{_EDGE_BEFORE}0[1-9]\d{{1,2}}{_SEP}[2-9]\d{{6,7}}{_EDGE_AFTER}")
# 400/800 service hotlines: a number, but the kind a brand prints on its box.
_HOTLINE = re.compile(rf"{_EDGE_BEFORE}[48]00{_SEP}\d{{3}}{_SEP}\d{{4}}{_EDGE_AFTER}")
# One pass for the three phone shapes; the group name says which matched.
_PHONES = re.compile("|".join(f"(?P<{name}>{pattern.pattern})" for name, pattern in (
    ("mobile", _MOBILE), ("landline", _LANDLINE), ("hotline", _HOTLINE))))
_PHONE_KINDS = {"mobile": ("手机号", 3), "landline": ("电话号码", 3), "hotline": ("客服热线", 1)}
_CARD = re.compile(rf"{_EDGE_BEFORE}(?:\d{_SEP}){{15,18}}\d{_EDGE_AFTER}")
# A bank card number is only a bank card when the message talks about cards or transfers;
# 16-19 digit runs are otherwise order numbers.
_CARD_CONTEXT = re.compile(r"卡号|银行卡|账号|帐号|转账|转帐|打款|汇款|开户|收款")
_EMAIL = re.compile(r"[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}")
# What may stand between a contact keyword and the account id after it.
_ID_AFTER_KEYWORD = re.compile(r"(?:号码?|账号|id)?\s*[:：是为]?\s*([a-z][-_a-z0-9]{5,19}|\d{5,11})"
                               r"(?![-_a-z0-9])")


@dataclass(frozen=True, slots=True)
class ContactHit:
    """A contact detail at `start:end` of the digits view (same indices as the base text)."""

    kind: str
    start: int
    end: int
    severity: int


_DIGIT_LIKE = re.compile("[0-9" + "".join(NUMERALS.values()) + "]")


class ContactDetector:
    name = "contacts"

    def __init__(self) -> None:
        self.digits = Digits()

    def view(self, base: str) -> str:
        return self.digits.compiled.translate(base)

    def detect(self, base: str, keyword_ends: list[int] | None = None) -> list[ContactHit]:
        """Contact details in `base` (normalised text). `keyword_ends` are the base positions
        where an off_platform keyword hit ends; an id right after one is an account id."""
        hits: list[ContactHit] = []
        if keyword_ends:
            text = self.view(base)
            for end in sorted(set(keyword_ends)):
                m = _ID_AFTER_KEYWORD.match(text, end)
                if m:
                    hits.append(ContactHit("账号", m.start(1), m.end(1), 3))
        # Every remaining shape needs at least seven digits or an "@"; most messages have
        # neither, and this check costs far less than the digits view and the patterns.
        if len(_DIGIT_LIKE.findall(base)) < 7 and "@" not in base:
            return hits
        text = self.view(base)
        for m in _PHONES.finditer(text):
            kind, severity = _PHONE_KINDS[m.lastgroup or "mobile"]
            hits.append(ContactHit(kind, *m.span(), severity))
        if _CARD_CONTEXT.search(text):
            for m in _CARD.finditer(text):
                if luhn_valid(re.sub(r"\D", "", m.group())):
                    hits.append(ContactHit("银行卡号", *m.span(), 3))
        if "@" in text:
            hits.extend(ContactHit("邮箱", *m.span(), 1) for m in _EMAIL.finditer(text))
        return hits


def luhn_valid(number: str) -> bool:
    total = 0
    for index, ch in enumerate(reversed(number)):
        digit = int(ch)
        if index % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0
