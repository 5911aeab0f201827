"""Hot issues: one problem at one place from several callers is found; a steady load, one caller, or one
problem spread over many places is not; the job writes its files and scores itself against the synthetic
events; and the frozen evaluation set (written apart from the rules) is measured."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hotline_ml.insight.evaluate import read_jsonl, score_groups
from hotline_ml.insight.hot_issues import COLUMNS, find_hot_issues
from hotline_ml.insight.jobs import run_hot_issue_job
from tests.helpers import ROOT, SMALL_SYNTHETIC, compose_config

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "hot_issues"
SMOKE = "A3区青青家园小区公共通道被人架了烟道，油烟直接灌进楼道，家里老人孩子都受不了"
OTHERS = ["咨询孩子入学需要准备哪些材料", "公交车到站不停，司机态度很差", "小区垃圾清运不及时，天热发臭",
          "拖欠工资三个月了，老板不接电话", "楼上漏水到我家，物业不管", "路边摊占道经营影响通行"]


@pytest.fixture(scope="module")
def cfg():
    return compose_config("find_hot_issues")


def background(n: int = 600, seed: int = 0) -> pd.DataFrame:
    """Unrelated appeals over a year at many places, one caller each."""
    rng = np.random.default_rng(seed)
    days = pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.uniform(0, 365, n), unit="D")
    estates = [f"{a}{b}小区" for a in "东南西北中" for b in ("阳光", "和平", "幸福", "长安", "金桥", "翠湖")]
    texts = [f"我住在{rng.choice(estates)}，{rng.choice(OTHERS)}。" for _ in range(n)]
    return pd.DataFrame({"order_id": [f"b{i}" for i in range(n)], "created_at": days, "text": texts,
                         "caller_id": [f"bc{i}" for i in range(n)]})


def with_appeals(base: pd.DataFrame, texts: list[str], start: str, every_hours: float, callers: list[str]):
    times = pd.Timestamp(start) + pd.to_timedelta(np.arange(len(texts)) * every_hours, unit="h")
    extra = pd.DataFrame({"order_id": [f"x{i}" for i in range(len(texts))], "created_at": times, "text": texts,
                          "caller_id": callers})
    return pd.concat([base, extra], ignore_index=True)


def rephrased(n: int) -> list[str]:
    openers = ["您好，", "我要投诉，", "反映个问题，", "你们管不管，", "麻烦记录一下，", "再说一遍，"]
    return [f"{openers[i % len(openers)]}{SMOKE}。" for i in range(n)]


def test_one_problem_at_one_place_from_several_callers_is_a_hot_issue(cfg) -> None:
    orders = with_appeals(background(), rephrased(6), "2025-06-03 09:00", 10, [f"c{i}" for i in range(6)])
    found = find_hot_issues(orders, cfg.hot_issues, cfg.places, progress=False)
    assert list(found.groups.columns) == COLUMNS
    top = found.groups.iloc[0]
    assert set(top["order_ids"]) == {f"x{i}" for i in range(6)}
    assert "青青家园" in top["place"] and top["n_callers"] == 6


def test_one_caller_again_and_again_is_not_a_hot_issue(cfg) -> None:
    orders = with_appeals(background(), rephrased(6), "2025-06-03 09:00", 10, ["c0"] * 6)
    found = find_hot_issues(orders, cfg.hot_issues, cfg.places, progress=False)
    assert not any(i.startswith("x") for ids in found.groups["order_ids"] for i in ids)


def test_a_steady_load_is_not_a_burst(cfg) -> None:
    """The same complaint at the same place every four days all year is the place's normal load."""
    orders = with_appeals(background(), rephrased(90), "2025-01-02 09:00", 96, [f"c{i}" for i in range(90)])
    found = find_hot_issues(orders, cfg.hot_issues, cfg.places, progress=False)
    assert found.groups.empty and found.n_steady >= 1


def test_too_few_orders_give_an_empty_table_not_an_error(cfg) -> None:
    found = find_hot_issues(background(2), cfg.hot_issues, cfg.places, progress=False)
    assert found.groups.empty and list(found.groups.columns) == COLUMNS and found.n_orders == 2


def test_the_same_problem_at_different_places_is_not_one_issue(cfg) -> None:
    texts = [SMOKE.replace("青青家园小区", f"{name}小区") for name in ("碧水", "翠园", "金地", "华庭", "锦绣", "龙湖")]
    orders = with_appeals(background(), texts, "2025-06-03 09:00", 10, [f"c{i}" for i in range(6)])
    found = find_hot_issues(orders, cfg.hot_issues, cfg.places, progress=False)
    assert not any(i.startswith("x") for ids in found.groups["order_ids"] for i in ids)


def test_the_job_writes_its_files_and_scores_against_the_events(tmp_path: Path) -> None:
    cfg = compose_config("find_hot_issues", [*SMALL_SYNTHETIC, f"data.path={tmp_path}/orders.csv",
                                             f"output_dir={tmp_path}/out"])
    record = run_hot_issue_job(cfg, progress=False)
    out = tmp_path / "out"
    table = pd.read_csv(out / "hot_issues.csv", encoding="utf-8-sig", dtype={"order_ids": str})
    assert list(table.columns) == COLUMNS
    members = pd.read_csv(out / "hot_issue_members.csv", encoding="utf-8-sig", dtype={"order_id": str})
    assert sorted(members["order_id"]) == sorted(i for ids in table["order_ids"] for i in ids.split())
    assert "# Hot issues: synthetic" in (out / "hot_issues.md").read_text(encoding="utf-8")
    assert (out / "hot_issues_timeline.png").stat().st_size > 0
    m = record.metrics
    assert {"hot_issue_precision", "hot_issue_recall", "hot_issues", "orders"} <= set(m)
    # the small corpus has 3 place-bound events; measured at the commit of this test: precision 1.0, recall 1.0
    assert m["hot_issue_recall"] >= 2 / 3 and m["hot_issue_precision"] >= 0.5


def test_the_entry_script_logs_a_run(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "training/find_hot_issues.py", *SMALL_SYNTHETIC, f"data.path={tmp_path}/orders.csv",
         f"output_dir={tmp_path}/out", f"paths.mlflow=sqlite:///{tmp_path}/mlflow.db",
         f"paths.prepared={tmp_path}/prepared", f"hydra.run.dir={tmp_path}/hydra"],
        cwd=ROOT, capture_output=True, text=True, timeout=300, env={"MLFLOW_DISABLE_TELEMETRY": "true",
                                                                    "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr[-3000:]
    assert "against the synthetic events: precision" in done.stdout
    import mlflow

    mlflow.set_tracking_uri(f"sqlite:///{tmp_path}/mlflow.db")
    runs = mlflow.search_runs(experiment_names=["hotline-hot-issues"])
    assert len(runs) == 1 and runs["metrics.hot_issue_recall"].notna().all()
    run = mlflow.MlflowClient().get_run(runs["run_id"].iloc[0])
    (read,) = run.inputs.dataset_inputs  # every split of the prepared data, read as one
    assert read.dataset.name == "synthetic" and read.dataset.digest == run.data.tags["data_digest"][:32]
    assert (tmp_path / "prepared" / "synthetic" / "manifest.json").is_file()


def test_on_the_frozen_evaluation_set(cfg) -> None:
    """tests/fixtures/hot_issues/groups.jsonl was written apart from the rules. Measured at the commit of this
    test: every hot issue found is a gold group (precision 1.0), but only 4 of the 25 gold groups are found:
    appeals by different writers share too few character n-grams for min_similarity 0.2 (see the issue's
    closing note). The floors catch a grouper that merges unrelated appeals or finds nothing."""
    s = score_groups(read_jsonl(FIXTURES / "groups.jsonl"), cfg.hot_issues, cfg.places)
    assert s["group_precision"] >= 0.75
    assert s["gold_found"] >= 3


@pytest.mark.external
def test_tipdm_hot_issues_name_the_known_problems(external_dir: Path, tmp_path: Path) -> None:
    """TipDM attachment 3 (4,326 real messages): the two best-known hot issues of the 2020 task lead the list,
    the mixing plant at 丽发新城 and the parking spaces sold with the flats of 伊景园滨河苑."""
    cfg = compose_config("find_hot_issues", ["data=tipdm2020c_likes", f"output_dir={tmp_path}/out",
                                             f"data.path={external_dir}/tipdm2020c/attachment3_full_likes.csv"])
    record = run_hot_issue_job(cfg, progress=False)
    top = record.result.groups.head(3)
    text = " ".join(top["place"] + top["description"])
    assert "丽发新城" in text and "伊景园滨河苑" in text
    assert (top["n_callers"] >= 20).sum() == 2
