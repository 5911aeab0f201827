"""Deprecated: the routing safety net moved to :mod:`hotline_ml.triage`. This shim re-exports its public names
for code that still imports ``hotline_ml.routing``; import from ``hotline_ml.triage`` instead."""

from hotline_ml.triage import (
    EMERGENCY_LINES,
    Router,
    RoutingEvaluation,
    emergency_probability,
    evaluate_routing,
    routing_tallies,
    triage_only_decisions,
)

__all__ = ["EMERGENCY_LINES", "Router", "RoutingEvaluation", "emergency_probability", "evaluate_routing",
           "routing_tallies", "triage_only_decisions"]
