from __future__ import annotations

import pytest

from classifiers.contacts import ADDRESS_STARTS, ContactDetector, luhn_valid, without_addresses


@pytest.fixture(scope="module")
def detector() -> ContactDetector:
    return ContactDetector()


@pytest.mark.parametrize(("text", "kind"), [
    ("电话13812345678", "手机号"),
    ("138 1234 5678", "手机号"),
    ("138-1234-5678", "手机号"),
    ("+86 13812345678", "手机号"),
    ("一三八一二三四五六七八", "手机号"),
    ("幺三八幺二三四五六七八", "手机号"),
    ("座机010-62345678", "电话号码"),
    ("400-820-8820", "客服热线"),
    ("银行卡号6222020200112233446", "银行卡号"),
    ("发我邮箱 abc.de@qq.com", "邮箱"),
])
def test_contacts_detect_numbers(detector: ContactDetector, text: str, kind: str) -> None:
    assert [hit.kind for hit in detector.detect(text)] == [kind]


@pytest.mark.parametrize("text", [
    "138****5678",                  # masked
    "sf1403928475612",              # tracking number
    "2893476523984756",             # tracking number
    "订单号3412345678901234567",     # order number, no card context
    "6222020200112233446",          # card-like digits but nothing about cards or transfers
    "12.5元 13.8元 99.9元",
    "尺码38 39 40 41都有",
    "一次性付清，一条一条来",
    "1381234567",                   # ten digits
    "213812345678",                 # twelve digits
    "商品编码1398 5520 461的是赠品",   # a code label before the number
    "物料编码13502160084是旧编号",
    "发票代码 031002300111",
    "imei:861234567890125",
    "单号jdx019283746512",           # latin letters glued to it: an alphanumeric code
    "苹果官方客服400-666-8800",       # a brand's public service line
    "建议您拨打客服终端热线400-830-8300咨询",
])
def test_contacts_ignore_masked_order_tracking_and_prices(detector: ContactDetector,
                                                          text: str) -> None:
    assert detector.detect(text) == []


def test_contacts_read_account_id_after_keyword(detector: ContactDetector) -> None:
    text = "微信：abc_12345 好的"
    hits = detector.detect(text, keyword_ends=[2])
    assert [(h.kind, text[h.start:h.end]) for h in hits] == [("账号", "abc_12345")]


def test_luhn() -> None:
    assert luhn_valid("4111111111111111")
    assert not luhn_valid("4111111111111112")


@pytest.mark.parametrize(("text", "kind"), [
    ("电话 177/3456/2290", "手机号"),               # slashes
    ("手机 177.3456.2290", "手机号"),               # dots
    ("177 • 3456 • 2290", "手机号"),               # bullets
    ("177🍀3456🍀2290", "手机号"),                 # emoji
    ("一七七，三四五六，二二九零", "手机号"),         # numerals split by commas
    ("i77 3456 229o", "手机号"),                   # i and o among digits (base is lower-case)
    ("座机 0571.8765.4321", "电话号码"),
])
def test_contacts_read_numbers_split_by_any_separator(detector: ContactDetector, text: str,
                                                      kind: str) -> None:
    assert [hit.kind for hit in detector.detect(text)] == [kind]


@pytest.mark.parametrize("text", [
    "前面是177 3456，后面是2290，您存一下",           # pieces, a phone is mentioned
    "尾号2290，前面177 3456",
])
def test_contacts_join_a_phone_given_in_pieces(detector: ContactDetector, text: str) -> None:
    assert [hit.kind for hit in detector.detect(text)] == ["手机号"]


@pytest.mark.parametrize("text", [
    "原价1799，现在1599，差价200退您",               # pieces, but nothing says phone
    "hello 2024 world",                             # o in a word is not a zero
    "快递单号 7749 1023 8856 201",                  # fifteen digits
    "尺寸 177×345×229",
    "电话 177****2290",                             # masked
])
def test_contacts_leave_prices_words_and_long_numbers(detector: ContactDetector,
                                                      text: str) -> None:
    assert detector.detect(text) == []


@pytest.mark.parametrize(("text", "kind"), [
    ("资料发到 lily_home@126.com", "邮箱"),
    ("发 lily_home at 126 dot com", "邮箱"),
    ("lily_home(at)126.com", "邮箱"),
    ("lily_home【at】126【dot】com", "邮箱"),
    ("lily_home 艾特 126 点 com", "邮箱"),
    ("lily_home#126.com 就行", "邮箱"),
    ("点这个 https://s.example.cn/Xy7 领券", "网址"),
    ("短链 s.cn/Ab12Cd", "网址"),
    ("网站 www点example点cn", "网址"),
    ("打开 lilyhome点com", "网址"),
    ("wxp://f2f0abcdef 扫一下", "网址"),
])
def test_contacts_find_email_and_urls_also_spelled_out(detector: ContactDetector, text: str,
                                                       kind: str) -> None:
    assert [hit.kind for hit in detector.detect(text)] == [kind]


@pytest.mark.parametrize("text", [
    "商品链接 https://item.taobao.com/item.htm?id=1",   # the platform's own
    "复制 m.tb.cn/h.abc 打开淘宝",
    "尺寸3.5cm，重量1.2kg",
    "版本号v2.0.1",
])
def test_contacts_leave_platform_links_and_decimals(detector: ContactDetector,
                                                    text: str) -> None:
    assert detector.detect(text) == []


@pytest.mark.parametrize(("text", "end", "found"), [
    ("v：lily_2024 加我", 1, "lily_2024"),
    ("薇 lilyhome88", 1, "lilyhome88"),
    ("q号 3921 4470 5", 1, "3921 4470 5"),
    ("v型领口", 1, None),                             # a shape, no id
    ("微信app", 2, None),                             # a short word, no id
])
def test_contacts_read_ids_after_channel_letters(detector: ContactDetector, text: str,
                                                 end: int, found: str | None) -> None:
    hits = [text[h.start:h.end] for h in detector.detect(text, keyword_ends=[end])]
    assert hits == ([found] if found else [])


@pytest.mark.parametrize(("text", "found"), [
    ("转到这张卡 6222 0200 1122 3341", True),         # Luhn-valid, card context
    ("转到这张卡 6222 0200 1122 3342", False),        # fails the checksum
    ("订单 6222020011223341", False),                # valid, but nothing says card
    ("打到农行 6222 0200 1122 3342 就行", True),     # a bank named right before: a card anyway
    ("卡号:6222020011223342", True),
    ("农行的单子 6222020011223342", False),           # the bank further off: the checksum rules
    ("余款汇到 6222 0200 1122 3342，农行，户名王", True),  # the bank and payee right after
    ("运单号 6222020011223342，中国银行网点代收", False),  # a code label before wins
    ("积分卡号 6222 0200 1122 3341 可查余额", False),    # the shop's card, whatever its checksum
    ("储值卡 6222020011223341 还剩200", False),
    ("转到我的卡号 6222020011223341", True),          # a pronoun names no kind of card
])
def test_contacts_tell_cards_by_luhn(detector: ContactDetector, text: str, found: bool) -> None:
    assert ([h.kind for h in detector.detect(text)] == ["银行卡号"]) is found


def test_contacts_keep_numbers_after_contact_words_glued_to_them(
        detector: ContactDetector) -> None:
    assert [hit.kind for hit in detector.detect("tel13812345678")] == ["手机号"]
    # the separator step joins words typed apart: "call me 138…" arrives as callme138…
    assert [hit.kind for hit in detector.detect("pleasecallme13812345678")] == ["手机号"]
    assert [hit.kind for hit in detector.detect("textus8613812345678")] == ["手机号"]
    assert detector.detect("jdx13812345678") == []


def test_contacts_read_a_mobile_number_spelled_in_digit_homophones() -> None:
    from classifiers.normalize.pinyin import PinyinView

    detector = ContactDetector(PinyinView().syllables)
    assert [h.kind for h in detector.detect("妖叁捌，舞舞陆妻，巴酒铃壹")] == ["手机号"]
    assert detector.detect("亲，三件一起买打八折，两件九折，一件不打折哦，衣服已经发出") == []
    assert ContactDetector().detect("妖叁捌，舞舞陆妻，巴酒铃壹") == []  # needs the pinyin table


def test_without_addresses_leaves_the_wording() -> None:
    assert without_addresses("发票在这 https://a.example.com/x?y=1 下载") == "发票在这   下载"
    assert without_addresses("邮箱 ab.c@qq.com 哦") == "邮箱   哦"
    assert without_addresses("价格12.5元") == "价格12.5元"


@pytest.mark.parametrize("text", [
    "邮箱 ab.c@qq.com 哦", "发我邮箱abc＠qq点com", "网址 www.example.com", "看这里 //example.cn/a",
    "abc艾特qq点com", "abc at qq dot com", "abc#qq.com", "圈我 abc", "example点com",
    "shop.example.cn", "ABC DOT COM",
])
def test_address_starts_hold_a_character_of_every_address(text: str) -> None:
    """A caller skips `without_addresses` for a text with none of ADDRESS_STARTS (the
    invitation model's read): every address the check looks further at holds one."""
    assert any(c in ADDRESS_STARTS for c in text)
    stripped = "".join(c for c in text if c not in ADDRESS_STARTS)
    assert without_addresses(stripped) == stripped
