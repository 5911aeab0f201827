"""Find hot issues: appeals about the same problem at the same place, raised by several callers within weeks.

    python training/find_hot_issues.py                          # the synthetic corpus, scored against its events
    python training/find_hot_issues.py data=tipdm2020c_likes    # 4,326 real TipDM messages with likes

The same job as ``hotline-ml find-hot-issues ...``: the entry point is ``hotline_ml.cli.find_hot_issues_job``.
"""

from hotline_ml.cli import find_hot_issues_job

if __name__ == "__main__":
    find_hot_issues_job()
