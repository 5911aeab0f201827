"""Score a day's work orders: read in chunks -> validate -> desensitize -> predict + route -> Parquet/CSV.

    python serving/batch_score.py                                        # last day of the synthetic corpus
    python serving/batch_score.py input.path=/exports/orders.csv input.name=daily day=2026-11-02
    python serving/batch_score.py input.path=data/prepared/synthetic/test.parquet day=null   # routing evaluation

Resumable: kill it at any point and rerun the same command; finished chunks are skipped.

The same job as ``hotline-ml batch-score ...``: the entry point is ``hotline_ml.cli.batch_score_job``.
"""

from hotline_ml.cli import batch_score_job

if __name__ == "__main__":
    batch_score_job()
