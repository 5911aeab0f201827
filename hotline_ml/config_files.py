"""Typed configs as YAML files that travel with a model: written by the classifier job, read back by a predictor.

Keys keep the dataclass and config order (the order of emergency rules decides the order of the lines in
``transfer_to``), so a file is deterministic without being sorted; secret fields never leave the process (the
salt of caller hashes comes from the environment when the model is loaded).
"""

from __future__ import annotations

from dataclasses import is_dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

T = TypeVar("T")

#: Fields that are never written (the salt comes from ``HOTLINE_PII_SALT``).
SECRET_FIELDS = ("salt",)


def plain(config: Any) -> dict[str, Any]:
    """A config dataclass (or mapping) as plain data: enums by name, so the same schema reads it back."""
    if is_dataclass(config):
        return OmegaConf.to_container(OmegaConf.structured(config), enum_to_str=True)
    return dict(config)


def write_config_files(directory: str | Path, **configs: Any) -> dict[str, str]:
    """Write dataclass configs as ``<name>.yaml`` under ``directory`` (created if needed), secrets left out.

    Args:
        directory: Where to write.
        **configs: File name -> dataclass instance, e.g. ``routing=cfg.routing, desensitize=cfg.desensitize``.

    Returns:
        Name -> path of the YAML file (pass it on as model artifacts).
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    out = {}
    for key, value in configs.items():
        data = {k: v for k, v in plain(value).items() if k not in SECRET_FIELDS}
        path = directory / f"{key}.yaml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
        out[key] = str(path)
    return out


def read_config_file(path: str | Path, schema: type[T], **fill: object) -> T:
    """A YAML file as the typed ``schema``, with ``fill`` merged over it (e.g. the salt).

    Raises:
        ValueError: Unknown keys, wrong types or bad YAML (the message names the file).
    """
    try:
        merged = OmegaConf.merge(OmegaConf.structured(schema), OmegaConf.load(path), fill)
        return OmegaConf.to_object(merged)
    except (OmegaConfBaseException, yaml.YAMLError) as e:
        raise ValueError(f"{path}: not a valid {schema.__name__} ({e}); pass one to Predictor.load to override "
                         "the logged config") from None
