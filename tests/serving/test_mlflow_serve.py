"""The registered pyfunc answers under ``mlflow models serve`` on 127.0.0.1 (slow: starts a server)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.serving.conftest import MODEL_NAME


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _post(url: str, payload: dict) -> dict:
    req = urllib.request.Request(url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


@pytest.mark.slow
def test_registered_model_serves_under_mlflow_models_serve(registry_uri: str, tiny_classifier_dir: Path) -> None:
    from hotline_ml.classify.inference import AppealClassifier

    port = _free_port()
    mlflow_bin = str(Path(sys.executable).with_name("mlflow"))
    # the scoring server is started as `uvicorn` from PATH: the venv's bin must be on it
    env = {**os.environ, "MLFLOW_TRACKING_URI": registry_uri, "OMP_NUM_THREADS": "1",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    server = subprocess.Popen([mlflow_bin, "models", "serve", "-m", f"models:/{MODEL_NAME}@champion",
                               "--env-manager", "local", "-h", "127.0.0.1", "-p", str(port), "-w", "1"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            assert server.poll() is None, server.stderr.read().decode()[-3000:]
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(1)
        else:
            pytest.fail("mlflow models serve did not answer /ping within 180 s")
        body = _post(f"http://127.0.0.1:{port}/invocations",
                     {"dataframe_split": {"columns": ["text", "title"], "data": [["小区门口路灯坏了", ""]]}})
        (row,) = body["predictions"]
        assert row["type_l1"] in AppealClassifier.load(tiny_classifier_dir).labels["type_l1"]
        assert 0.0 < row["type_l1_score"] <= 1.0
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
