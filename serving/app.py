"""The HTTP service: /predict, /predict_batch, /health, with the model loaded once at start-up.

    python serving/app.py                                  # 127.0.0.1:8000, models:/hotline-appeal-classifier@champion
    python serving/app.py port=9000 predictor.int8=true
    curl -s localhost:8000/predict -H 'content-type: application/json' -d '{"text": "小区门口路灯坏了"}'

The same job as ``hotline-ml serve ...``: the entry point is ``hotline_ml.cli.serve_job``.
"""

from hotline_ml.cli import serve_job

if __name__ == "__main__":
    serve_job()
