"""The layout holds: no import cycle in hotline_ml, and only prepare-data and batch scoring read raw work orders."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
#: The data door's readers of raw work-order files, and the only modules that may call them.
RAW_READERS = {"load_orders", "load_splits", "iter_orders", "read_orders_spark"}
MAY_READ_RAW = {"hotline_ml/data/load.py", "hotline_ml/data/prepared.py", "hotline_ml/data/spark_read.py",
                "hotline_ml/predict/batch.py", "hotline_ml/predict/spark_batch.py"}


def lint_imports(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    if not LINT_IMPORTS.exists():
        pytest.skip(f"{LINT_IMPORTS} not installed (pip install -e '.[dev]')")
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env=env)


def test_no_import_cycle_in_hotline_ml() -> None:
    """pyproject.toml's import-linter contract: no cycle between hotline_ml's packages or any package's modules,
    function-level imports included."""
    done = lint_imports()
    assert done.returncode == 0, done.stdout[-3000:]
    assert "1 kept, 0 broken" in done.stdout


def test_the_contract_fails_on_a_cycle(tmp_path: Path) -> None:
    """The same contract on a package whose two modules import each other (one inside a function, as the
    families once did) is broken: the test above can fail."""
    pkg = tmp_path / "cyclic"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "a.py").write_text("from cyclic.sub.b import B\n\nA = 1\n")
    (pkg / "sub" / "b.py").write_text("B = 2\n\n\ndef late():\n    from cyclic.sub.a import A\n    return A\n")
    config = tmp_path / "contracts.ini"
    config.write_text("[importlinter]\nroot_package = cyclic\n\n[importlinter:contract:acyclic]\n"
                      "name = No import cycle\ntype = acyclic_siblings\nancestors =\n    cyclic\n")
    done = lint_imports("--config", str(config), cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(tmp_path)})
    assert done.returncode != 0 and "BROKEN" in done.stdout, done.stdout[-2000:]


def test_only_prepare_data_and_batch_scoring_read_raw_work_orders() -> None:
    """Every other job reads the prepared data (hotline_ml/data/prepared.py): nothing masks the same rows twice."""
    callers: dict[str, set[str]] = {}
    for path in sorted((ROOT / "hotline_ml").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        called = {node.func.id if isinstance(node.func, ast.Name) else node.func.attr
                  for node in ast.walk(tree) if isinstance(node, ast.Call)
                  and isinstance(node.func, ast.Name | ast.Attribute)}
        if called & RAW_READERS:
            callers[str(path.relative_to(ROOT))] = called & RAW_READERS
    assert set(callers) <= MAY_READ_RAW, {k: v for k, v in callers.items() if k not in MAY_READ_RAW}
    assert "hotline_ml/data/prepared.py" in callers and "hotline_ml/predict/batch.py" in callers


def test_the_readme_is_short_and_every_documentation_link_resolves() -> None:
    """A newcomer reads the README in ten minutes; the rest is in docs/, and no link leads nowhere."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 200
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    assert {p.name for p in pages} >= {"ml-engineer.md", "batch-operator.md", "service-caller.md", "reviewer.md",
                                       "reference.md", "results.md"}
    for page in pages:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            if not target.startswith(("http://", "https://")):
                assert (page.parent / target).exists(), f"{page.name}: link to {target} leads nowhere"


def test_no_deprecated_shim_is_left() -> None:
    assert not (ROOT / "hotline_ml" / "routing.py").exists()
