"""Domain-adaptive masked-LM pre-training, offline: builds hotline-bert-mini or continues a Chinese BERT.

    python training/pretrain_mlm.py                                   # hotline-bert-mini on the synthetic corpus
    python training/pretrain_mlm.py init_from=/models/bert-base-chinese output_dir=models/bert-base-hotline
    python training/pretrain_mlm.py +experiment=tipdm2020c_mlm         # on the 7,000 unlabelled TipDM messages
"""

import json
import logging
from pathlib import Path

import hydra
from hydra_tags import run_tags
from omegaconf import DictConfig, OmegaConf

from hotline_ml import tracking
from hotline_ml.classify.pretrain import collect_texts, pretrain_mlm
from hotline_ml.config import PretrainMlmConfig, register_configs

register_configs()
log = logging.getLogger(__name__)


@hydra.main(version_base="1.3", config_path="../conf", config_name="pretrain_mlm")
def main(dcfg: DictConfig) -> None:
    cfg: PretrainMlmConfig = OmegaConf.to_object(dcfg)
    run_name = f"mlm-{Path(cfg.output_dir).name}-{cfg.data.name}"
    with tracking.start_run(cfg.tracking, run_name=run_name, tags=run_tags(), config=cfg):
        tracking.log_text(OmegaConf.to_yaml(dcfg, resolve=True), "config.yaml")
        metrics = pretrain_mlm(cfg, collect_texts(cfg))
        tracking.log_metrics(metrics)
        tracking.set_tags({"checkpoint": str(Path(cfg.output_dir).resolve())})
    print(f"checkpoint written to {cfg.output_dir}: " + json.dumps(metrics, indent=1))


if __name__ == "__main__":
    main()
