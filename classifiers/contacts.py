"""Structural contact details that lure a buyer off the platform: phone numbers, bank cards,
e-mail addresses, URLs and short links, and the account id that follows a channel word
(微信: abc_123, 薇：laozhang888, QQ 12345678).

Regular expressions are used only for these structures; words live in the off_platform
lexicon. Numbers are read on the digits view (一三八 / 幺三八 / 壹叁捌 → 138; digits of other
scripts and look-alike letters were already folded by the confusables step: 1З8 → 138, ❶ → 1),
and a number may be split by any separator — spaces, dots, slashes, emoji, Chinese commas
(186🌸5530🌸2271) — or into two or three pieces across the message when the message talks about
a phone (前面是159 0531，尾号6688), or spelled in characters that sound like digits (妖叁捌 舞舞陆妻
巴酒铃壹: eleven in a row making a mobile number). Inside a number, the letters l, i and o stand
for 1, 1 and 0 (l3Ol2345678) as long as most of it is real digits; a number labelled as a code
(商品编码, 发票代码, IMEI) or glued to latin letters (JDX0192…) is a code. What is NOT a
contact: masked numbers (138****5678), order and tracking numbers (their length), prices and
sizes, card-like digits that nothing in the message calls a card or that fail the Luhn checksum
without a bank or card label right before them (or a bank, branch or payee right after them),
cards the shop issues named by their kind (会员卡号, 储值卡), the platform's own links.

E-mail addresses and URLs are read on the original text (lower-cased): the separator step
would glue t.cn/A6xYz9Kp into one word.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from classifiers.normalize.base import CompiledTable
from classifiers.normalize.digits import NUMERALS, Digits

CATEGORY = "off_platform"
# Lexicon groups (`part=…`) whose members an account id may follow (薇：abc888, 我的v是…).
CHANNEL_GROUPS = frozenset({"channel", "channel_short", "channel_id"})

# A digit group: digits joined by at most three separator characters (anything that is not a
# letter, a digit or a Chinese character: spaces, punctuation, emoji, ·, /).
_GROUP = re.compile(r"[0-9](?:[^0-9a-z\u3400-\u9fff*]{0,3}[0-9])*")
_LOOKALIKE_DIGITS = str.maketrans({"l": "1", "i": "1", "o": "0"})
# l, i and o that stand among digits, not inside a latin word (tel, hello).
_LOOKALIKE_RUN = re.compile(r"(?<![a-z])[lio]+(?![a-z])")
_NOT_DIGIT = re.compile(r"[^0-9]")
# A 400/800 number labelled as a public service line, not the agent's own contact.
_SERVICE_LABEL = re.compile(r"官方|客服|售后|热线|服务电话|服务中心|服务专线")
_CARD_CONTEXT = re.compile(r"卡|银行|[工农建招交中]行|账号|帐号|转账|转帐|打款|汇款|开户|收款|"
                           r"转到|转这")
# A bank or a card number named right before card-length digits: a card, whatever its checksum
# (a digit mistyped or made up is still a card number given; an order number is never
# introduced by a bank's name).
_CARD_LABEL = re.compile(r"(?:银行|[工农建招交中]行|卡号|银行账号)[^0-9a-z\u3400-\u9fff]{0,3}$")
# …or right after them: the bank, the account's branch or its holder (6222 …，工行，收款人李).
_CARD_LABEL_AFTER = re.compile(r"[^0-9a-z\u3400-\u9fff]{0,3}(?:[\u4e00-\u9fff]{0,4}银行|"
                               r"[工农建招交中]行|开户|收款人|户名)")
# A card the shop or a service issues, named right before its number (会员卡号, 积分卡, 礼品卡
# 号码): a qualifier that is a content word before 卡. A bank card's qualifier names a bank or
# the kind of account (银行卡, 工行卡, 储蓄卡, 借记卡, 信用卡, 收款卡, 银联卡), and a pronoun,
# measure word or 的 before 卡 (我的卡号, 这张卡) names no kind at all.
_OTHER_CARD_LABEL = re.compile(r"[\u4e00-\u9fff](?<![行蓄记用款联的张这那我你他她其该此本])卡"
                               r"(?:号码?)?[^0-9a-z\u3400-\u9fff]{0,3}$")
_PHONE_CONTEXT = re.compile(r"手机|电话|号码|打给|打我|拨|尾号|联系|存一下|记一下|拼|前面|后面|"
                            r"[前后]\w?位")
# A number right after one of these labels is a code the platform or a product gives it (商品编码
# 1398 5520 461, 发票代码 031002300111, IMEI 8612…), not a contact, whatever its length.
_CODE_LABEL = re.compile(r"(?:编码|编号|单号|条码|条形码|代码|批号|核销码|序列号|序号|货号|型号|"
                         r"运单号?|券码|兑换码|激活码|发票号码?|料号|流水号|注册号|证号|sn|imei|"
                         r"isbn|ean|sku)[^0-9a-z\u3400-\u9fff]{0,3}$")
# Latin letters glued to the left of a number make it an alphanumeric code (JDX0192837465),
# unless they name a contact (tel, call, whatsapp …) anywhere in them: the separator step joins
# words typed apart, so "call me 139…" and "call/text +86 188…" reach here glued (callme139…).
_LETTER_PREFIX = re.compile(r"([a-z]{3,})$")
_CONTACT_WORDS = frozenset({"tel", "phone", "mobile", "call", "text", "sms", "whatsapp",
                            "line", "wechat", "weixin", "telegram", "signal", "viber", "fax"})
_TLD = (r"(?:com|cn|net|org|cc|top|xyz|vip|shop|store|site|online|club|me|io|co|info|ly|"
        r"ltd|tk|hk|tw)")
_DOT = r"(?:\.|\s*点\s*|\s*dot\s*|\s*[(\[【（]dot[)\]】）]\s*)"
_AT = r"(?:@|＠|#|\s+at\s+|\s*[(\[【（]at[)\]】）]\s*|\s*艾特\s*|圈a?)"
_EMAIL = re.compile(rf"[a-z0-9][a-z0-9._%+-]*{_AT}[a-z0-9-]+(?:{_DOT}[a-z0-9-]+)*?{_DOT}{_TLD}"
                    r"(?![a-z])")
_URL = re.compile(rf"(?:[a-z][a-z0-9+.-]*://[!#-'*-~]+"
                  rf"|www{_DOT}[a-z0-9-]+(?:{_DOT}[a-z0-9-]+)*"
                  rf"|(?<![a-z0-9@._-])[a-z0-9][a-z0-9-]*(?:{_DOT}[a-z0-9-]+)*{_DOT}{_TLD}"
                  r"(?![a-z0-9])(?:/[a-z0-9/_?=&.%-]*)?)")
# A top-level domain after a dot: with an at sign or its spelling, a scheme or www, what no
# e-mail address or URL can be written without (a price such as 12.5 has none of them).
_TLD_AFTER_DOT = re.compile(rf"{_DOT}{_TLD}(?![a-z])", re.IGNORECASE)


# What an e-mail address or a URL is written with, one of them being enough to look further.
# Every alternative starts with a literal character, so the regex engine skips the positions
# whose character starts none of them (with a class as the first alternative it tried every
# alternative at every position: twice the time, on every message, twice).
_ADDRESS_SIGN = re.compile(r"@|＠|#|圈|//|艾特|www|dot|DOT| at ")
# The characters an address sign or a dotted domain (`_may_hold_address`) begins with: a text
# holding none of them holds no e-mail address or URL, which a caller that edits other things
# out too (the invitation model's read) tells in one search with its own characters.
ADDRESS_STARTS = "".join(sorted({sign[0] for sign in _ADDRESS_SIGN.pattern.split("|")}
                                | {".", "点"}))


def _may_hold_address(text: str) -> bool:
    """A cheap test run on every message before the e-mail and URL patterns (one search for
    every sign: ten substring tests cost twice as much)."""
    if _ADDRESS_SIGN.search(text) is not None:
        return True
    return ("." in text or "点" in text) and _TLD_AFTER_DOT.search(text) is not None
# The platform's own domains: links an agent may send.
_PLATFORM_DOMAINS = re.compile(r"(?:^|[/.点])(?:taobao|tmall|tb|jd|3|alipay|1688|aliexpress|"
                               r"alibaba|jingdong|360buy)(?:\.|点)(?:com|cn)")
# What may stand between a channel word and the account id after it: 号/号码/账号/id, then a
# few non-word characters and 是/为 (薇：abc888, V❤：bj_sofa_99, 我的v是dongbei_jiaju).
_ID_AFTER_KEYWORD = re.compile(
    r"(?:号码?|账号|帐号|id)?[^\w\u3400-\u9fff]{0,3}(?:是|为)?[^\w\u3400-\u9fff]{0,3}"
    r"([a-z][-_.a-z0-9]{3,29}|[0-9](?:[ -]?[0-9]){4,11})(?![-_a-z0-9])")


@dataclass(frozen=True, slots=True)
class ContactHit:
    """A contact detail at `start:end` of the base text (or of the original text when
    `on_original`: e-mail addresses and URLs)."""

    kind: str
    start: int
    end: int
    severity: int
    on_original: bool = False



# Pinyin readings of the digits (幺 yao for 1, as on the phone).
_DIGIT_READINGS = {"ling": "0", "yi": "1", "yao": "1", "er": "2", "san": "3", "si": "4",
                   "wu": "5", "liu": "6", "qi": "7", "ba": "8", "jiu": "9"}
_MARK = "\ue000"
_MARK_RUN = re.compile(f"{_MARK}(?:[^\\w]{{0,3}}{_MARK}){{10,}}")
_DIGIT_LIKE = re.compile("[0-9" + "".join(NUMERALS.values()) + "]")


class ContactDetector:
    name = "contacts"

    def __init__(self, syllables: dict[int, str] | None = None) -> None:
        """`syllables`: each Chinese character's pinyin (PinyinView.syllables); with it, a
        mobile number written in characters that sound like digits (妖叁捌 舞舞陆妻 巴酒铃壹)
        is read too."""
        self.digits = Digits()
        self.homophones: dict[int, str] = {
            code: _DIGIT_READINGS[syllable] for code, syllable in (syllables or {}).items()
            if syllable in _DIGIT_READINGS}
        self.homophones.update({code: digit for code, digit in self.digits.table.items()
                                if digit is not None})
        # Every such character becomes one marker, so that a run is a short pattern and a
        # message with fewer than eleven of them is dismissed by one count.
        self._marked = CompiledTable({code: _MARK for code in self.homophones}) \
            if syllables else None
        self._homophone_char = re.compile(
            "[" + "".join(re.escape(chr(code)) for code in sorted(self.homophones)) + "]")

    def view(self, base: str) -> str:
        return self.digits.compiled.translate(base)

    def numbers_view(self, base: str) -> str:
        """The digits view with l/i/o among digits read as 1/1/0 (same indices as `base`)."""
        text = self.view(base)
        if "l" in text or "i" in text or "o" in text:
            text = _LOOKALIKE_RUN.sub(lambda m: m.group().translate(_LOOKALIKE_DIGITS), text)
        return text

    def detect(self, base: str, keyword_ends: list[int] | None = None,
               original: str | None = None) -> list[ContactHit]:
        """Contact details in `base` (normalised text) and `original` (the message as sent;
        `base` itself when not given).
        `keyword_ends` are base positions where a channel word ends; an id right after one is
        an account id."""
        hits: list[ContactHit] = []
        if keyword_ends:
            text = self.numbers_view(base)
            for end in sorted(set(keyword_ends)):
                m = _ID_AFTER_KEYWORD.match(text, end)
                if m and _looks_like_id(m.group(1)):
                    hits.append(ContactHit("账号", m.start(1), m.end(1), 3))
        source = base if original is None else original
        if _may_hold_address(source):
            hits.extend(self._addresses(source.lower()))
        # Every remaining shape needs at least seven digits; most messages have fewer, and this
        # check costs far less than the digits view and the patterns.
        digit_like = len(_DIGIT_LIKE.findall(base))
        if digit_like < 7:
            # A number spelled in homophones still has a few real numerals (妖叁捌 舞舞陆妻).
            return hits + self._homophone_phones(base) if digit_like >= 3 else hits
        text = self.numbers_view(base)
        numbers = [(m, _NOT_DIGIT.sub("", m.group())) for m in _GROUP.finditer(text)]
        whole: list[tuple[int, int]] = []
        for m, digits in numbers:
            kind = _number_kind(digits, text, m.start(), m.end())
            if kind is None or not _mostly_digits(base[m.start():m.end()]):
                continue
            if kind != "银行卡号" and _labelled_code(text, m.start()):
                continue
            if kind == "银行卡号" and _OTHER_CARD_LABEL.search(
                    text, max(0, m.start() - 8), m.start()):
                continue  # 会员卡号 8800…: the shop's own card, whatever its checksum
            if kind == "客服热线" and _SERVICE_LABEL.search(text[max(0, m.start() - 12):m.start()]):
                continue  # a brand's or the platform's public service line (华为客服热线400…)
            if kind == "银行卡号" and not _CARD_CONTEXT.search(text):
                continue
            severity = 1 if kind == "客服热线" else 3
            hits.append(ContactHit(kind, m.start(), m.end(), severity))
            whole.append(m.span())
        if not whole and _PHONE_CONTEXT.search(text):
            hits.extend(_pieced_phone(numbers))
        if not whole and not any(hit.kind == "手机号" for hit in hits):
            hits.extend(self._homophone_phones(base))
        return hits

    def _homophone_phones(self, base: str) -> list[ContactHit]:
        """A mobile number spelled with characters that sound like digits: eleven of them in a
        row (separators allowed), read as a mobile number. Natural text almost never has eleven
        such characters in a row that also make 1[3-9]xxxxxxxxx."""
        if self._marked is None:
            return []
        if len(self._homophone_char.findall(base)) < 11:
            return []
        marked = self._marked.translate(base)
        hits = []
        for m in _MARK_RUN.finditer(marked):
            digits = _NOT_DIGIT.sub("", base[m.start():m.end()].translate(self.homophones))
            if len(digits) == 11 and digits[0] == "1" and digits[1] in "3456789":
                hits.append(ContactHit("手机号", m.start(), m.end(), 3))
        return hits

    @staticmethod
    def _addresses(lowered: str) -> list[ContactHit]:
        hits = []
        taken: list[tuple[int, int]] = []
        for m in _EMAIL.finditer(lowered):
            hits.append(ContactHit("邮箱", m.start(), m.end(), 2, on_original=True))
            taken.append(m.span())
        for m in _URL.finditer(lowered):
            if any(a <= m.start() < b for a, b in taken) or _PLATFORM_DOMAINS.search(m.group()):
                continue
            hits.append(ContactHit("网址", m.start(), m.end(), 3, on_original=True))
        return hits


def without_addresses(base: str) -> str:
    """`base` less its e-mail addresses and URLs (whoever's: the detector judges those; a
    signal that reads the wording, such as the invitation model, should not)."""
    if not _may_hold_address(base):
        return base
    return _URL.sub(" ", _EMAIL.sub(" ", base))


def _number_kind(digits: str, text: str, start: int, end: int) -> str | None:
    if start > 0 and text[start - 1] == "*" or end < len(text) and text[end] == "*":
        return None  # masked: 138****5678
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    if len(digits) == 11 and digits[0] == "1" and digits[1] in "3456789":
        return "手机号"
    if len(digits) == 10 and digits[:3] in ("400", "800"):
        return "客服热线"
    if 10 <= len(digits) <= 12 and digits[0] == "0" and digits[1] != "0":
        return "电话号码"
    if 16 <= len(digits) <= 19 and (luhn_valid(digits) or _CARD_LABEL.search(
            text, max(0, start - 10), start) or _CARD_LABEL_AFTER.match(text, end)
            and not _labelled_code(text, start)):
        return "银行卡号"
    return None


def _labelled_code(text: str, start: int) -> bool:
    """The number at `start` is labelled as a code, or glued to a latin prefix."""
    before = text[max(0, start - 12):start]
    if _CODE_LABEL.search(before):
        return True
    prefix = _LETTER_PREFIX.search(before)
    return prefix is not None and not any(word in prefix.group(1) for word in _CONTACT_WORDS)


def _mostly_digits(span: str) -> bool:
    """Look-alike letters (l, i, o) may stand in for a few digits, not make a number up."""
    return sum(c.isascii() and c.isalpha() for c in span) <= 4


def _pieced_phone(numbers: list[tuple[re.Match[str], str]]) -> list[ContactHit]:
    """A mobile number given in two or three pieces (前面是159 0531，尾号6688)."""
    pieces = [(m, digits) for m, digits in numbers if 3 <= len(digits) <= 8]
    if not 2 <= len(pieces) <= 3:
        return []
    for order in itertools.permutations(pieces):
        joined = "".join(digits for _, digits in order)
        if len(joined) == 11 and joined[0] == "1" and joined[1] in "3456789":
            start = min(m.start() for m, _ in pieces)
            end = max(m.end() for m, _ in pieces)
            return [ContactHit("手机号", start, end, 3)]
    return []


def _looks_like_id(candidate: str) -> bool:
    """An account id is long, or has digits or joiners in it (abc888, dongbei_jiaju); a
    short plain word after a channel name (微信app, qq音乐) is not one."""
    return len(candidate) >= 6 or (len(candidate) >= 5
                                    and any(c.isdigit() or c in "_.-" for c in candidate))


def luhn_valid(number: str) -> bool:
    total = 0
    for index, ch in enumerate(reversed(number)):
        digit = int(ch)
        if index % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0
