"""Insight jobs over work orders: place names, hot issues (problem x place x time), lifecycle indicators."""
