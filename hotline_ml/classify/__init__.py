"""Appeal-type and urgency classification: tokenizer, two-head Chinese BERT, training, calibration, evaluation."""
