"""The registered MLflow model's loader: the whole predictor (mask -> model -> route -> trace), not the bare
classifier, so ``mlflow models serve``, ``spark_udf``, batch, HTTP and Python give the same answer.

``hotline_ml.tracking.PyfuncAdapter`` calls :func:`load_predictor` when MLflow loads the model; its ``predict``
is :meth:`Predictor.predict_batch`. The classifier job logs it by name
(``tracking.log_predictor_model("hotline_ml.predict.pyfunc:load_predictor", ...)``), so the job never imports
this floor.
"""

from __future__ import annotations

from typing import Any

from hotline_ml.predict.classifier import Predictor
from hotline_ml.predict.loading import ModelInfo


def load_predictor(artifacts: dict[str, str], model_config: dict[str, Any] | None = None) -> Predictor:
    """The predictor of a logged model, from its local artifacts.

    Args:
        artifacts: ``checkpoint`` (a model directory of any family), ``routing`` (``routing.yaml``) and
            ``desensitize`` (``desensitize.yaml`` without the salt: ``HOTLINE_PII_SALT`` is read now).
        model_config: ``model_name`` and ``run_id`` recorded when the model was logged (they trace every
            prediction; the registered version is not known to the model itself).
    """
    config = model_config or {}
    run_id = config.get("run_id")
    info = ModelInfo(f"runs:/{run_id}/model" if run_id else "pyfunc", config.get("model_name"), None, run_id)
    return Predictor.from_artifacts(artifacts, info)
