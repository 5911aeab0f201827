"""Work-order data: loading, validation, desensitization, the synthetic corpus, splits.

Typical use::

    from hotline_ml.data import prepare_data      # the whole data job
    from hotline_ml.data import load_orders       # read + validate one file (kept orders, rejects, report)
"""

from hotline_ml.data.io import DataFileError, read_raw
from hotline_ml.data.prepare import PreparedData, load_orders, prepare_data
from hotline_ml.data.schema import ValidatedOrders, validate

__all__ = ["DataFileError", "PreparedData", "ValidatedOrders", "load_orders", "prepare_data", "read_raw", "validate"]
