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

#: ``model_config`` keys that tune the loaded predictor (:meth:`Predictor.for_serving`), with their types.
SERVING_KEYS: dict[str, type] = {"device": str, "precision": str, "batch_size": int, "int8": bool, "num_threads": int}


def load_predictor(artifacts: dict[str, str], model_config: dict[str, Any] | None = None) -> Predictor:
    """The predictor of a logged model, from its local artifacts.

    Args:
        artifacts: ``checkpoint`` (a model directory of any family), ``routing`` (``routing.yaml``) and
            ``desensitize`` (``desensitize.yaml`` without the salt: ``HOTLINE_PII_SALT`` is read now).
        model_config: ``model_name`` and ``run_id`` recorded when the model was logged (they trace every
            prediction; the registered version is not known to the model itself); and, optionally, what the
            loading engine passes through (the Spark engine: ``spark_udf(..., model_config=...)``): ``device``,
            ``precision``, ``batch_size``, ``int8``, ``num_threads`` as in ``conf/predictor/``. An absent key
            keeps the default: the CPU in fp32, the model's batch size, no int8, torch's threads.

    Raises:
        ValueError: A serving key of the wrong type (named), or a device, precision and int8 that do not go
            together here.
    """
    config = model_config or {}
    run_id = config.get("run_id")
    info = ModelInfo(f"runs:/{run_id}/model" if run_id else "pyfunc", config.get("model_name"), None, run_id)
    return Predictor.from_artifacts(artifacts, info).for_serving(**serving_options(config))


def serving_options(config: dict[str, Any]) -> dict[str, Any]:
    """The :data:`SERVING_KEYS` present in ``config`` (``None`` counts as absent), type-checked.

    Raises:
        ValueError: A value of the wrong type, naming the key (``int8: "false"`` would otherwise read as true).
    """
    options = {k: config[k] for k in SERVING_KEYS if config.get(k) is not None}
    for key, value in options.items():
        wanted = SERVING_KEYS[key]
        if not isinstance(value, wanted) or (wanted is int and isinstance(value, bool)):
            raise ValueError(f"model_config[{key!r}] must be of type {wanted.__name__}, got {type(value).__name__} "
                             f"{value!r:.40}")
    return options
