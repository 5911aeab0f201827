"""Data job: load work orders, validate (rejects keep their reason), mask PII, split, save, summarise.

    python training/prepare_data.py                       # the embedded synthetic corpus
    python training/prepare_data.py data=tipdm2020c split=stratified
"""

import logging

import hydra
from omegaconf import DictConfig, OmegaConf

from hotline_ml.config import PrepareDataConfig, register_configs
from hotline_ml.data.prepare import format_summary, prepare_data

register_configs()
log = logging.getLogger(__name__)


@hydra.main(version_base="1.3", config_path="../conf", config_name="prepare_data")
def main(dcfg: DictConfig) -> None:
    cfg: PrepareDataConfig = OmegaConf.to_object(dcfg)
    prepared = prepare_data(cfg)
    print(format_summary(prepared.summary()))


if __name__ == "__main__":
    main()
