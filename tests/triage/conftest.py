"""Fixtures of the triage tests: the real routing config and a router built from it."""

from __future__ import annotations

import pytest

from hotline_ml.triage import Router
from tests.conftest import compose_config


@pytest.fixture(scope="session")
def routing_cfg():
    """The real routing config (conf/routing/default.yaml), composed through the serve schema."""
    return compose_config("serve", ["routing=default"]).routing


@pytest.fixture(scope="session")
def router(routing_cfg) -> Router:
    return Router(routing_cfg)
