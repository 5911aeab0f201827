"""Lifecycle indicators per week, district and appeal type, with the change against the previous week.

    python training/compute_indicators.py                            # the synthetic corpus
    python training/compute_indicators.py data=tipdm2020c_replies    # real TipDM response times (答复时间)

The same job as ``hotline-ml compute-indicators ...``: the entry point is ``hotline_ml.cli.compute_indicators_job``.
"""

from hotline_ml.cli import compute_indicators_job

if __name__ == "__main__":
    compute_indicators_job()
