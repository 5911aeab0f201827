"""The triage net and the automation policy: emergencies to 110/119/120, everything a machine may not close
to a person, the rest automated.

Layers (one module each; all rules, word lists and thresholds in ``conf/routing/default.yaml``):

- :mod:`~hotline_ml.triage.lexicon`: emergency rules (fire, gas, trapped, violence, self-harm, ...);
- :mod:`~hotline_ml.triage.framing`: past, hypothetical, consultation, reported and narrative framing of a hit,
  overridden by live-now cues;
- :mod:`~hotline_ml.triage.concepts`: person x acute state x now, generalising the lexicon;
- :mod:`~hotline_ml.triage.detector`: a char n-gram logistic regression trained at load on the packaged corpus;
- :mod:`~hotline_ml.triage.policy`: which grades a machine may close; the operator's and the caller's hand-off;
- :mod:`~hotline_ml.triage.router`: the decision; :mod:`~hotline_ml.triage.evaluate`: how it performs.
"""

from hotline_ml.triage.evaluate import RoutingEvaluation, emergency_probability, evaluate_routing, routing_tallies
from hotline_ml.triage.lexicon import EMERGENCY_LINES, Hit
from hotline_ml.triage.router import RoutedProbabilities, Router, route_probabilities, triage_only_decisions

__all__ = ["EMERGENCY_LINES", "Hit", "RoutedProbabilities", "Router", "RoutingEvaluation", "emergency_probability",
           "evaluate_routing", "route_probabilities", "routing_tallies", "triage_only_decisions"]
