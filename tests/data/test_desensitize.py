"""Tests for hotline_ml.data.desensitize: what is masked, what must survive, checksums, caller hashing."""

from __future__ import annotations

import collections
import random

import pytest

from hotline_ml.data.desensitize import (
    ALL_KINDS,
    PLACEHOLDERS,
    Desensitizer,
    MaskResult,
    is_valid_resident_id,
    luhn_check_digit,
    luhn_valid,
    resident_id_check_digit,
)

SALT = "test-salt"


def make_id(body17: str) -> str:
    """A resident ID with a correct check character."""
    return body17 + resident_id_check_digit(body17)


def wrong_check(valid: str) -> str:
    """The same number with a different (wrong) last character."""
    return valid[:-1] + ("1" if valid[-1] != "1" else "2")


def make_card(payload: str) -> str:
    return payload + luhn_check_digit(payload)


def grouped(digits: str, sep: str = " ") -> str:
    return sep.join(digits[i : i + 4] for i in range(0, len(digits), 4))


VALID_ID = make_id("11010519850312123")  # Beijing Chaoyang, born 1985-03-12
VALID_ID_X = "11010519491231002X"  # the GB 11643-1999 worked example, check character X
CARD_19 = make_card("622202123456789012")  # 19 digits, UnionPay style
CARD_16 = make_card("436742123456789")  # 16 digits


@pytest.fixture(scope="module")
def masker() -> Desensitizer:
    return Desensitizer(SALT)


# ---------------------------------------------------------------------------------------------------------
# Checksums
# ---------------------------------------------------------------------------------------------------------


def test_resident_id_check_digit_matches_standard_example() -> None:
    assert resident_id_check_digit("11010519491231002") == "X"
    assert is_valid_resident_id(VALID_ID_X)
    assert is_valid_resident_id(VALID_ID_X.lower())


@pytest.mark.parametrize(
    "candidate",
    [
        wrong_check(VALID_ID),
        make_id("11010518990312123"),  # year 1899
        make_id("11010519850230123"),  # 30 February
        make_id("11010519851312123"),  # month 13
        VALID_ID[:17],  # too short
        "11010519850312123A",
        "１１０１０５１９８５０３１２１２３４",  # full-width digits are not an ID by themselves
    ],
)
def test_is_valid_resident_id_rejects(candidate: str) -> None:
    assert not is_valid_resident_id(candidate)


@pytest.mark.parametrize(
    "bad", ["", "1101051985031212", "1101051985031212a", "１１０１０５１９８５０３１２１２３"]
)
def test_resident_id_check_digit_rejects_bad_input(bad: str) -> None:
    with pytest.raises(ValueError, match="17 ASCII digits"):
        resident_id_check_digit(bad)


def test_luhn_known_values() -> None:
    assert luhn_check_digit("7992739871") == "3"  # the textbook example 79927398713
    assert luhn_valid("79927398713")
    assert not luhn_valid("79927398710")
    assert luhn_valid("4111111111111111")
    assert luhn_valid(CARD_19) and luhn_valid(CARD_16)
    assert not luhn_valid("") and not luhn_valid("7") and not luhn_valid("7992-7398-713")
    with pytest.raises(ValueError, match="ASCII digits"):
        luhn_check_digit("12a4")


# ---------------------------------------------------------------------------------------------------------
# What gets masked
# ---------------------------------------------------------------------------------------------------------

MASKED_CASES = [
    # (input, expected text, expected counts)
    (
        "我叫王小明，电话13812345678，住在朝阳区望京花园3号楼2单元501",
        "我叫[姓名]，电话[电话]，住在朝阳区望京花园3号楼2单元501",
        {"name": 1, "phone": 1},
    ),
    (f"身份证号{VALID_ID}，请核实", "身份证号[身份证]，请核实", {"id_card": 1}),
    (f"身份证：{VALID_ID_X.lower()}。", "身份证：[身份证]。", {"id_card": 1}),
    (f"银行卡号{grouped(CARD_19)}，被扣款", "银行卡号[银行卡]，被扣款", {"bank_card": 1}),
    (f"卡号{CARD_16}和{grouped(CARD_16, '-')}", "卡号[银行卡]和[银行卡]", {"bank_card": 2}),
    (f"卡号{grouped(CARD_16)} 12号扣款", "卡号[银行卡] 12号扣款", {"bank_card": 1}),
    ("邮箱zhang.san+tag@mail.example.com.cn。", "邮箱[邮箱]。", {"email": 1}),
    ("QQ邮箱123456789@qq.com，谢谢", "QQ邮箱[邮箱]，谢谢", {"email": 1}),
    ("回复到ＡＢＣ＠１６３．ｃｏｍ即可", "回复到[邮箱]即可", {"email": 1}),
    ("手机138 0013 8000或+86-13800138000", "手机[电话]或[电话]", {"phone": 2}),
    ("联系0086 139-1234-5678", "联系[电话]", {"phone": 1}),
    ("8613800138000", "[电话]", {"phone": 1}),
    ("分机5086 13800138000", "分机5086 [电话]", {"phone": 1}),
    ("手机１３８００１３８０００，谢谢！", "手机[电话]，谢谢！", {"phone": 1}),
    ("（备注）手机１３８ ００１３ ８０００。", "（备注）手机[电话]。", {"phone": 1}),
    ("物业电话010-62345678", "物业电话[电话]", {"phone": 1}),
    ("座机(0755)8123456", "座机[电话]", {"phone": 1}),
    ("座机（０７５５）８１２３４５６", "座机[电话]", {"phone": 1}),
    ("请回电021 61234567转123", "请回电[电话]", {"phone": 1}),
    ("办公室0755-81234567-123", "办公室[电话]", {"phone": 1}),
    ("座机88765432", "座机[电话]", {"phone": 1}),
    ("联系方式：6234567，白天都在", "联系方式：[电话]，白天都在", {"phone": 1}),
    ("电话号码是88765432", "电话号码是[电话]", {"phone": 1}),
    ("车牌京A12345被贴条", "车牌[车牌]被贴条", {"plate": 1}),
    ("新能源车京AD12345", "新能源车[车牌]", {"plate": 1}),
    ("沪B·7Z321和粤B 12345", "[车牌]和[车牌]", {"plate": 2}),
    ("车牌号京a12345", "车牌号[车牌]", {"plate": 1}),
    ("我的名字是李向阳，", "我的名字是[姓名]，", {"name": 1}),
    ("我叫王和平。", "我叫[姓名]。", {"name": 1}),
    ("我叫李明想咨询", "我叫[姓名]想咨询", {"name": 1}),
    ("我叫王家豪住在3楼", "我叫[姓名]住在3楼", {"name": 1}),
    ("我叫欧阳娜娜", "我叫[姓名]", {"name": 1}),
    ("我的名字叫端木雨娜。", "我的名字叫[姓名]。", {"name": 1}),
    ("本人那女士。", "本人[姓名]女士。", {"name": 1}),
    ("我叫马小明住在5楼", "我叫[姓名]住在5楼", {"name": 1}),
    ("我是张先生", "我是[姓名]先生", {"name": 1}),
    ("我是王小明，", "我是[姓名]，", {"name": 1}),
    ("我是王阿姨，楼上漏水", "我是[姓名]阿姨，楼上漏水", {"name": 1}),
    ("我是李老师", "我是[姓名]老师", {"name": 1}),
    ("本人李女士", "本人[姓名]女士", {"name": 1}),
    ("本人张三，", "本人[姓名]，", {"name": 1}),
    ("本人王小明住在", "本人[姓名]住在", {"name": 1}),
    ("姓名：张三 联系人：司马光", "姓名：[姓名] 联系人：[姓名]", {"name": 2}),
    ("紧急联系人:王先生", "紧急联系人:[姓名]先生", {"name": 1}),
    (
        f"本人刘洋，身份证{VALID_ID}，手机13912345678，车牌苏E12345，邮箱liu@163.com，卡{CARD_16}",
        "本人[姓名]，身份证[身份证]，手机[电话]，车牌[车牌]，邮箱[邮箱]，卡[银行卡]",
        {"id_card": 1, "bank_card": 1, "email": 1, "phone": 1, "plate": 1, "name": 1},
    ),
]


@pytest.mark.parametrize(("text", "expected", "counts"), MASKED_CASES)
def test_mask_replaces_pii(masker: Desensitizer, text: str, expected: str, counts: dict[str, int]) -> None:
    result = masker.mask(text)
    assert result == MaskResult(text=expected, counts=counts)


@pytest.mark.parametrize(("text", "expected", "counts"), MASKED_CASES)
def test_mask_is_idempotent(masker: Desensitizer, text: str, expected: str, counts: dict[str, int]) -> None:
    again = masker.mask(masker.mask(text).text)
    assert again.text == expected
    assert again.counts == {}


SURVIVES = [
    "工单号202311150001",
    "订单号202311151234567890已退款",  # 18 digits but not an ID
    f"错误的证件号{wrong_check(VALID_ID)}",  # wrong check character
    f"坏卡号{wrong_check(CARD_19)}",  # Luhn-invalid
    "2023-11-15",
    "2023年11月15日上午",
    "20231115",
    "工单号码20231115",
    "金额5000元",
    "补偿1.38万元",
    "价格13800元",
    "拨打12345",
    "报警110，火警119，急救120",
    "投诉到12315",
    "拨打96110反诈热线",
    "客服4008123456",
    "10:30到达",
    "3号楼2单元501",
    "2024年开始",
    "面积138.5平方米",
    "京A",
    "京A停车场",
    "我叫了物业好几次",
    "我是业主",
    "我是本小区居民",
    "本人要求",
    "我是一名退休教师",
    "本人已多次反映",
    "本人曾多次反映",
    "本人于2023年入住",
    "本人车辆被刮",
    "本人任职于某公司",
    "我是高三学生，",
    "我是车主，",
    "我是江苏人，",
    "我叫车来接",
    "我叫车过来接",
    "我叫那个师傅过来看",
    "本人许多次反映",
    "本人全家住在这里",
    "本人常年在外地",
    "213800138000",  # 12 digits: no mobile inside a longer number
    "（一）小区噪音：晚上10点后施工。",
]


@pytest.mark.parametrize("text", SURVIVES)
def test_mask_leaves_non_pii_unchanged(masker: Desensitizer, text: str) -> None:
    assert masker.mask(text) == MaskResult(text=text, counts={})


def test_mask_is_idempotent_on_random_fragments(masker: Desensitizer) -> None:
    # Seeded fuzz over the characters the rules look at: masking twice must equal masking once.
    rng = random.Random(20231115)
    pieces = [*"0123456789 -+()（）：:，。@.xXA京沪王李张明先生住在的了１３８＠ａ"]
    pieces += ["13800138000", "86", "0086", "010-", "[电话]", "[姓名]", "我叫", "本人", "电话", VALID_ID]
    for _ in range(2000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 20)))
        once = masker.mask(text).text
        assert masker.mask(once).text == once, text


def test_placeholders_are_not_rematched(masker: Desensitizer) -> None:
    triggers = ("我叫", "我是", "本人", "电话", "座机", "姓名：")
    text = " ".join(f"{trigger}{ph}" for ph in PLACEHOLDERS.values() for trigger in triggers)
    assert masker.mask(text) == MaskResult(text=text, counts={})


# ---------------------------------------------------------------------------------------------------------
# Configuration and batches
# ---------------------------------------------------------------------------------------------------------


def test_all_kinds_order() -> None:
    assert ALL_KINDS == ("id_card", "bank_card", "email", "phone", "plate", "name")
    assert set(PLACEHOLDERS) == set(ALL_KINDS)


def test_kinds_subset_masks_only_those() -> None:
    text = "我叫王小明，邮箱wang@qq.com，电话13812345678"
    result = Desensitizer(SALT, kinds=["email"]).mask(text)
    assert result == MaskResult(text="我叫王小明，邮箱[邮箱]，电话13812345678", counts={"email": 1})


def test_kinds_are_applied_in_canonical_order() -> None:
    # Given phone first, an ID must still not be partly masked as a phone.
    masker = Desensitizer(SALT, kinds=["phone", "id_card"])
    assert masker.kinds == ("id_card", "phone")
    assert masker.mask(f"证件{VALID_ID}").text == "证件[身份证]"


def test_unknown_kind_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"'phones'.*valid kinds are \['id_card'"):
        Desensitizer(SALT, kinds=["email", "phones"])


def test_kinds_as_plain_string_is_rejected() -> None:
    with pytest.raises(TypeError, match="not a string"):
        Desensitizer(SALT, kinds="email")


def test_empty_salt_is_rejected() -> None:
    with pytest.raises(ValueError, match="salt"):
        Desensitizer("")


def test_repr_hides_salt() -> None:
    assert SALT not in repr(Desensitizer(SALT))


def test_mask_many_passes_none_and_sums_counts(masker: Desensitizer) -> None:
    texts = ["电话13812345678，我叫王小明", None, "无个人信息", "座机010-62345678，邮箱a@b.cn"]
    masked, totals = masker.mask_many(texts)
    assert masked == ["电话[电话]，我叫[姓名]", None, "无个人信息", "座机[电话]，邮箱[邮箱]"]
    assert totals == collections.Counter({"phone": 2, "name": 1, "email": 1})
    assert masker.mask_many([]) == ([], collections.Counter())
    with pytest.raises(TypeError, match="float"):
        masker.mask_many(["ok", float("nan")])


# ---------------------------------------------------------------------------------------------------------
# Caller hashing
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    ["13800138000", "138 0013 8000", "138-0013-8000", "+86-13800138000", "+86 138 0013 8000",
     "008613800138000", "8613800138000", "(+86)13800138000", "１３８００１３８０００"],
)
def test_hash_caller_normalizes_formats(masker: Desensitizer, written: str) -> None:
    assert masker.hash_caller(written) == masker.hash_caller("13800138000")


def test_hash_caller_landline_formats(masker: Desensitizer) -> None:
    expected = masker.hash_caller("01062345678")
    assert masker.hash_caller("010-62345678") == expected
    assert masker.hash_caller("(010) 6234 5678") == expected
    assert masker.hash_caller("+86 10 62345678") == expected


def test_hash_caller_properties(masker: Desensitizer) -> None:
    digest = masker.hash_caller("13800138000")
    assert digest is not None
    assert len(digest) == 16 and all(c in "0123456789abcdef" for c in digest)
    assert "13800138000" not in digest and "8000" not in digest
    assert masker.hash_caller("13800138001") != digest
    assert Desensitizer("another-salt").hash_caller("13800138000") != digest
    assert masker.hash_caller(None) is None
    assert masker.hash_caller("") is None
    assert masker.hash_caller("未知") is None
