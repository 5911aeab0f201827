"""hotline-ml: machine learning for government-service hotline (12345) work orders."""

__version__ = "0.1.0"
