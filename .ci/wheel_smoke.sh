#!/usr/bin/env bash
# The installed package on its own: build the sdist and the wheel from it, install the wheel into a fresh venv,
# and run jobs from its console script in a directory outside the repository (configs from the wheel only).
#
#   bash .ci/wheel_smoke.sh [WORK_DIR]              # `make wheel-smoke`; WORK_DIR (emptied first) holds it all
#
# PYTHON makes the venv (default python3); TORCH_SPEC is installed first (default torch==2.13.0: a bare `torch`
# requirement would pull GBs of CUDA packages). Needs a package index; takes a few minutes on a fresh cache.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${1:-${TMPDIR:-/tmp}/hotline-ml-wheel-smoke}"
python="${PYTHON:-python3}"
torch_spec="${TORCH_SPEC:-torch==2.13.0}"
export HF_HUB_OFFLINE=1 MLFLOW_DISABLE_TELEMETRY=true TOKENIZERS_PARALLELISM=false PIP_DISABLE_PIP_VERSION_CHECK=1
export MLFLOW_TRACKING_URI="sqlite:///$work/run/mlflow.db"
unset HOTLINE_PREPARED_DATA  # the default data/prepared of the run directory
start=$SECONDS
step() { echo "== [$((SECONDS - start)) s] $*"; }

rm -rf "$work" && mkdir -p "$work/run"
step "fresh venv $work/venv with $torch_spec and build"
"$python" -m venv "$work/venv"
py="$work/venv/bin/python"
"$py" -m pip install --quiet "$torch_spec" build

step "sdist, then the wheel from the sdist (what an index would hold), from $root"
"$py" -m build --outdir "$work/dist" "$root" > "$work/build.log" 2>&1 || { tail -40 "$work/build.log"; exit 1; }
wheel=$(ls "$work"/dist/hotline_ml-*.whl)
echo "$wheel: $("$py" -m zipfile -l "$wheel" | grep -c 'hotline_ml/conf/.*\.yaml') packaged configs"

step "install the wheel"
"$py" -m pip install --quiet "$wheel"

cd "$work/run"  # outside the repository: nothing but the installed package
cli="$work/venv/bin/hotline-ml"
step "hotline-ml --help; an unknown job exits 2"
"$cli" --help
rc=0 && "$cli" no-such-job 2> unknown.txt || rc=$?
[ "$rc" -eq 2 ] && grep -q "unknown job 'no-such-job'" unknown.txt || { echo "unknown job: rc $rc"; exit 1; }

step "every job's config composes from the wheel (--cfg job)"
for job in prepare-data pretrain-mlm train-classifier fit-forecasts find-hot-issues compute-indicators batch-score serve; do
  "$cli" "$job" --cfg job > "cfg-$job.yaml"
done

step "hotline-ml prepare-data, shrunk (2,000 orders over six months)"
"$cli" prepare-data data.synthetic.n_orders=2000 data.synthetic.start=2026-05-01 data.synthetic.surges.n_events=2
for split in train validation test; do test -s "data/prepared/synthetic/$split.parquet"; done
ls -d outputs/prepare_data/*

step "hotline-ml train-classifier: the linear family on the same corpus, registered as champion"
small=(data.synthetic.n_orders=2000 data.synthetic.start=2026-05-01 data.synthetic.surges.n_events=2)
"$cli" train-classifier "${small[@]}" 'classifier.families=[linear]' 'classifier.linear.C_grid=[1.0]' > train.txt
grep -q "registered hotline-appeal-classifier version 1 -> champion" train.txt || { tail -20 train.txt; exit 1; }

step "hotline-ml batch-score: the champion scores the last day (model loaded from the registry)"
"$cli" batch-score input.path=data/synthetic/orders.csv > score.txt
grep -Eq "^read [0-9]+ = scored [0-9]+ \+ rejected" score.txt || { tail -20 score.txt; exit 1; }
test -s outputs/batch_score/synthetic/2026-10-31/predictions.parquet

step "wheel smoke passed"
