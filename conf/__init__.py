"""The Hydra configs, installed as the package ``hotline_ml.conf`` (``hotline_ml/conf`` is a link to this
directory, so the configs have one home); Hydra needs this file to read a config package
(``pkg://hotline_ml.conf``)."""
