"""Work-order data: the one door (load whole or in chunks: read, validate, reject with reasons, mask), the
synthetic corpus, splits.

Typical use::

    from hotline_ml.data import load_orders, make_desensitizer
    loaded = load_orders(cfg.data, make_desensitizer(cfg.desensitize))   # kept orders, rejects, report
"""

from hotline_ml.data.desensitize import Desensitizer, make_desensitizer
from hotline_ml.data.io import DataFileError, read_raw
from hotline_ml.data.load import OrderChunk, OrderSplits, iter_orders, load_orders, load_splits, load_texts
from hotline_ml.data.schema import ValidatedOrders, validate

__all__ = ["DataFileError", "Desensitizer", "OrderChunk", "OrderSplits", "ValidatedOrders", "iter_orders",
           "load_orders", "load_splits", "load_texts", "make_desensitizer", "read_raw", "validate"]
