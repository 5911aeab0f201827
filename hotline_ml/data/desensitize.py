"""Mask personal information in 12345 appeal text and pseudonymise caller numbers.

Every appeal text passes through :class:`Desensitizer` before it is used for training, logged or written
anywhere. Each item found is replaced by a typed placeholder (``[电话]``, ``[身份证]``, ...), so models still
see that "a phone number was here", and :meth:`Desensitizer.hash_caller` turns a caller's number into a keyed
hash, so repeat callers can be counted without keeping the number.

Detection is rule based (precompiled regexes plus checksums), applied in this order, each kind on the text
left by the previous ones, so a longer number is never partly masked as a shorter kind:

1. ``id_card``: 18-character resident ID (``\\d{17}[\\dXx]``) not touching other digits or letters, masked
   only when the GB 11643-1999 check character and the birth date (1900..2100) are valid, so 18-digit
   order numbers survive.
2. ``bank_card``: 16-19 digits, first digit 3-6, optionally in groups of 4 separated by spaces or dashes,
   not touching other digits, masked only when Luhn-valid.
3. ``email``: ASCII local part ``@`` ASCII domain with an alphabetic top-level domain.
4. ``phone``: mainland mobiles ``1[3-9]`` + 9 digits (optional ``+86``/``0086``/``86`` prefix, optionally
   written 3-4-4 with spaces or dashes); landlines with an area code (``010-62345678``, ``(0755)8123456``,
   ``021 61234567转123``); a bare 7-8 digit local number only right after a contact keyword
   (电话/座机/手机/联系方式/号码/致电/拨打, optionally followed by 是 or a colon).
   Hotline and short numbers (12345, 110, 12315, 96xxx, 400 numbers), dates, amounts, times and room
   numbers do not fit any of these shapes and survive.
5. ``plate``: province abbreviation + letter (no I/O) + optional ``·``/space + 5 or 6 letters/digits
   (new-energy plates), upper or lower case, with at least 3 digits in the tail.
6. ``name``: only in self-introductions: 我叫X, 我的名字是/叫X, 我是X, 本人X, 姓名：X, 联系人：X, where X is a
   common surname (about 250 single ones plus 24 compound ones) and 0-2 given-name characters. Given-name
   characters stop at punctuation, digits, honorifics (先生, 女士, 阿姨, ...) and function characters or
   words that start the next clause (住, 在, 是, 的, 家住, 今天, ...). Only the name is replaced; trigger and
   honorific stay: ``我是张先生`` -> ``我是[姓名]先生``, ``本人李女士`` -> ``本人[姓名]女士``.
   我是X needs X to be followed by punctuation, the end of the text or an honorific; 本人X needs that, or a
   three-character name followed by a function character; surnames that are also everyday words (于, 曾,
   车, 高, ...) need the same unless the name has three characters. No general named-entity recognition.

Full-width digits, letters and ``＠＋－．＿％`` (``１３８００１３８０００``, ``ａ＠ｑｑ．ｃｏｍ``)
are folded to ASCII for matching only, and full-width ``（）：`` are matched as they are; text outside
the masked spans is returned exactly as given. Placeholders contain no digits, ASCII letters or
surnames, so masking already-masked text changes nothing.

Known limitations (the rules favour masking too much over leaking):

- Names outside the self-introduction patterns (``王小明说``, ``对面的张三``) are not found, nor are rare
  surnames outside the list, nor ``我姓王``.
- A given name containing a stop character (``我叫王有才住在``, ``我叫王向东住在``) is masked only up to that
  character; ``我叫李向阳，`` (stop character, then punctuation) is handled.
- Surnames that are also everyday words (车, 高, 方, 于, 向, 曾, 任, ...) need stronger context, so
  ``我叫马明住在`` is not masked (``我叫马明，`` and ``我叫马小明住在`` are). ``我是车主，`` style role
  nouns and ``我是江苏人，`` are blocked by a small word list; other words that start with a surname and
  are followed by punctuation after 我是 may be masked as a name. ``我是王小明的妈妈`` is not masked
  (我是 needs punctuation, the end or an honorific after the name).
- A 16-19 digit number starting with 3-6 that happens to pass Luhn (about 1 in 10) is masked as a bank card,
  and an 18-digit number with a valid birth date and check character is masked as an ID.
- ID numbers written with spaces, 15-digit first-generation IDs, bank cards grouped other than 4-4-4-4(-n),
  foreign phone numbers and local numbers without an area code or contact keyword are not masked.
- Plates of embassies, the military and Hong Kong/Macau are not recognised.
"""

from __future__ import annotations

import collections
import datetime
import hashlib
import hmac
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from hotline_ml.config import DesensitizeConfig

log = logging.getLogger(__name__)
#: The salt of the shipped configs: fine for the synthetic corpus, never for real callers.
DEV_SALT = "hotline-ml-dev-salt"

PLACEHOLDERS: dict[str, str] = {
    "id_card": "[身份证]",
    "bank_card": "[银行卡]",
    "email": "[邮箱]",
    "phone": "[电话]",
    "plate": "[车牌]",
    "name": "[姓名]",
}
# Masking order: longer numbers first, so an ID or card is never partly masked as a phone.
ALL_KINDS: tuple[str, ...] = tuple(PLACEHOLDERS)

HASH_HEX_CHARS = 16  # 64 bits of HMAC: collisions are negligible at hotline volumes

_Span = tuple[int, int]

# ---------------------------------------------------------------------------------------------------------
# Checksums (public: the synthetic corpus generator uses them to build valid fake IDs and cards)
# ---------------------------------------------------------------------------------------------------------

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS = "10X98765432"  # indexed by (weighted sum mod 11), GB 11643-1999


def _is_ascii_digits(s: str) -> bool:
    # str.isdigit() also accepts full-width and other Unicode digits, which int() would then accept too.
    return s.isascii() and s.isdigit()


def resident_id_check_digit(first17: str) -> str:
    """Check character of an 18-character resident ID (GB 11643-1999, ISO 7064 MOD 11-2).

    Args:
        first17: The first 17 characters of the ID, ASCII digits only.

    Returns:
        The 18th character: ``'0'``-``'9'`` or ``'X'``.

    Raises:
        ValueError: ``first17`` is not exactly 17 ASCII digits.
    """
    if len(first17) != 17 or not _is_ascii_digits(first17):
        raise ValueError(f"resident ID body must be 17 ASCII digits, got {first17!r}")
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK_CHARS[total % 11]


def is_valid_resident_id(s: str) -> bool:
    """Whether ``s`` is a well-formed 18-character resident ID.

    Checks the length, the birth date ``YYYYMMDD`` at positions 7-14 (year 1900..2100, a real calendar
    date) and the check character (``x`` accepted for ``X``). The region code is not checked.

    Args:
        s: Candidate ID, e.g. ``"11010519850312xxxx"``.

    Returns:
        True when all checks pass.
    """
    if len(s) != 18 or not _is_ascii_digits(s[:17]):
        return False
    year, month, day = int(s[6:10]), int(s[10:12]), int(s[12:14])
    if not 1900 <= year <= 2100:
        return False
    try:
        datetime.date(year, month, day)
    except ValueError:
        return False
    return resident_id_check_digit(s[:17]) == s[17].upper()


def _luhn_sum(digits: str, double_last: bool) -> int:
    total = 0
    # Walk from the right; Luhn doubles every second digit counted from the check digit's position.
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if (i % 2 == 0) == double_last:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total


def luhn_check_digit(digits: str) -> str:
    """The digit to append to ``digits`` so that the whole number passes the Luhn check.

    Args:
        digits: The number without its check digit, ASCII digits only (e.g. 15-18 for a bank card).

    Returns:
        One character ``'0'``-``'9'``.

    Raises:
        ValueError: ``digits`` is empty or not all ASCII digits.
    """
    if not digits or not _is_ascii_digits(digits):
        raise ValueError(f"Luhn payload must be non-empty ASCII digits, got {digits!r}")
    # The check digit will sit to the right, so the payload's rightmost digit is the first one doubled.
    return str((10 - _luhn_sum(digits, double_last=True) % 10) % 10)


def luhn_valid(digits: str) -> bool:
    """Whether ``digits`` (check digit included) passes the Luhn check.

    Args:
        digits: The full number, ASCII digits only, at least 2 of them.

    Returns:
        True when valid; False for anything that is not at least 2 ASCII digits.
    """
    if len(digits) < 2 or not _is_ascii_digits(digits):
        return False
    return _luhn_sum(digits, double_last=False) % 10 == 0


# ---------------------------------------------------------------------------------------------------------
# Full-width folding: one character to one character, so spans found on the folded text fit the original.
# Only characters that can sit inside an item are folded (digits, letters, ＠＋－．＿％, odd spaces, dashes
# and dots); full-width punctuation around items (：（）) is matched as is. Most texts then need no folding
# at all, which the _FOLDABLE pre-check detects cheaply.
# ---------------------------------------------------------------------------------------------------------

_FOLD: dict[int, int] = {  # ０-９ Ａ-Ｚ ａ-ｚ -> ASCII (full-width forms sit 0xFEE0 above ASCII)
    cp: cp - 0xFEE0 for cp in (*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B))
}
_FOLD.update({ord(c): ord(c) - 0xFEE0 for c in "＠＋－．＿％"})
_FOLD[0x3000] = ord(" ")  # ideographic space
_FOLD.update({ord(c): ord("-") for c in "‐‑‒–—―"})
_FOLD.update({ord(c): ord("·") for c in "•・‧"})
_FOLDABLE = re.compile("[" + "".join(map(chr, _FOLD)) + "]")

# ---------------------------------------------------------------------------------------------------------
# Number-like kinds. Each pattern starts with a plain character or class and puts its "no digit before"
# lookbehind after that first character: the regex engine can then jump straight to candidate characters
# instead of trying the lookbehind at every position (about 2-3x faster on digit-rich appeal text).
# ---------------------------------------------------------------------------------------------------------

_ANY_DIGIT = re.compile(r"[0-9]")

_ID_RE = re.compile(r"[0-9](?<![0-9A-Za-z][0-9])[0-9]{16}[0-9Xx](?![0-9A-Za-z])")

# Either one run of 16-19 digits, or 4-4-4-4 groups plus an optional short tail (6222 0212 3456 7890 128).
_BANK_RE = re.compile(
    r"[3-6](?<![0-9][3-6])(?:[0-9]{15,18}|[0-9]{3}(?:[ -][0-9]{4}){3}(?P<tail>[ -][0-9]{1,3})?)(?![0-9])"
)
_CARD_SEPARATORS = re.compile(r"[ -]")

# The lookbehind starts a match only at the beginning of an ASCII run: linear time on long runs.
_EMAIL_RE = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}(?![A-Za-z0-9-])"
)

# Mobiles are found from their leading "1"; a +86/0086/86 prefix right before is added by _find_mobiles.
_MOBILE_RE = re.compile(r"1[3-9][0-9][ -]?[0-9]{4}[ -]?[0-9]{4}(?![0-9])")
_COUNTRY_PREFIX_RE = re.compile(r"(?:\+86|0086|86)[ -]?$")
_COUNTRY_PREFIX_MAX = len("0086-")
# Area codes never start with 00, local numbers never with 0 or 1: keeps zero-padded IDs and 12345 out.
_LANDLINE_RE = re.compile(
    r"(?:\(0[1-9][0-9]{1,2}[)）] ?|（0[1-9][0-9]{1,2}[)）] ?|0(?<![0-9]0)[1-9][0-9]{1,2}[ -]?)"
    r"[2-9][0-9]{6,7}(?:(?:转|-|ext\.?)[0-9]{1,5})?(?![0-9])"
)
# A bare local number is too much like other numbers to mask without a contact keyword right before it.
# "工单号码" is an order number, not a phone. Only the number is masked; the keyword stays as context.
_LOCAL_NUMBER_RE = re.compile(
    r"(?:电话|座机|手机|联系方式|号(?<!单号)码|致电|拨打)(?:是|[:：]|\s)*(?P<local>[2-9][0-9]{6,7})(?![0-9])"
)

_PLATE_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_PLATE_LETTERS = "A-HJ-NP-Za-hj-np-z"  # plates never use I or O
_PLATE_RE = re.compile(
    f"[{_PLATE_PROVINCES}][{_PLATE_LETTERS}][· ]?(?P<tail>[{_PLATE_LETTERS}0-9]{{5,6}})(?![A-Za-z0-9])"
)
_PLATE_MIN_TAIL_DIGITS = 3  # real tails carry at most 2-3 letters; keeps "苏ABCDEF"-like words out


def _find_id_cards(text: str) -> list[_Span]:
    return [m.span() for m in _ID_RE.finditer(text) if is_valid_resident_id(m.group())]


def _find_bank_cards(text: str) -> list[_Span]:
    spans = []
    for m in _BANK_RE.finditer(text):
        start, end = m.span()
        if not luhn_valid(_CARD_SEPARATORS.sub("", m.group())):
            # "6222 0212 3456 7890 12号": the short tail may be a separate number after a 16-digit card.
            if m.group("tail") is None:
                continue
            end = m.start("tail")
            if not luhn_valid(_CARD_SEPARATORS.sub("", text[start:end])):
                continue
        spans.append((start, end))
    return spans


def _find_emails(text: str) -> list[_Span]:
    if "@" not in text:  # cheap pre-check: most appeals have no e-mail address
        return []
    return [m.span() for m in _EMAIL_RE.finditer(text)]


def _find_mobiles(text: str) -> list[_Span]:
    spans = []
    for m in _MOBILE_RE.finditer(text):
        start, end = m.span()
        prefix = _COUNTRY_PREFIX_RE.search(text, max(0, start - _COUNTRY_PREFIX_MAX), start)
        if prefix is not None and (prefix.start() == 0 or not _ANY_DIGIT.match(text, prefix.start() - 1)):
            start = prefix.start()  # "+86-138...", "8613800138000"
        elif start > 0 and _ANY_DIGIT.match(text, start - 1):
            continue  # part of a longer number
        spans.append((start, end))
    return spans


def _find_phones(text: str) -> list[_Span]:
    spans = _find_mobiles(text)
    spans += [m.span() for m in _LANDLINE_RE.finditer(text)]
    spans += [m.span("local") for m in _LOCAL_NUMBER_RE.finditer(text)]
    if len(spans) < 2:
        return spans
    merged: list[_Span] = []
    for span in sorted(spans):
        if not merged or span[0] >= merged[-1][1]:  # the three shapes rarely overlap; keep the first
            merged.append(span)
    return merged


def _find_plates(text: str) -> list[_Span]:
    return [
        m.span()
        for m in _PLATE_RE.finditer(text)
        if sum(c.isdigit() for c in m.group("tail")) >= _PLATE_MIN_TAIL_DIGITS
    ]


# ---------------------------------------------------------------------------------------------------------
# Names in self-introductions
# ---------------------------------------------------------------------------------------------------------

_SINGLE_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫阎段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向"
    "汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单"
    "季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农卓古吉缪简车项连芦麦褚娄"
    "窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩佘池那"
)
_COMPOUND_SURNAMES = (
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "夏侯", "长孙",
    "宇文", "司徒", "端木", "南宫", "西门", "呼延", "轩辕", "钟离", "闻人", "赫连", "澹台", "申屠",
)
# Surnames that also start everyday words after 本人/我叫 (本人曾多次, 本人于昨日, 我叫车来, 本人任职于):
# they are accepted only when the name is clearly closed off (punctuation, end, honorific) or has 3 chars.
_AMBIGUOUS_SURNAMES = frozenset(
    "于向曾常许高方车任单房党连成万安文时全应关管路白齐华金石江龙毛易程包马周田那"
)
_HONORIFICS = (
    "先生", "女士", "小姐", "阿姨", "大爷", "大妈", "大姐", "大哥", "老师", "师傅", "奶奶", "爷爷",
    "同志",
)
# Characters that (almost) never belong to a given name and start the next clause.
_STOP_CHARS = (
    "住在是的想要向从和因给被对于了说来去打反也就都请已这那有没不我你他她与跟及把让还又再但而或并"
    "啊吧呢吗呀哦嗯着过曾需所等"
)
# Clause starters whose first character is common in given names (家豪, 刚, 一博), so matched as words.
_STOP_WORDS = (
    "家住", "家里", "家在", "家中", "今年", "今天", "今日", "现在", "现住", "现年", "刚才", "刚刚",
    "一直", "一名", "一位", "一个", "一家", "来电", "来自", "昨天", "昨日", "前天", "上午", "下午",
    "晚上", "早上", "目前", "电话", "手机", "身份", "联系", "投诉", "举报", "咨询", "反映", "年龄",
)
# Words starting with a surname that follow 我是 + punctuation but are not names.
_NOT_NAMES = (
    "房东", "房主", "车主", "党员", "高管", "武警", "程序", "单身", "单亲", "常客", "成年", "江苏",
    "江西", "安徽", "郑州", "温州", "苏州", "常州", "徐州", "金华", "唐山", "秦皇", "许昌", "成都",
    "武汉", "南京", "石家", "吉林", "宁夏", "甘肃", "云南", "贵州", "潘家", "黄牛", "路人", "管理",
    "商户", "商家", "包工", "那个", "那位", "那边", "那天", "那时", "那些",
)

_CJK = "\u3400-\u9fff"
_TRIGGER_STRENGTH = {"我叫": "strong", "我叫做": "strong", "我的名字是": "strong", "我的名字叫": "strong",
                     "我是": "iam", "本人": "self"}
_NAME_RE = re.compile(
    r"(?P<trigger>我叫(?:做)?|我的名字[是叫]|我是|本人|姓名(?:[:：]\s*|是|为)|联系人(?:[:：]\s*|是|为))"
    f"(?P<name>(?:{'|'.join(_COMPOUND_SURNAMES)}|[{_SINGLE_SURNAMES}])"
    f"(?P<given>(?:(?!{'|'.join(_HONORIFICS + _STOP_WORDS)}|[{_STOP_CHARS}])[{_CJK}]){{0,2}}))"
)
_CJK_CHAR = re.compile(f"[{_CJK}]")
_CLOSER = re.compile(f"[^{_CJK}0-9A-Za-z]")
_NAME_MAX_GIVEN = 2


def _closes_name(text: str, pos: int) -> bool:
    """Whether a name may end at ``pos``: end of text, punctuation, whitespace, a placeholder or an
    honorific. Digits and letters do not close a name (本人于2023年, 我是高3学生)."""
    return pos >= len(text) or _CLOSER.match(text, pos) is not None or text.startswith(_HONORIFICS, pos)


def _starts_clause(text: str, pos: int) -> bool:
    return pos < len(text) and (text[pos] in _STOP_CHARS or text.startswith(_STOP_WORDS, pos))


def _name_span(m: re.Match[str], text: str) -> _Span | None:
    """Decide whether a candidate self-introduction really names someone; returns the name's span."""
    trigger, name, given = m.group("trigger"), m.group("name"), m.group("given")
    start, end = m.span("name")
    if name.startswith(_NOT_NAMES) or (len(name) > 1 and name.endswith("人")):
        return None
    strength = _TRIGGER_STRENGTH.get(trigger, "strong")  # 姓名：/联系人： are strong
    surname = name[: len(name) - len(given)]
    ambiguous = surname in _AMBIGUOUS_SURNAMES
    if _closes_name(text, end):
        return start, end
    if len(given) < _NAME_MAX_GIVEN and not ambiguous and _starts_clause(text, end):
        # 李向阳， / 王和平。 / 陈刚刚，: the "stop" belongs to the name when the name then closes.
        for extra in range(_NAME_MAX_GIVEN - len(given), 0, -1):
            candidate_end = end + extra
            if (
                candidate_end <= len(text)
                and all(_CJK_CHAR.match(text, p) for p in range(end, candidate_end))
                and _closes_name(text, candidate_end)
            ):
                return start, candidate_end
    if strength == "iam" or (ambiguous and len(given) < _NAME_MAX_GIVEN):
        return None
    if strength == "self":
        # 本人 is mostly followed by a verb phrase (本人要求, 本人车辆被, 本人许多次): demand a full
        # 3-char name with an unambiguous surname, then the start of the next clause.
        full = len(given) == _NAME_MAX_GIVEN and not ambiguous
        return (start, end) if full and _starts_clause(text, end) else None
    return start, end


def _find_names(text: str) -> list[_Span]:
    spans = []
    for m in _NAME_RE.finditer(text):
        span = _name_span(m, text)
        if span is not None:
            spans.append(span)
    return spans


_FINDERS: dict[str, Callable[[str], list[_Span]]] = {
    "id_card": _find_id_cards,
    "bank_card": _find_bank_cards,
    "email": _find_emails,
    "phone": _find_phones,
    "plate": _find_plates,
    "name": _find_names,
}
_NEEDS_DIGITS = frozenset({"id_card", "bank_card", "phone"})


def _splice(text: str, spans: list[_Span], placeholder: str) -> str:
    """Replace non-overlapping, ascending ``spans`` of ``text`` by ``placeholder``."""
    parts = []
    last = 0
    for start, end in spans:
        parts.append(text[last:start])
        parts.append(placeholder)
        last = end
    parts.append(text[last:])
    return "".join(parts)


# ---------------------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MaskResult:
    """One masked text.

    Attributes:
        text: The text with every item found replaced by its placeholder.
        counts: Kind -> number of items masked in this text; kinds with none are absent.
    """

    text: str
    counts: dict[str, int]


_SPACING = re.compile(r"[\s\-()（）]")
_PREFIXED = re.compile(r"(?:\+86|0086|86)(1[3-9][0-9]{9})|(?:\+86|0086)(0?)([1-9][0-9]{8,10})")
_NON_DIGITS = re.compile(r"[^0-9]")


def _normalize_phone(phone: str) -> str:
    """Digits of ``phone`` with spacing and the country prefix removed (+86 10 62345678 -> 01062345678)."""
    compact = _SPACING.sub("", phone.translate(_FOLD))
    m = _PREFIXED.fullmatch(compact)
    if m is not None:
        compact = m.group(1) or "0" + m.group(3)  # a landline after +86 drops its trunk 0; put it back
    return _NON_DIGITS.sub("", compact)


class Desensitizer:
    """Masks personal information in appeal texts and hashes caller numbers.

    Args:
        salt: Secret key for :meth:`hash_caller`; keep it out of the repository and stable over time, or
            the same caller hashes differently across runs.
        kinds: Which kinds to mask, any subset of :data:`ALL_KINDS`; they are always applied in the order
            of :data:`ALL_KINDS` whatever order they are given in.

    Raises:
        ValueError: ``salt`` is empty or a kind is unknown.
        TypeError: ``kinds`` is a single string instead of a sequence of names.
    """

    def __init__(self, salt: str, kinds: Sequence[str] = ALL_KINDS) -> None:
        if not salt:
            raise ValueError("salt must be a non-empty string (a secret from your configuration)")
        if isinstance(kinds, str):
            raise TypeError(f"kinds must be a sequence of kind names such as [{kinds!r}], not a string")
        unknown = [k for k in kinds if k not in PLACEHOLDERS]
        if unknown:
            raise ValueError(f"unknown kind(s) {unknown}; valid kinds are {list(ALL_KINDS)}")
        self._key = salt.encode("utf-8")
        self.kinds: tuple[str, ...] = tuple(k for k in ALL_KINDS if k in kinds)

    def __repr__(self) -> str:  # never show the salt
        return f"Desensitizer(kinds={list(self.kinds)})"

    def mask(self, text: str) -> MaskResult:
        """Replace personal information in one text by placeholders.

        Args:
            text: Appeal text, any length; full-width characters are fine.

        Returns:
            The masked text and per-kind counts. Masking the result again returns it unchanged.

        Raises:
            TypeError: ``text`` is not a string (a missing value should be ``None``, see :meth:`mask_many`).
        """
        if not isinstance(text, str):
            raise TypeError(f"mask() needs a str, got {type(text).__name__}; pass missing texts as None")
        # Matching runs on a folded copy; both copies get the same replacements so spans stay aligned.
        has_full_width = _FOLDABLE.search(text) is not None
        folded = text.translate(_FOLD) if has_full_width else text
        has_digits = _ANY_DIGIT.search(folded) is not None
        counts: dict[str, int] = {}
        for kind in self.kinds:
            if kind in _NEEDS_DIGITS and not has_digits:
                continue
            spans = _FINDERS[kind](folded)
            if not spans:
                continue
            placeholder = PLACEHOLDERS[kind]
            text = _splice(text, spans, placeholder)
            folded = _splice(folded, spans, placeholder) if has_full_width else text
            counts[kind] = len(spans)
        return MaskResult(text=text, counts=counts)

    def mask_many(self, texts: Iterable[str | None]) -> tuple[list[str | None], collections.Counter[str]]:
        """Mask a batch of texts.

        Args:
            texts: Appeal texts; ``None`` (a missing value) passes through as ``None``.

        Returns:
            The masked texts in input order, and the counts per kind summed over the batch.
        """
        masked: list[str | None] = []
        totals: collections.Counter[str] = collections.Counter()
        for text in texts:
            if text is None:
                masked.append(None)
                continue
            result = self.mask(text)
            masked.append(result.text)
            totals.update(result.counts)
        return masked, totals

    def hash_caller(self, phone: str | None) -> str | None:
        """Keyed pseudonym of a caller number, for counting repeat callers without keeping the number.

        The number is normalised first (full-width folded; spaces, dashes and parentheses removed; a
        +86/0086/86 prefix of a mobile dropped; a landline after +86/0086 gets its leading 0 back; other
        characters such as 转 dropped), so ``"138 0013 8000"`` and ``"+86-13800138000"`` give the same
        hash, as do ``"010-62345678"`` and ``"+86 10 62345678"``.

        Args:
            phone: Caller number as recorded, or ``None``.

        Returns:
            The first 16 hex characters of HMAC-SHA256(salt, digits), or ``None`` when ``phone`` is ``None``,
            empty or contains no digits.
        """
        if not phone:
            return None
        digits = _normalize_phone(phone)
        if not digits:
            return None
        return hmac.new(self._key, digits.encode("ascii"), hashlib.sha256).hexdigest()[:HASH_HEX_CHARS]


def make_desensitizer(cfg: DesensitizeConfig) -> Desensitizer | None:
    """Build the desensitizer from config (``None`` when masking is disabled, with a warning)."""
    if not cfg.enabled:
        log.warning("desensitization is DISABLED: texts are used as loaded")
        return None
    if cfg.salt == DEV_SALT:
        log.warning("using the development salt for caller hashes; set HOTLINE_PII_SALT in production")
    return Desensitizer(cfg.salt, kinds=cfg.kinds)
