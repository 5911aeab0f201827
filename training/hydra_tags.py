"""MLflow tags that tie a run to its Hydra job (entry scripts only: the library never imports Hydra).

Entry scripts run as ``python training/<job>.py``, so this module is importable as ``hydra_tags``.
"""

from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode


def run_tags() -> dict[str, str]:
    """``hydra_mode``, the overrides, and for multirun jobs the sweep directory and job number."""
    hc = HydraConfig.get()
    tags = {"hydra_mode": hc.mode.name, "hydra_overrides": " ".join(hc.overrides.task) or "(none)"}
    if hc.mode == RunMode.MULTIRUN:
        tags |= {"sweep": hc.sweep.dir, "sweep_job": str(hc.job.num)}
    return tags
