"""Score a day's work orders: read in chunks -> validate -> desensitize -> predict + route -> Parquet/CSV.

    python serving/batch_score.py                                        # last day of the synthetic corpus
    python serving/batch_score.py input.path=/exports/orders.csv input.name=daily day=2026-11-02
    python serving/batch_score.py input.path=data/prepared/synthetic/test.parquet day=null   # routing evaluation

Resumable: kill it at any point and rerun the same command; finished chunks are skipped.
"""

import hydra
from omegaconf import DictConfig, OmegaConf

from hotline_ml.config import BatchScoreConfig, register_configs
from hotline_ml.predict import Predictor
from hotline_ml.predict.batch import score_file

register_configs()


@hydra.main(version_base="1.3", config_path="../conf", config_name="batch_score")
def main(dcfg: DictConfig) -> None:
    cfg: BatchScoreConfig = OmegaConf.to_object(dcfg)
    predictor = Predictor.from_config(cfg.predictor, cfg.routing, cfg.desensitize)
    result = score_file(cfg, predictor)
    print(result.summary())
    for ex in result.examples:
        print(f"\n[{ex['route']}] {ex['order_id']} {ex['appeal_type']} urgency {ex['urgency']}\n  {ex['text']}"
              + (f"\n  reasons: {ex['reasons']}" if ex["reasons"] else ""))


if __name__ == "__main__":
    main()
