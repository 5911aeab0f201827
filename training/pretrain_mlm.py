"""Domain-adaptive masked-LM pre-training, offline: builds hotline-bert-mini or continues a Chinese BERT.

    python training/pretrain_mlm.py                                   # hotline-bert-mini on the synthetic corpus
    python training/pretrain_mlm.py init_from=/models/bert-base-chinese output_dir=models/bert-base-hotline
    python training/pretrain_mlm.py +experiment=tipdm2020c_mlm         # on the 7,000 unlabelled TipDM messages

The same job as ``hotline-ml pretrain-mlm ...``: the entry point is ``hotline_ml.cli.pretrain_mlm_job``.
"""

from hotline_ml.cli import pretrain_mlm_job

if __name__ == "__main__":
    pretrain_mlm_job()
