"""Train the classifier families (BERT, linear, ensemble) for appeal type and urgency on the prepared data, beside a
plain linear baseline on the same rows; calibrate, evaluate, register the best on validation.

    python training/train_classifier.py                                  # hotline-bert-mini on the synthetic corpus
    python training/train_classifier.py model=rbt3 model.pretrained=/models/rbt3
    python training/train_classifier.py -m trainer.learning_rate=5e-5,1e-4   # a sweep: one MLflow run per job
    python training/train_classifier.py +experiment=tipdm2020c_more      # 5,508 real appeals, grouped 5-fold CV

The same job as ``hotline-ml train-classifier ...``: the entry point is ``hotline_ml.cli.train_classifier_job``.
"""

from hotline_ml.cli import train_classifier_job

if __name__ == "__main__":
    train_classifier_job()
