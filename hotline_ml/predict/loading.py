"""Where a predictor's parts come from: the classifier, and the routing and masking settings logged with it.

A model registered by the classifier job is an MLflow pyfunc with three artifacts: ``checkpoint`` (a model
directory of any family), ``routing`` (``routing.yaml``, a :class:`RoutingConfig`) and ``desensitize``
(``desensitize.yaml``, a :class:`DesensitizeConfig` without its salt, which comes from ``HOTLINE_PII_SALT`` when
the model is loaded). A bare model directory has the checkpoint only.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from omegaconf import MISSING

from hotline_ml.classify.families import SERVING_CONFIGS, SERVING_DIR, TextClassifier, is_model_dir, load_model
from hotline_ml.config import DesensitizeConfig, RoutingConfig
from hotline_ml.config_files import read_config_file
from hotline_ml.data.desensitize import DEV_SALT
from hotline_ml.drift import PROFILE_ARTIFACT, PROFILE_FILE

log = logging.getLogger(__name__)

#: Environment variable holding the secret salt of caller hashes (never logged with a model).
SALT_ENV = "HOTLINE_PII_SALT"


@dataclass(frozen=True)
class ModelInfo:
    """Where the loaded model came from (copied onto every prediction)."""

    source: str
    name: str | None = None
    version: str | None = None
    run_id: str | None = None


@contextmanager
def fetched(source: str, tracking_uri: str | None = None) -> Iterator[tuple[dict[str, Path], ModelInfo]]:
    """The artifacts of ``source`` as local paths (valid inside the ``with`` block) and where it came from.

    Args:
        source: ``models:/<name>@<alias>``, ``models:/<name>/<version>``, ``runs:/<run id>/model``, a
            downloaded MLflow model directory, or a model directory of any family (``checkpoint`` only).
        tracking_uri: MLflow tracking URI for registry and run URIs; ``None`` keeps MLflow's current one
            (``MLFLOW_TRACKING_URI``, else ``sqlite:///mlflow.db`` in the working directory).

    Raises:
        ValueError: The source cannot be resolved (the message names it and says what was expected).
    """
    if is_model_dir(source):  # a local checkpoint never needs MLflow; its serving defaults travel inside it
        configs = {name: Path(source) / SERVING_DIR / f"{name}.yaml" for name in SERVING_CONFIGS}
        configs[PROFILE_ARTIFACT] = Path(source) / SERVING_DIR / PROFILE_FILE
        yield ({"checkpoint": Path(source), **{k: p for k, p in configs.items() if p.is_file()}},
               ModelInfo(source))
        return
    if not source.startswith(("models:/", "runs:/")) and not Path(source).is_dir():
        raise ValueError(f"{source!r} is neither a models:/ or runs:/ URI nor a model directory")
    import tempfile

    from hotline_ml import tracking

    with tempfile.TemporaryDirectory(prefix="hotline-model-") as tmp:
        resolved = tracking.resolve_model(source, tmp, tracking_uri)
        yield resolved.artifacts, ModelInfo(source, resolved.name, resolved.version, resolved.run_id)


def load_checkpoint(artifacts: Mapping[str, str | Path], source: str) -> TextClassifier:
    """The classifier in the ``checkpoint`` artifact (any family), read into memory.

    Raises:
        ValueError: There is no ``checkpoint`` artifact (names the ones found).
    """
    if "checkpoint" not in artifacts:
        raise ValueError(f"{source}: the model has no 'checkpoint' artifact (found {sorted(artifacts)}); "
                         "is it the appeal classifier?")
    return load_model(artifacts["checkpoint"])


def load_classifier(source: str, tracking_uri: str | None = None) -> tuple[TextClassifier, ModelInfo]:
    """Load the classifier alone from the registry, a run, or a directory (see :func:`fetched`)."""
    with fetched(source, tracking_uri) as (artifacts, info):
        return load_checkpoint(artifacts, source), info


def model_routing(artifacts: Mapping[str, str | Path], source: str,
                  override: RoutingConfig | None = None) -> RoutingConfig:
    """``override`` when given, else the routing config logged with the model.

    Raises:
        ValueError: Neither is there (a bare checkpoint, or a model registered before routing travelled with
            it): the message says to pass one.
    """
    if override is not None:
        return override
    if "routing" not in artifacts:
        raise ValueError(f"{source}: the model carries no routing config (a bare checkpoint directory, or "
                         "registered before routing travelled with the model); pass routing=RoutingConfig(...), "
                         "e.g. routing=default in conf/serve.yaml")
    return read_config_file(artifacts["routing"], RoutingConfig)


def model_masking(artifacts: Mapping[str, str | Path], override: DesensitizeConfig | None = None,
                  ) -> DesensitizeConfig:
    """``override`` when given, else the masking config logged with the model, else masking of every kind.

    The salt is the override's when it has one, else ``HOTLINE_PII_SALT`` read now (the development salt,
    with a warning, when that is unset), as in the data layer.
    """
    salt = os.environ.get(SALT_ENV, DEV_SALT)
    if override is not None:
        return override if override.salt != MISSING else replace(override, salt=salt)
    if "desensitize" in artifacts:
        return read_config_file(artifacts["desensitize"], DesensitizeConfig, salt=salt)
    log.warning("the model carries no masking config: masking every PII kind")
    return DesensitizeConfig(salt=salt)
