"""The HTTP service: /predict, /predict_batch, /health, with the model loaded once at start-up.

    python serving/app.py                                  # 127.0.0.1:8000, models:/hotline-appeal-classifier@champion
    python serving/app.py port=9000 predictor.int8=true
    curl -s localhost:8000/predict -H 'content-type: application/json' -d '{"text": "小区门口路灯坏了"}'
"""

import hydra
import uvicorn
from omegaconf import DictConfig, OmegaConf

from hotline_ml.config import ServeConfig, register_configs
from hotline_ml.predict import Predictor
from hotline_ml.predict.http import Limits, create_app

register_configs()


@hydra.main(version_base="1.3", config_path="../conf", config_name="serve")
def main(dcfg: DictConfig) -> None:
    cfg: ServeConfig = OmegaConf.to_object(dcfg)
    app = create_app(lambda: Predictor.from_config(cfg.predictor, cfg.routing, cfg.desensitize),
                     Limits(cfg.max_text_chars, cfg.max_batch, cfg.max_body_bytes))
    uvicorn.run(app, host=cfg.host, port=cfg.port)


if __name__ == "__main__":
    main()
