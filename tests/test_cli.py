"""The ``hotline-ml`` command, the entry scripts that call it, and the packaged configs."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

from hotline_ml.cli import JOBS, main
from tests.helpers import CONF, ROOT

CLI = Path(sys.executable).with_name("hotline-ml")
SCRIPTS = {"prepare-data": "training/prepare_data.py", "pretrain-mlm": "training/pretrain_mlm.py",
           "train-classifier": "training/train_classifier.py", "fit-forecasts": "training/fit_forecasts.py",
           "find-hot-issues": "training/find_hot_issues.py", "compute-indicators": "training/compute_indicators.py",
           "batch-score": "serving/batch_score.py", "serve": "serving/app.py"}


def run(cmd: list[str], cwd: Path, **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=kwargs.pop("timeout", 120),
                          **kwargs)


def test_help_lists_every_job(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--help"])
    out = capsys.readouterr().out
    assert set(SCRIPTS) == set(JOBS)
    assert all(f"  {job} " in out for job in JOBS)


@pytest.mark.parametrize(("argv", "message"), [([], "no job given"),
                                               (["train_clasifier"], "did you mean 'train-classifier'")])
def test_a_missing_or_unknown_job_exits_2_with_the_reason(argv: list[str], message: str,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "usage: hotline-ml <job>" in err


def test_configs_are_the_package_hotline_ml_conf() -> None:
    """The editable install reads conf/ itself (edits apply at once); a wheel carries the same files."""
    packaged = resources.files("hotline_ml.conf")
    assert Path(str(packaged)).resolve() == CONF.resolve(), f"{packaged} is not this checkout's conf/: pip install -e ."
    names = {p.name for p in packaged.iterdir()}
    assert {"__init__.py", "prepare_data.yaml", "train_classifier.yaml", "serve.yaml"} <= names


def test_console_script_and_entry_script_compose_the_same_job(tmp_path: Path) -> None:
    """`hotline-ml <job> ...` from any directory == `python training/<job>.py ...` in the repository."""
    if not CLI.exists():
        pytest.skip(f"{CLI} not installed (pip install -e .)")
    overrides = ["data.synthetic.n_orders=7", "--cfg", "job"]
    console = run([str(CLI), "prepare-data", *overrides], cwd=tmp_path)
    script = run([sys.executable, SCRIPTS["prepare-data"], *overrides], cwd=ROOT)
    assert console.returncode == 0, console.stderr[-2000:]
    assert script.returncode == 0, script.stderr[-2000:]
    assert "n_orders: 7" in console.stdout and console.stdout == script.stdout


def test_the_job_keeps_its_name_for_its_output_dirs(tmp_path: Path) -> None:
    """Hydra would name every job after hotline_ml/cli.py; conf/hydra_settings.yaml names it after its entry
    config, for every job from one file."""
    if not CLI.exists():
        pytest.skip(f"{CLI} not installed (pip install -e .)")
    for job, name in (("train-classifier", "train_classifier"), ("serve", "serve")):
        done = run([str(CLI), job, "--cfg", "hydra", "--resolve"], cwd=tmp_path)
        assert done.returncode == 0, done.stderr[-2000:]
        assert f"    name: {name}\n" in done.stdout
        assert f"dir: outputs/{name}/" in done.stdout and f"dir: multirun/{name}/" in done.stdout


@pytest.mark.slow  # builds the sdist and wheel and installs them with every dependency into a fresh venv (minutes)
def test_the_wheel_runs_a_job_from_its_console_script(tmp_path: Path) -> None:
    done = run(["bash", str(ROOT / ".ci" / "wheel_smoke.sh"), str(tmp_path / "smoke")], cwd=ROOT, timeout=1800)
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    assert "wheel smoke passed" in done.stdout
    run_dir = tmp_path / "smoke" / "run"
    assert (run_dir / "data" / "prepared" / "synthetic" / "train.parquet").is_file()
    assert "n_orders: 100000" in (run_dir / "cfg-prepare-data.yaml").read_text(encoding="utf-8")
