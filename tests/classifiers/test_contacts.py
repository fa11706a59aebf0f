from __future__ import annotations

import pytest

from classifiers.contacts import ContactDetector, luhn_valid


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
