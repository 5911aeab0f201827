"""Throughput of Desensitizer.mask_many on a realistic mix of 12345 appeal texts.

Usage::

    python bench/bench_desensitize.py [--n 20000] [--repeat 3] [--seed 12345]

Builds ``n`` appeal texts (about 150 characters each) by combining template sentences, some carrying
personal information, with a fixed seed; times ``mask_many`` and, in the same process on the same texts, a
baseline that runs a single ``re.sub`` for mobile numbers. Prints texts/s, MB/s (UTF-8), the counts of items
masked and the throughput ratio ours / baseline. The best of ``repeat`` runs is reported for each. No
thresholds: the figures are for reading, not asserting.
"""

from __future__ import annotations

import argparse
import random
import re
import time
from collections.abc import Callable

from hotline_ml.data.desensitize import Desensitizer, luhn_check_digit, resident_id_check_digit

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗郑"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
PROVINCES = "京沪粤苏浙川鲁豫鄂湘"
PLATE_DIGITS = "0123456789"

# Sentences as citizens dictate them to the hotline agent; {fields} are filled with fresh fake values.
TEMPLATES = (
    "我叫{name}，住在{district}望京花园{b}号楼{u}单元{room}，",
    "联系电话{mobile}，",
    "本人{name}，身份证号{id}，",
    "我是{surname}先生，电话{mobile_spaced}，",
    "座机{landline}，白天有人接听。",
    "车牌{plate}的车辆长期占用消防通道，",
    "请把处理结果发到邮箱{email}，",
    "退款请打到银行卡{card}，",
    "小区楼下餐馆油烟扰民已有{n}个月，多次向物业反映无果，",
    "{year}年{month}月{day}日晚上十点后仍有施工噪音，严重影响休息，",
    "去年物业费上涨到每平方米{price}元，业主普遍不认可，",
    "我是本小区居民，希望相关部门尽快协调处理。",
    "工单号{order}，上次回复不满意，",
    "已经拨打12345和12315多次，问题至今未解决，",
    "路灯损坏，晚上出行很不安全，孩子上学放学都要经过这里，",
    "小区垃圾分类点每天{hour}:30以后就满了，气味很大，",
    "诉求人要求退还押金{amount}元，商家以各种理由拖延，",
    "我叫了物业好几次，维修人员一直没有上门，",
    "本人已多次反映，请尽快答复，谢谢。",
    "公交{bus}路站台遮雨棚破损，下雨天候车困难，",
)


def _id_number(rng: random.Random) -> str:
    birth = f"{rng.randint(1950, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    body = f"110105{birth}{rng.randint(0, 999):03d}"
    return body + resident_id_check_digit(body)


def _card_number(rng: random.Random) -> str:
    payload = "622202" + "".join(rng.choice("0123456789") for _ in range(12))
    card = payload + luhn_check_digit(payload)
    return " ".join(card[i : i + 4] for i in range(0, len(card), 4)) if rng.random() < 0.5 else card


def _fields(rng: random.Random) -> dict[str, str | int]:
    surname = rng.choice(SURNAMES)
    mobile = f"1{rng.choice('3456789')}{rng.randint(0, 999_999_999):09d}"
    return {
        "name": surname + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2))),
        "surname": surname,
        "mobile": mobile,
        "mobile_spaced": f"{mobile[:3]} {mobile[3:7]} {mobile[7:]}",
        "landline": f"010-{rng.randint(20_000_000, 89_999_999)}",
        "id": _id_number(rng),
        "card": _card_number(rng),
        "plate": rng.choice(PROVINCES) + rng.choice("ABCDE") + "".join(rng.choices(PLATE_DIGITS, k=5)),
        "email": f"user{rng.randint(1, 99999)}@{rng.choice(['qq.com', '163.com', 'example.com.cn'])}",
        "district": rng.choice(["朝阳区", "海淀区", "丰台区", "西城区"]),
        "b": rng.randint(1, 30), "u": rng.randint(1, 6), "room": rng.randint(101, 2804),
        "n": rng.randint(2, 11), "year": rng.randint(2021, 2024), "month": rng.randint(1, 12),
        "day": rng.randint(1, 28), "price": rng.choice(["2.8", "3.5", "4.2"]),
        "order": f"2023{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 9999):04d}",
        "hour": rng.randint(7, 21), "amount": rng.randint(200, 20000), "bus": rng.randint(1, 999),
    }


def build_texts(n: int, seed: int) -> list[str]:
    """``n`` appeal texts of about 150 characters, reproducible for a given seed."""
    rng = random.Random(seed)
    texts = []
    for _ in range(n):
        parts = [t.format(**_fields(rng)) for t in rng.sample(TEMPLATES, rng.randint(4, 8))]
        texts.append("".join(parts))
    return texts


def best_seconds(fn: Callable[[], object], repeat: int) -> float:
    """Shortest wall time of ``repeat`` calls (the least disturbed by other processes)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000, help="number of texts")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs; the best is reported")
    parser.add_argument("--seed", type=int, default=12345)
    args = parser.parse_args()

    texts = build_texts(args.n, args.seed)
    megabytes = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    masker = Desensitizer(salt="bench-salt")
    _, counts = masker.mask_many(texts)  # warm-up, and the counts to print

    mobile = re.compile(r"1[3-9]\d{9}")

    def baseline() -> list[str]:
        return [mobile.sub("[电话]", t) for t in texts]

    ours_s = best_seconds(lambda: masker.mask_many(texts), args.repeat)
    base_s = best_seconds(baseline, args.repeat)

    mean_chars = sum(map(len, texts)) / len(texts)
    print(f"texts: {len(texts)}, mean {mean_chars:.0f} chars, {megabytes:.2f} MB UTF-8")
    print(f"masked items: {dict(counts.most_common())}")
    print(f"Desensitizer.mask_many : {len(texts) / ours_s:>10,.0f} texts/s  {megabytes / ours_s:6.2f} MB/s")
    print(f"baseline (1 re.sub)    : {len(texts) / base_s:>10,.0f} texts/s  {megabytes / base_s:6.2f} MB/s")
    ratio = base_s / ours_s
    print(f"throughput ratio ours / baseline: {ratio:.3f} (ours takes {1 / ratio:.1f}x the baseline's time)")


if __name__ == "__main__":
    main()
