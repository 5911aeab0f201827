"""The FastAPI app: model loaded once at start-up, valid and invalid requests, no text in logs."""

from __future__ import annotations

import json
import logging

import pytest
from fastapi.testclient import TestClient

from hotline_ml.predict import Predictor
from hotline_ml.predict.http import Limits, create_app
from tests.serving.conftest import MODEL_NAME

SECRET = "13812345678"


@pytest.fixture(scope="module")
def client(predictor: Predictor):
    loads = []

    def load() -> Predictor:
        loads.append(1)
        return predictor

    with TestClient(create_app(load, Limits(max_text_chars=200, max_batch=3, max_body_bytes=5000))) as c:
        c.loads = loads
        yield c


def test_health_reports_the_model_loaded_once(client: TestClient) -> None:
    r = client.get("/health")
    assert r.status_code == 200 and r.json()["model"]["name"] == MODEL_NAME and r.json()["model"]["version"] == "1"
    client.get("/health")
    assert client.loads == [1]


def test_predict_returns_a_routed_traceable_prediction(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="hotline_ml.serving"):
        r = client.post("/predict", json={"text": f"厨房里一股很浓的煤气味，我电话{SECRET}", "order_id": "W1"})
    body = r.json()
    assert r.status_code == 200 and body["order_id"] == "W1"
    assert body["routing"]["route"] == "transfer" and body["routing"]["transfer_to"] == ["119"]
    assert body["urgency"] == "紧急" and body["model_version"] == "1" and body["predicted_at"]
    assert len(body["appeal_type_top3"]) == 3 and set(body["appeal_type_top3"][0]) == {"label", "score"}
    assert isinstance(body["routing"]["reasons"], list) and body["routing"]["reasons"]
    assert caplog.records and SECRET not in caplog.text and "煤气" not in caplog.text


def test_predict_batch_keeps_order_and_accepts_empty(client: TestClient) -> None:
    records = [{"text": "路灯坏了"}, {"text": "有人拿刀砍人", "order_id": "B"}]
    r = client.post("/predict_batch", json={"records": records})
    preds = r.json()["predictions"]
    assert r.status_code == 200 and [p["order_id"] for p in preds] == [None, "B"]
    assert preds[1]["routing"]["transfer_to"] == ["110"]
    assert client.post("/predict_batch", json={"records": []}).json() == {"predictions": []}


def test_an_operator_flag_hands_the_order_to_a_person(client: TestClient) -> None:
    r = client.post("/predict", json={"text": "小区门口的路灯坏了一个多月了", "human": True})
    assert r.status_code == 200 and r.json()["routing"]["route"] == "human_review"


@pytest.mark.parametrize("path,payload,status,needle", [
    ("/predict", {"text": "   "}, 422, "text is empty"),
    ("/predict", {"text": 12345}, 422, "string"),
    ("/predict", {"txt": "路灯坏了"}, 422, "missing"),
    ("/predict", {"text": "路灯坏了", "caller": SECRET}, 422, "extra"),
    ("/predict", {"text": "路灯坏了", "human": "yes"}, 422, "bool"),
    ("/predict", {"text": "坏" * 201}, 413, "201 characters"),
    ("/predict_batch", {"records": "路灯坏了"}, 422, "list"),
    ("/predict_batch", {"records": [{"text": "a"}] * 4}, 413, "4 records"),
    ("/predict_batch", {"records": [{"text": "a"}, {"text": ""}]}, 422, "records[1].text is empty"),
    ("/predict", {"text": "坏" * 2000}, 413, "over the limit of 5000 bytes"),
])
def test_invalid_requests_get_clear_4xx_without_echoing_text(client: TestClient, path: str, payload, status: int,
                                                            needle: str) -> None:
    r = client.post(path, json=payload)
    assert r.status_code == status, r.text
    assert needle in r.text and SECRET not in r.text and "路灯坏了" not in r.text


def test_a_chunked_body_without_content_length_is_held_to_the_limit(client: TestClient) -> None:
    body = json.dumps({"text": "坏" * 2000}).encode()
    r = client.post("/predict", content=iter([body[i:i + 1000] for i in range(0, len(body), 1000)]),
                    headers={"content-type": "application/json"})
    assert r.status_code == 413 and "over the limit of 5000 bytes" in r.text and "坏" not in r.text


def test_malformed_json_is_a_422(client: TestClient) -> None:
    r = client.post("/predict", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422
