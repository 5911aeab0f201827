"""Insight jobs: hot issues, lifecycle indicators, drift."""
