"""Fine-tune a Chinese BERT for appeal type and urgency, evaluate it against a TF-IDF baseline, register it.

    python training/train_classifier.py                                  # hotline-bert-mini on the synthetic corpus
    python training/train_classifier.py model=rbt3 model.pretrained=/models/rbt3
    python training/train_classifier.py -m trainer.learning_rate=5e-5,1e-4   # a sweep: one MLflow run per job
    python training/train_classifier.py +experiment=tipdm2020c           # real TipDM appeals, 5-fold CV
"""

import hydra
from hydra_tags import run_tags
from omegaconf import DictConfig, OmegaConf

from hotline_ml import tracking
from hotline_ml.classify.job import run_classifier_job
from hotline_ml.config import TrainClassifierConfig, register_configs

register_configs()


@hydra.main(version_base="1.3", config_path="../conf", config_name="train_classifier")
def main(dcfg: DictConfig) -> None:
    cfg: TrainClassifierConfig = OmegaConf.to_object(dcfg)
    run_name = f"{cfg.model.name}-{cfg.data.name}"
    with tracking.start_run(cfg.tracking, run_name=run_name, tags=run_tags(), config=cfg):
        tracking.log_text(OmegaConf.to_yaml(dcfg, resolve=True), "config.yaml")
        result = run_classifier_job(cfg)
    print(result.summary())


if __name__ == "__main__":
    main()
