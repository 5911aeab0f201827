"""Helpers the tests share (fixtures are in conftest.py): paths, the small synthetic corpus, composed configs."""

from __future__ import annotations

from pathlib import Path

from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from hotline_ml.config import register_configs

ROOT = Path(__file__).resolve().parents[1]
CONF = ROOT / "conf"
EXTERNAL = ROOT.parent / "shared" / "data" / "external"

register_configs()

# a small corpus spanning a heating season and the 2026 Spring Festival; generated once per test session
SMALL_SYNTHETIC = [
    "data.synthetic.n_orders=4000",
    "data.synthetic.start=2025-10-01",
    "data.synthetic.end=2026-03-31",
    "data.synthetic.surges.n_events=3",
]


def compose_config(config_name: str, overrides: list[str] | None = None):
    """Compose a real entry config from conf/ and convert it to its typed object."""
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = compose(config_name=config_name, overrides=overrides or [])
    return OmegaConf.to_object(cfg)


def classifier_overrides(tmp: Path, tiny_bert_dir: Path, *extra: str) -> list[str]:
    """Overrides that shrink the real train_classifier config to a 2-step run on the small corpus."""
    return [*SMALL_SYNTHETIC, f"data.path={tmp}/orders.csv", f"output_dir={tmp}/out", "trainer=smoke",
            f"model.pretrained={tiny_bert_dir}", "model.max_length=64", "classifier.max_train_samples=120",
            "classifier.max_eval_samples=80", "classifier.linear.max_features=5000",
            "classifier.linear.C_grid=[1.0]", *extra]
