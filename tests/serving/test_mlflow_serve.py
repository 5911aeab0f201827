"""The registered model answers under ``mlflow models serve`` on 127.0.0.1 as the whole predictor: a gas leak
is transferred to 119 and the caller's number is masked before the model reads it (slow: starts a server)."""

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

from tests.serving.conftest import GAS_LEAK, MODEL_NAME, PHONE, masked


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _post(url: str, payload: dict) -> dict:
    req = urllib.request.Request(url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


@pytest.mark.slow
def test_registered_model_masks_and_routes_under_mlflow_models_serve(registry_uri: str) -> None:
    from hotline_ml.predict.classifier import input_hash

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
        body = _post(f"http://127.0.0.1:{port}/invocations", {"dataframe_split": {
            "columns": ["order_id", "text", "title", "human"],
            "data": [["W1", GAS_LEAK, "", False], ["W2", "小区门口路灯坏了", "", False]]}})
        leak, lamp = body["predictions"]
        assert leak["route"] == "transfer" and leak["transfer_to"] == ["119"] and leak["urgency"] == "紧急"
        assert leak["route_reasons"] and all(isinstance(r, str) for r in leak["route_reasons"])
        assert lamp["transfer_to"] == [] and {"label", "score"} == set(lamp["appeal_type_top3"][0])
        assert leak["order_id"] == "W1" and leak["model_name"] == MODEL_NAME and leak["run_id"]
        # masked before anything else: the model read (and hashed) the masked text; no output holds the number
        text = masked(GAS_LEAK)
        assert PHONE not in text and leak["input_hash"] == input_hash(text) != input_hash(GAS_LEAK)
        assert PHONE not in json.dumps(body, ensure_ascii=False)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
