"""The fitted forecaster bundle: one model per series, the hierarchy, save / load, and the pyfunc entry point.

MLflow serves it through :class:`hotline_ml.tracking.PyfuncAdapter`, which calls :func:`load_for_pyfunc` with
the logged artifacts; the pyfunc takes rows of ``series`` + ``horizon`` and returns ``series, date, mean, lo_<l>,
hi_<l>``.

A saved bundle is a folder without pickles: ``bundle.json`` (hierarchy, choices, and per series the
forecaster's spec, notes and fitted scalars) and ``arrays.npz`` (histories and fitted arrays, read with
``allow_pickle=False``). Loading rebuilds each forecaster from its spec, and only classes of
``hotline_ml.forecast`` may be named there, so a bundle file cannot make the loader run other code.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from hotline_ml.forecast.models import Combination, Forecaster, interval_columns
from hotline_ml.forecast.reconcile import bottom_up

BUNDLE_FORMAT = 2  # 1 was a pickle
BUNDLE_FILE, ARRAYS_FILE = "bundle.json", "arrays.npz"
_ARRAY = "__array__"  # marks a fitted field stored in arrays.npz
TRUSTED_PREFIX = "hotline_ml.forecast."


@dataclass
class ForecastBundle:
    """Fitted models for every series.

    Attributes:
        models: Series key -> model fitted on the full history.
        children: Parent key -> bottom keys, for parents forecast bottom-up (empty without reconciliation).
        levels: Series key -> level name.
        level: Interval levels (percent).
        chosen: Series key -> name of the model that makes its forecast.
    """

    models: dict[str, Forecaster]
    children: dict[str, list[str]]
    levels: dict[str, str]
    level: tuple[int, ...]
    chosen: dict[str, str] = field(default_factory=dict)

    @property
    def keys(self) -> list[str]:
        """Every series this bundle forecasts."""
        return list(self.levels)

    def forecast(self, h: int, keys: Sequence[str] | None = None) -> pd.DataFrame:
        """Forecast ``h`` days after each series' history.

        Args:
            h: Days ahead (>= 1).
            keys: Series to forecast (all when ``None``).

        Returns:
            Long frame ``series, date, mean, lo_<l>, hi_<l>`` (counts/day, >= 0), ``h`` rows per series.

        Raises:
            KeyError: An unknown series key (the message lists a few known ones).
        """
        keys = self.keys if keys is None else list(keys)
        unknown = [k for k in keys if k not in self.levels]
        if unknown:
            raise KeyError(f"unknown series {unknown[:5]}; known e.g. {self.keys[:5]} ({len(self.keys)} in all)")
        needed_bottom = {b for k in keys if k in self.children for b in self.children[k]}
        frames = {k: self.models[k].predict(h, self.level).clip(lower=0.0) for k in set(keys) | needed_bottom
                  if k not in self.children}
        frames.update(bottom_up(frames, {k: self.children[k] for k in keys if k in self.children}, self.level))
        out = []
        for key in keys:
            frame = frames[key].rename_axis("date").reset_index()
            frame.insert(0, "series", key)
            out.append(frame)
        return pd.concat(out, ignore_index=True)[["series", "date", *interval_columns(self.level)]]

    def predict_frame(self, model_input: pd.DataFrame) -> pd.DataFrame:
        """Pyfunc entry: rows of ``series`` (key) and ``horizon`` (days) -> concatenated forecasts.

        Raises:
            ValueError: A column is missing or a horizon is not a positive integer.
        """
        missing = {"series", "horizon"} - set(model_input.columns)
        if missing:
            raise ValueError(f"forecaster input lacks columns {sorted(missing)}; expected series, horizon")
        frames = []
        for row in model_input.itertuples(index=False):
            if int(row.horizon) < 1:
                raise ValueError(f"horizon must be >= 1 day, got {row.horizon} for series {row.series!r}")
            frames.append(self.forecast(int(row.horizon), [str(row.series)]))
        if not frames:
            return pd.DataFrame(columns=["series", "date", *interval_columns(self.level)])
        return pd.concat(frames, ignore_index=True)

    def save(self, path: str | Path) -> Path:
        """Write the bundle to the folder ``path`` (``bundle.json`` + ``arrays.npz``; a few MB)."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, np.ndarray] = {}
        models = {key: _model_state(model, f"s{i}.", arrays) for i, (key, model) in enumerate(self.models.items())}
        meta = {"format": BUNDLE_FORMAT, "level": list(self.level), "levels": self.levels,
                "children": self.children, "chosen": self.chosen, "models": models}
        np.savez_compressed(path / ARRAYS_FILE, **arrays)
        (path / BUNDLE_FILE).write_text(json.dumps(meta, ensure_ascii=False, default=_plain), encoding="utf-8")
        return path


def _plain(value):
    """JSON for numpy scalars."""
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot save {type(value).__name__} in a forecast bundle")


def _model_state(model: Forecaster, prefix: str, arrays: dict[str, np.ndarray]) -> dict:
    state: dict = {"spec": model.spec, "notes": list(model.notes), "fields": {}, "prefix": prefix}
    if model.y_ is not None:
        arrays[prefix + "y"] = model.y_.to_numpy(dtype=float)
        state["start"] = model.y_.index[0].date().isoformat()
    for name in model.state_fields:
        value = getattr(model, name, None)
        if isinstance(value, np.ndarray):
            arrays[prefix + name] = value
            value = {_ARRAY: prefix + name}
        state["fields"][name] = value
    if isinstance(model, Combination):
        state["members"] = [_model_state(m, f"{prefix}m{j}.", arrays) for j, m in enumerate(model.members)]
    return state


def _restore(model: Forecaster, state: dict, arrays) -> Forecaster:
    model.notes = list(state["notes"])
    if "start" in state:
        values = arrays[state["prefix"] + "y"]
        model.y_ = pd.Series(values, index=pd.date_range(state["start"], periods=len(values), freq="D", name="date"))
    for name, value in state["fields"].items():
        setattr(model, name, arrays[value[_ARRAY]] if isinstance(value, dict) and _ARRAY in value else value)
    for member, member_state in zip(getattr(model, "members", []), state.get("members", []), strict=True):
        _restore(member, member_state, arrays)
    return model


def _build(spec, where: str):
    """An unfitted forecaster from its spec (:attr:`Forecaster.spec`: settings, with nested specs for
    members), without Hydra (serving does not import it). Every ``_target_`` must name a :class:`Forecaster`
    of ``hotline_ml.forecast``; the name is checked before anything is imported."""
    if isinstance(spec, list):
        return [_build(v, where) for v in spec]
    if not isinstance(spec, dict) or "_target_" not in spec:
        return spec
    target = str(spec["_target_"])
    module, _, name = target.rpartition(".")
    cls = getattr(importlib.import_module(module), name, None) if target.startswith(TRUSTED_PREFIX) else None
    if not (isinstance(cls, type) and issubclass(cls, Forecaster)):
        raise ValueError(f"{where} names forecaster class {target!r}; only {TRUSTED_PREFIX}* Forecaster classes "
                         "are loaded")
    return cls(**{k: _build(v, where) for k, v in spec.items() if k != "_target_"})


def load_bundle(path: str | Path) -> ForecastBundle:
    """Load a bundle folder written by :meth:`ForecastBundle.save` (no pickle; offline).

    Raises:
        ValueError: The folder is not a forecast bundle of this format, or names a class outside
            ``hotline_ml.forecast``.
    """
    path = Path(path)
    meta_file = path / BUNDLE_FILE
    if not meta_file.is_file():
        raise ValueError(f"{path}: not a hotline-ml forecast bundle (no {BUNDLE_FILE}; format {BUNDLE_FORMAT} "
                         "is a folder, refit to replace a format-1 pickle)")
    meta = json.loads(meta_file.read_text(encoding="utf-8"))
    if meta.get("format") != BUNDLE_FORMAT:
        raise ValueError(f"{meta_file}: bundle format {meta.get('format')}, this version reads {BUNDLE_FORMAT}")
    models = {}
    with np.load(path / ARRAYS_FILE, allow_pickle=False) as arrays:
        for key, state in meta["models"].items():
            where = f"{meta_file}: series {key!r}"
            model = _build(state["spec"], where)
            if not isinstance(model, Forecaster):
                raise ValueError(f"{where}: no forecaster spec (a _target_ of {TRUSTED_PREFIX}*)")
            models[key] = _restore(model, state, arrays)
    return ForecastBundle(models, meta["children"], meta["levels"], tuple(meta["level"]), meta["chosen"])


#: Loader path handed to ``tracking.log_pyfunc_model`` (artifact ``bundle`` is the saved bundle folder).
PYFUNC_LOADER = "hotline_ml.forecast.bundle:load_for_pyfunc"


def load_for_pyfunc(artifacts: dict[str, str], model_config: dict | None = None) -> ForecastBundle:
    """Pyfunc loader: the bundle from the model's ``bundle`` artifact (``model_config``, the registered name
    and run, is not needed: the forecast frame does not carry them)."""
    return load_bundle(artifacts["bundle"])
