"""How fast the synthetic corpus generates and the data job runs on this machine.

    python bench/bench_synthetic.py [--n 100000]

Prints seconds and orders/second for (1) generating the corpus, (2) loading + validating + masking +
splitting it, and, as a baseline in the same process, (3) a plain pandas.read_csv of the same file, so the
cost of validation and masking reads as a ratio.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from pathlib import Path

import pandas as pd
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from hotline_ml.config import register_configs
from hotline_ml.data.prepare import prepare_data
from hotline_ml.data.synthetic import generate_corpus, write_corpus

CONF = Path(__file__).resolve().parents[1] / "conf"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="orders to generate")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    register_configs()
    with tempfile.TemporaryDirectory() as tmp:
        with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
            dcfg = compose("prepare_data", overrides=[f"data.synthetic.n_orders={args.n}",
                                                      f"data.path={tmp}/orders.csv", f"output_dir={tmp}/out"])
        cfg = OmegaConf.to_object(dcfg)
        t0 = time.perf_counter()
        corpus = generate_corpus(cfg.data.synthetic, cfg.data.taxonomy, progress=False)
        write_corpus(corpus, cfg.data.path)
        t_gen = time.perf_counter() - t0
        n = len(corpus.orders)
        t0 = time.perf_counter()
        pd.read_csv(cfg.data.path, dtype=str)
        t_csv = time.perf_counter() - t0
        t0 = time.perf_counter()
        prepared = prepare_data(cfg, progress=False)  # finds the corpus up to date: load..split..write only
        t_prep = time.perf_counter() - t0
    print(f"orders generated:                 {n}")
    print(f"generate + write corpus:          {t_gen:7.2f} s  ({n / t_gen:9.0f} orders/s)")
    print(f"baseline pandas.read_csv:         {t_csv:7.2f} s  ({n / t_csv:9.0f} orders/s)")
    print(f"load+validate+mask+split+write:   {t_prep:7.2f} s  ({n / t_prep:9.0f} orders/s)")
    print(f"data job / plain read_csv:        {t_prep / t_csv:7.1f} x")
    loaded = prepared.splits
    print(f"kept {loaded.load_report.kept}, rejected {loaded.load_report.rejected}, "
          f"PII masked {sum(loaded.pii_counts.values())}")


if __name__ == "__main__":
    main()
