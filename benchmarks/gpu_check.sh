#!/usr/bin/env bash
# GPU smoke check of the trainer (<= 8 minutes on one H100/H200-class GPU).
#
#   bash benchmarks/gpu_check.sh [OUT_DIR]      (needs `pip install -U "jax[cuda12]"`)
#
# 1. device selection: JAX sees a GPU, `--device gpu` is accepted, `--device-index 99` is
#    refused with exit 2;
# 2. `gpt2-124m` bench at precision auto (= bf16 on GPU): compile time, step time, tokens/s,
#    MFU against the measured bf16 matmul peak and the nominal (data-sheet) bf16 peak;
# 3. `small`: 100 steps with checkpoints, then a resume from the latest checkpoint to 200;
#    asserts the resumed run starts at step 100 and its checkpoints verify;
# 4. prints the compute dtype and attention implementation the run recorded
#    (provenance.json "compute": expect bfloat16 / cudnn).
# Everything lands in OUT_DIR (default: a temp dir); the figures are printed at the end.
set -euo pipefail
OUT=${1:-$(mktemp -d -t gpu-check-XXXX)}
mkdir -p "$OUT"
PY=${PYTHON:-python}
export XLA_PYTHON_CLIENT_PREALLOCATE=false  # leave memory for the peak probe
step() { printf '\n== %s (%s)\n' "$1" "$(date +%T)"; }

step "1. devices"
nvidia-smi -L || true
$PY -c 'import jax; d = jax.devices(); print(d); assert d[0].platform == "gpu", "no GPU visible to JAX"'
set +e
$PY -m training train --preset small --device gpu --device-index 99 --smoke-steps 1 \
  --run-dir "$OUT/bad-index" 2>"$OUT/bad-index.err"
rc=$?
set -e
[ "$rc" -eq 2 ] || { echo "expected exit 2 for a missing device index, got $rc"; exit 1; }
echo "missing --device-index: exit 2 ok ($(head -1 "$OUT/bad-index.err"))"

step "2. gpt2-124m bench (bf16 by default on GPU)"
timeout 300 $PY -m training bench --preset gpt2-124m --steps 20 --warmup 3 \
  --compile-cache "$OUT/cc" --json "$OUT/gpt2-bench.json"

step "3. small: 100 steps with checkpoints, then resume to 200"
timeout 150 $PY -m training train --preset small --device gpu --steps 100 \
  --set lr_decay_steps=200 --save-every-steps 50 --eval-every 100 --compile-cache "$OUT/cc" \
  --run-dir "$OUT/small"
timeout 150 $PY -m training train --preset small --device gpu --steps 200 \
  --set lr_decay_steps=200 --save-every-steps 50 --eval-every 100 --compile-cache "$OUT/cc" \
  --run-dir "$OUT/small" --resume-from latest 2>&1 | tee "$OUT/resume.log"
grep -q "resumed from step 100" "$OUT/resume.log" || { echo "resume did not start at 100"; exit 1; }
ls "$OUT/small/checkpoints/integrity/200.json" >/dev/null

step "4. figures"
$PY - "$OUT" <<'PY'
import json, sys
from pathlib import Path
out = Path(sys.argv[1])
r = json.loads((out / "gpt2-bench.json").read_text())
m, c, s = r["mfu"], r["compile"], r["step_time"]
print(f"device: {r['devices'][0]['kind']}  load: {r['host']['loadavg_1_5_15']}")
print(f"gpt2-124m: compile {c['total_s']:.1f} s (trace {c['trace_s']:.1f}, lower "
      f"{c['lower_s']:.1f}, compile {c['compile_s']:.1f}); step median {s['median_s']*1e3:.1f} ms;"
      f" {r['throughput']['tokens_per_s']:,.0f} tokens/s")
print(f"MFU ({m['dtype']} compute, nominal {m['nominal_peak_dtype']}): vs nominal "
      f"{m['nominal_peak']}, vs measured {m['measured_peak']}")
comp = json.loads((out / "small" / "provenance.json").read_text())["compute"]
print(f"gpt2-124m bench compute: {r['compute']}")
print(f"small run compute: {comp}")
last = [json.loads(l) for l in (out / "small" / "metrics.jsonl").read_text().splitlines()][-1]
print(f"small run last record: {last}")
PY
echo "gpu_check: ok ($OUT)"
