"""Work-order data: the one door (load whole or in chunks: read, validate, reject with reasons, mask), the
prepared data every job reads, the synthetic corpus, splits.

Typical use::

    from hotline_ml.data import prepared_splits
    splits = prepared_splits(cfg.data, cfg.split, cfg.desensitize, cfg.paths.prepared)   # masked once, cached
    splits.frames["train"], splits.rejects, splits.digest
"""

from hotline_ml.data.desensitize import Desensitizer, make_desensitizer
from hotline_ml.data.io import DataFileError, read_raw
from hotline_ml.data.load import OrderChunk, OrderSplits, iter_orders, load_orders, load_splits
from hotline_ml.data.prepared import Manifest, prepared_orders, prepared_splits, pretraining_texts
from hotline_ml.data.schema import ValidatedOrders, validate

__all__ = ["DataFileError", "Desensitizer", "Manifest", "OrderChunk", "OrderSplits", "ValidatedOrders",
           "iter_orders", "load_orders", "load_splits", "make_desensitizer", "prepared_orders", "prepared_splits",
           "pretraining_texts", "read_raw", "validate"]
