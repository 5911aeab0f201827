"""The HTTP service: ``/predict``, ``/predict_batch``, ``/health`` over one :class:`Predictor`.

The model is loaded once, when the app starts. Bad input gets a 4xx that says what is wrong: 422 for a wrong
type or an empty text, 413 for an oversize text, batch or body. Neither logs nor error bodies ever contain
the text: logs carry counts, routes, latency and input hashes only.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from hotline_ml.predict.classifier import Predictor, prediction_dict, predictions_from_frame

log = logging.getLogger("hotline_ml.serving")


@dataclass(frozen=True)
class Limits:
    """Input limits: characters per text, records per batch, bytes per request body."""

    max_text_chars: int
    max_batch: int
    max_body_bytes: int


class OrderIn(BaseModel):
    """One appeal: ``text`` is required; ``title``, ``order_id`` and ``human`` are optional. Unknown fields are
    refused."""

    model_config = ConfigDict(extra="forbid", strict=True)
    text: str = Field(description="The appeal text (PII is masked before anything else happens)")
    title: str | None = None
    order_id: str | None = None
    human: bool | None = Field(None, description="An operator's one-click hand-off of this appeal to a person")


class BatchIn(BaseModel):
    """Several appeals."""

    model_config = ConfigDict(extra="forbid", strict=True)
    records: list[OrderIn]


def create_app(load_predictor: Callable[[], Predictor], limits: Limits) -> FastAPI:
    """Build the app; ``load_predictor`` runs once at start-up.

    Args:
        load_predictor: Returns the loaded predictor (e.g. ``lambda: Predictor.load(...)``).
        limits: Input limits.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.predictor = load_predictor()
        info = app.state.predictor.info
        log.info("model loaded: %s (version %s, run %s)", info.source, info.version, info.run_id)
        yield

    app = FastAPI(title="hotline-ml", lifespan=lifespan)
    app.state.limits = limits
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_middleware(BodyLimit, max_bytes=limits.max_body_bytes)
    app.get("/health")(_health)
    app.post("/predict")(_predict)
    app.post("/predict_batch")(_predict_batch)
    return app


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    # FastAPI's default body echoes the offending input, i.e. the appeal text: keep only where and what
    errors = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
    return JSONResponse({"detail": errors}, status_code=422)


class _TooLarge(HTTPException):
    """Raised from ``receive``: FastAPI passes HTTP exceptions from body parsing on, so this becomes the 413."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"request body is over the limit of {max_bytes} bytes")


class BodyLimit:
    """ASGI middleware: 413 for a body over ``max_bytes``, declared (Content-Length) or counted as it streams in
    (chunked uploads carry no Content-Length), before the app parses it."""

    def __init__(self, app, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"").decode("latin-1")
        if declared and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse(f"request body of {declared} bytes", scope, receive, send)
            return
        seen = 0
        started = False

        async def counted_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge(self.max_bytes)
            return message

        async def tracked_send(message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except _TooLarge:
            if started:
                raise
            await self._refuse("request body", scope, receive, send)

    async def _refuse(self, what: str, scope, receive, send) -> None:
        response = JSONResponse({"detail": f"{what} is over the limit of {self.max_bytes} bytes"}, status_code=413)
        await response(scope, receive, send)


def _health(request: Request) -> dict:
    predictor: Predictor = request.app.state.predictor
    info = predictor.info
    return {"status": "ok", "model": {"source": info.source, "name": info.name, "version": info.version,
                                      "run_id": info.run_id},
            "labels": {task: len(names) for task, names in predictor.labels.items()}}


def _checked(records: list[OrderIn], limits: Limits) -> list[dict]:
    out = []
    for i, r in enumerate(records):
        where = f"records[{i}].text" if len(records) > 1 else "text"
        if not r.text.strip():
            raise HTTPException(422, f"{where} is empty")
        if len(r.text) > limits.max_text_chars:
            raise HTTPException(413, f"{where} has {len(r.text)} characters, over the limit of "
                                     f"{limits.max_text_chars}")
        out.append(r.model_dump())
    return out


def _predict(order: OrderIn, request: Request) -> dict:
    return _predict_records([order], request, single=True)


def _predict_batch(batch: BatchIn, request: Request) -> dict:
    limits: Limits = request.app.state.limits
    if len(batch.records) > limits.max_batch:
        raise HTTPException(413, f"{len(batch.records)} records, over the limit of {limits.max_batch} per request")
    return _predict_records(batch.records, request, single=False)


def _predict_records(records: list[OrderIn], request: Request, single: bool) -> dict:
    rows = _checked(records, request.app.state.limits)
    start = time.perf_counter()
    predictor: Predictor = request.app.state.predictor
    predictions = predictions_from_frame(predictor.predict_batch(rows)) if rows else []
    routes = [p.routing.route for p in predictions]
    log.info("%s: %d record(s), routes %s, %.1f ms, inputs %s", request.url.path, len(rows),
             {r: routes.count(r) for r in set(routes)}, 1000 * (time.perf_counter() - start),
             [p.input_hash for p in predictions[:5]])
    if single:
        return prediction_dict(predictions[0])
    return {"predictions": [prediction_dict(p) for p in predictions]}
