"""Data job: load work orders, validate (rejects keep their reason), mask PII, split, save, summarise.

    python training/prepare_data.py                       # the embedded synthetic corpus
    python training/prepare_data.py data=tipdm2020c split=stratified

The same job as ``hotline-ml prepare-data ...``: the entry point is ``hotline_ml.cli.prepare_data_job``.
"""

from hotline_ml.cli import prepare_data_job

if __name__ == "__main__":
    prepare_data_job()
