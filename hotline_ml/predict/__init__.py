"""Predictors used by serving/ and by other services' Python code.

    from hotline_ml.predict import Predictor, ForecastPredictor
    predictor = Predictor.load("models:/hotline-appeal-classifier@champion")   # routing + masking from the model
    predictor.predict_one("小区燃气管道漏气，闻到很浓的煤气味")    # -> Prediction (transfer to 119)
    predictor.predict_batch(frame)                            # -> DataFrame with PREDICTION_COLUMNS
    ForecastPredictor.load("models:/hotline-demand-forecaster@candidate").forecast("total", horizon=14)
"""

from hotline_ml.predict.classifier import (
    LIST_COLUMNS,
    PREDICTION_COLUMNS,
    Predictor,
    prediction_dict,
    predictions_from_frame,
    quantize_int8,
)
from hotline_ml.predict.forecaster import ForecastPredictor
from hotline_ml.predict.loading import ModelInfo, load_classifier

__all__ = ["LIST_COLUMNS", "PREDICTION_COLUMNS", "ForecastPredictor", "ModelInfo", "Predictor", "load_classifier",
           "prediction_dict", "predictions_from_frame", "quantize_int8"]
