"""Cross-validation that does not flatter: reposts stay in one fold, choices never see a fold's test rows, and
the CV's chosen family is written servable (``Predictor.load(directory)`` with no other argument)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hotline_ml.classify.compete import BASELINE, compete
from hotline_ml.classify.job import run_classifier_job
from hotline_ml.data.splits import grouped_folds, repost_groups
from tests.helpers import compose_config

TIPDM_CLASSES = ["城乡建设", "环境保护", "交通运输", "教育文体", "劳动和社会保障", "商贸旅游", "卫生计生"]


def test_repost_groups_link_edited_reposts_equal_titles_and_one_caller() -> None:
    orders = pd.DataFrame({
        "text": ["小区门口的垃圾站已经三个月没有清运，臭气熏天，请尽快处理。",
                 "小区门口的垃圾站已经三个月没有清运，臭气熏天，请有关部门尽快处理！谢谢",  # an edited repost
                 "学校周边的培训机构违规收费，家长负担很重，希望教育局查处。",
                 "公交站台的广告牌倒了，影响通行。",
                 "我的社保断缴了怎么补缴？",
                 "工资被拖欠了半年。"],
        "title": ["垃圾站无人清运", "", "培训机构违规收费", "站台广告牌倒塌", "社保补缴咨询", "社保补缴咨询"],
        "caller_id": ["u1", "u2", "u3", "u3", "u4", "u5"],
    })
    g = repost_groups(orders, jaccard=0.15, containment=0.4, same_caller=True)
    assert g[0] == g[1]                       # text similarity
    assert g[2] == g[3]                       # the same caller
    assert g[4] == g[5]                       # the same title
    assert len({g[0], g[2], g[4]}) == 3
    g = repost_groups(orders, jaccard=0.15, containment=0.4, same_caller=False)
    assert g[2] != g[3]


def test_grouped_folds_never_split_a_group() -> None:
    rng = np.random.default_rng(0)
    n = 600
    groups = rng.integers(0, 200, n)          # groups of about three
    y = pd.Series(rng.choice(TIPDM_CLASSES, n))
    tested = np.zeros(n, dtype=int)
    for fit, val, test in grouped_folds(y, groups, 5, seed=1):
        parts = [set(groups[fit]), set(groups[val]), set(groups[test])]
        assert not (parts[0] & parts[1]) and not (parts[0] & parts[2]) and not (parts[1] & parts[2])
        assert len(fit) + len(val) + len(test) == n and len(val) > 0
        tested[test] += 1
    assert (tested == 1).all()                # every order scored exactly once


def _labelled(corpus_orders: pd.DataFrame, n: int) -> pd.DataFrame:
    """``n`` synthetic orders relabelled onto the 7 TipDM classes, without ids or times, as a TipDM-style CSV."""
    firsts = sorted(corpus_orders["appeal_type"].str.split("/").str[0].unique())
    to_tipdm = {f: TIPDM_CLASSES[i % len(TIPDM_CLASSES)] for i, f in enumerate(firsts)}
    rows = corpus_orders.sample(n, random_state=0).reset_index(drop=True)
    return pd.DataFrame({"留言主题": rows["title"], "留言时间": "", "留言详情": rows["text"],
                         "一级标签": rows["appeal_type"].str.split("/").str[0].map(to_tipdm)})


def test_choices_inside_a_fold_never_see_its_test_labels(small_corpus, tmp_path: Path) -> None:
    """Scrambling the test rows' labels changes no choice: C, tree weight, temperature, family, predictions."""
    cfg = compose_config("train_classifier", ["+experiment=tipdm2020c_more", "classifier.families=[linear]",
                                              "data.label_tree=null", "classifier.linear.C_grid=[0.01,0.1,1.0]",
                                              "classifier.linear.label_tree_weights=[0.0,1.0]"])
    frame = _labelled(small_corpus.orders, 600).rename(columns={"留言主题": "title", "留言详情": "text",
                                                                  "一级标签": "appeal_type"})
    frame = frame.assign(order_id=[f"r{i}" for i in range(len(frame))], urgency=None)
    train, val, test = frame.iloc[:300], frame.iloc[300:420], frame.iloc[420:]
    scrambled = test.assign(appeal_type=np.random.default_rng(0).permutation(test["appeal_type"].to_numpy()))
    runs = [compete(cfg, train, val, t, tmp_path / str(i), with_figures=False) for i, t in enumerate((test, scrambled))]
    (a, b) = runs
    assert cfg.classifier.refit_linear and a.models["linear"].info["refit_rows"] == len(train) + len(val)
    assert a.winner == b.winner and a.validation_scores == b.validation_scores
    for name in ("linear", BASELINE):
        assert a.models[name].info["C"] == b.models[name].info["C"]
        assert a.models[name].info["tree_weight"] == b.models[name].info["tree_weight"]
        assert a.models[name].temperatures == b.models[name].temperatures
        texts = test["text"].tolist()
        np.testing.assert_array_equal(a.models[name].predict_proba(texts)["type_l1"],
                                      b.models[name].predict_proba(texts)["type_l1"])
    # ...while the test score does see them: the check above would catch a leak
    assert a.metrics["test_type_l1_macro_f1"] != b.metrics["test_type_l1_macro_f1"]


def test_grouped_cv_on_undated_data_reports_every_family_and_writes_a_servable_champion(
        small_corpus, tmp_path: Path) -> None:
    from hotline_ml.predict import Predictor

    data = _labelled(small_corpus.orders, 500)
    reposts = data.iloc[:40].assign(留言详情=data["留言详情"].iloc[:40] + "请尽快回复，谢谢！")  # 40 reposts
    csv = tmp_path / "labelled_messages.csv"
    pd.concat([data, reposts], ignore_index=True).to_csv(csv, index=False)
    cfg = compose_config("train_classifier", [
        "+experiment=tipdm2020c_more_full", f"data.path={csv}", "data.label_tree=null",
        "classifier.families=[linear]", "classifier.cv_folds=3", "classifier.linear.C_grid=[0.5]",
        "classifier.linear.label_tree_weights=[]", f"output_dir={tmp_path}/out"])
    record = run_classifier_job(cfg)
    report = record.texts["reports/report.md"]
    assert "grouped 3-fold CV" in report and "Paired by fold against the baseline" in report
    folds = record.tables["reports/cv_folds.csv"]
    assert len(folds) == 3 and {"test_type_l1_macro_f1/linear", f"test_type_l1_macro_f1/{BASELINE}"} <= set(folds)
    assigned = record.tables["reports/cv_assignments.csv"]
    assert assigned.groupby("group")["fold"].nunique().max() == 1      # no group in two test folds
    assert record.dicts["reports/cv_groups.json"]["groups_of_2_or_more"] >= 40
    assert "cv_paired_test_type_l1_macro_f1/linear_minus_baseline" in record.metrics
    champion = tmp_path / "out" / "champion"
    predictor = Predictor.load(str(champion))                          # no routing or masking passed
    text = "我家楼下燃气泄漏了，味道很大，电话13812345678"
    p = predictor.predict_one(text)
    assert p.routing.route == "transfer" and "119" in p.routing.transfer_to
    masked = predictor.desensitize(pd.DataFrame({"text": [text]}))["text"].iloc[0]
    assert "13812345678" not in masked


def test_time_split_refuses_undated_data_and_says_what_to_use(tmp_path: Path) -> None:
    from hotline_ml.data.splits import split_orders

    cfg = compose_config("train_classifier", ["split=time"]).split
    orders = pd.DataFrame({"order_id": ["a", "b", "c"], "created_at": pd.to_datetime([None, None, None]),
                           "text": ["x", "y", "z"], "appeal_type": ["城乡建设"] * 3})
    with pytest.raises(ValueError, match=r"split=time needs created_at.*split=stratified"):
        split_orders(orders, cfg)
