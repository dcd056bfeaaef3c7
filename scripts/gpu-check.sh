#!/usr/bin/env bash
# scripts/gpu-check.sh [--dry-run] [--out DIR] [--pack DIR] [--work DIR] [--only STEP,...]
#
# The GPU check in one command, on a machine with a GPU and without network access or Node.js
# (docs/gpu.md): unpacks gpu-pack/ (make gpu-pack), installs the Vulkan loader from it where the
# machine has none, then runs each step under its own time limit, going on after a step fails:
#   adapter   which adapter Dawn finds, its limits, a matrix product checked and timed (webgpu)
#   numeric   spectral ops against dense transforms, four mixers' logits and a training step
#             against tfjs's cpu backend (webgpu)
#   bench     lra bench --backend webgpu, fnet/fftnet/hyena/attention at 1024 and 4096, then at 16384
#   peer      the PyTorch peer on cuda, attention/fnet/fftnet at the same lengths (when torch sees a GPU)
#   listops   generated ListOps: a tiny and a small run (accuracy, steps/s), and the first 50 steps
#             of the lra preset for fftnet and attention (steps/s, ETA, memory)
# Each step writes OUT/<step>.json (bench one file for its two parts, listops for its five), then OUT/summary.json
# and OUT/logs.tar.xz (every step's full output): seven files, within what a device call returns.
# The limits add up to about nine minutes; GPU_CHECK_BUDGET_S (default 540) caps the whole run,
# shortening or skipping the steps that come last.
#
# --only adapter,numeric,bench,peer,listops runs those steps alone (a rerun of the ones that failed).
# GPU_CHECK_BACKEND (default webgpu) names the tfjs backend of the steps: wasm rehearses the whole
# sequence on a machine without a GPU.
#
# --dry-run (any machine): checks the pack's files against its manifest, unpacks it, runs Node
# from it, `lra --help` and a one-cell wasm benchmark from the unpacked project, loads the WebGPU
# modules (without a GPU), looks for the Vulkan loader in its packages and checks the size. It
# runs no GPU step and installs nothing.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PACK=$ROOT/gpu-pack
OUT_DIR=${OUT:-$ROOT/runs/gpu-check}
WORK=${TMPDIR:-/tmp}/lra-gpu-check
DRY_RUN=0
BUDGET_S=${GPU_CHECK_BUDGET_S:-540}
LIMIT_BYTES=$((64 * 1024 * 1024))
# Lengths and mixers of the speed steps (the issue's cells).
# Attention last: a cell that hangs or exhausts the device costs only the cells after it.
BENCH_MIXERS=fnet,fftnet,hyena,attention
PEER_MIXERS=attention,fnet,fftnet
SHORT_LENGTHS=1024,4096
LONG_LENGTH=16384
LENGTHS=$SHORT_LENGTHS,$LONG_LENGTH
BACKEND=${GPU_CHECK_BACKEND:-webgpu}
ONLY=adapter,numeric,bench,peer,listops

while (($# > 0)); do
  case $1 in
    --dry-run) DRY_RUN=1 ;;
    --out) OUT_DIR=$2; shift ;;
    --pack) PACK=$2; shift ;;
    --work) WORK=$2; shift ;;
    --only) ONLY=$2; shift ;;
    -h | --help) sed -n '2,/^set /{/^#/p}' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "gpu-check: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

START=$(date +%s)
die() { echo "gpu-check: error: $*" >&2; exit 1; }
say() { echo "gpu-check [$(($(date +%s) - START)) s]: $*"; }

# --- the pack: present, intact, unpacked -----------------------------------------------------
[[ -f $PACK/manifest.json && -f $PACK/SHA256SUMS ]] || die "no pack in $PACK: run make gpu-pack on a machine with npm (docs/gpu.md)"
(cd "$PACK" && sha256sum --quiet -c SHA256SUMS) || die "the files in $PACK do not match its SHA256SUMS: rebuild it with make gpu-pack"
pack_bytes=$(find "$PACK" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
((pack_bytes <= LIMIT_BYTES)) || die "$PACK holds $pack_bytes bytes, over the $LIMIT_BYTES a device call carries"
say "pack verified ($((pack_bytes / 1048576)) MiB)"

rm -rf "$WORK"
mkdir -p "$WORK/node/bin" "$WORK/app" "$WORK/steps" "$WORK/logs" "$WORK/runs" "$OUT_DIR" || die "cannot create $WORK or $OUT_DIR"
OUT_DIR=$(cd "$OUT_DIR" && pwd)
xz -dc "$PACK/node.xz" >"$WORK/node/bin/node" && chmod +x "$WORK/node/bin/node" || die "cannot unpack node.xz"
tar -xJf "$PACK/app.tar.xz" -C "$WORK/app" || die "cannot unpack app.tar.xz"
NODE=$WORK/node/bin/node
APP=$WORK/app
expected_node=$(cut -d' ' -f1 "$PACK/node.stamp")
actual_node=$("$NODE" --version) || die "the pack's node does not run on this machine"
[[ $actual_node == "$expected_node" ]] || die "the pack's node is $actual_node, its manifest says $expected_node"
export PATH=$WORK/node/bin:$PATH
# JSON log lines on stderr (not the pretty form), the form the step records parse.
export LRA_LOG_LEVEL=info
CHECK=("$NODE" "$APP/packages/trainer/dist/gpu-check/main.js")
LRA=("$NODE" "$APP/packages/trainer/bin/lra.js")
say "unpacked into $WORK; node $actual_node"

# --- steps -------------------------------------------------------------------------------------
# step NAME LIMIT_S MODE COMMAND...: runs COMMAND under `timeout`, within what is left of the
# budget, and records it in WORK/steps/NAME.json. MODE json: stdout is the step's JSON result and
# stderr its log; MODE log: both are the log. STEP_RUNS (an array) names the training runs to read.
STEP_RUNS=()
RECORDED=()    # the steps' records, in the order they ran
RESERVE_S=15   # kept back for the summary and the log archive
step() {
  local name=$1 limit=$2 mode=$3
  shift 3
  local left=$((BUDGET_S - ($(date +%s) - START) - RESERVE_S))
  local record=(--name "$name" --command "$*" --to "$WORK/steps/$name.json" --output "$WORK/logs/$name.log")
  RECORDED+=("$WORK/steps/$name.json")
  for run in "${STEP_RUNS[@]}"; do record+=(--run "$run"); done
  if ((left < 10)); then
    : >"$WORK/logs/$name.log"
    "${CHECK[@]}" record "${record[@]}" --limit-s 0 --wall-s 0 --exit-code 0 --skipped "the ${BUDGET_S} s budget was spent"
    say "$name: skipped (budget spent)"
    STEP_RUNS=()
    return
  fi
  ((limit > left)) && limit=$left
  say "$name: up to ${limit} s: $*"
  local t0 rc t1
  t0=$(date +%s.%N)
  if [[ $mode == json ]]; then
    timeout -k 5 "$limit" "$@" >"$WORK/logs/$name.stdout" 2>"$WORK/logs/$name.log"
    rc=$?
    record+=(--result "$WORK/logs/$name.stdout")
  else
    timeout -k 5 "$limit" "$@" >"$WORK/logs/$name.log" 2>&1
    rc=$?
  fi
  t1=$(date +%s.%N)
  "${CHECK[@]}" record "${record[@]}" --limit-s "$limit" --wall-s "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')" --exit-code "$rc"
  say "$name: exit $rc"
  STEP_RUNS=()
}

# --- the machine -------------------------------------------------------------------------------
gpu_name=$(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null | head -1)
loader_before=$(ldconfig -p 2>/dev/null | grep -c 'libvulkan.so.1' || true)
loader_from_pack=false
# Only where there is a GPU: the packages unpack into /, which no other machine should get.
if ((DRY_RUN == 0)) && ((loader_before == 0)) && [[ -n $gpu_name ]]; then
  # The device recipe: these loader packages unpack into / (other packages must not).
  for deb in "$PACK"/debs/*.deb; do dpkg -x "$deb" / || die "dpkg -x $deb failed"; done
  ldconfig
  loader_from_pack=true
fi
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [[ -z ${VK_DRIVER_FILES:-} && -f $icd ]] && ! ls /usr/share/vulkan/icd.d/nvidia_icd*.json /etc/vulkan/icd.d/nvidia_icd*.json >/dev/null 2>&1; then
  export VK_DRIVER_FILES=$icd __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
fi
loader_state=none
((loader_before > 0)) && loader_state='on the machine'
[[ $loader_from_pack == true ]] && loader_state='installed from the pack'
say "GPU: ${gpu_name:-none found by nvidia-smi}; Vulkan loader: $loader_state"

if ((DRY_RUN == 1)); then
  step dry-help 30 log "${LRA[@]}" --help
  step dry-wasm 120 json "${LRA[@]}" bench --backend wasm --mixers fnet --lengths 64 --warmup 0 --repeats 1 --no-isolate --json
  # Loads Dawn and the tfjs WebGPU backend as the project does, from the unpacked packages.
  step dry-webgpu-modules 30 log bash -c 'cd "$0/packages/models" && "$1" --input-type=module -e "for (const m of [\"webgpu\", \"@tensorflow/tfjs-backend-webgpu\"]) { await import(m); console.log(\"loaded\", m); }"' "$APP" "$NODE"
  step dry-loader-debs 30 log bash -c 'for f in "$0"/debs/*.deb; do dpkg-deb -c "$f"; done | grep -E "libvulkan\.so\.1|libGLdispatch" || { echo "no libvulkan.so.1 in the packages"; exit 1; }' "$PACK"
  steps=(dry-help dry-wasm dry-webgpu-modules dry-loader-debs)
else
  wanted() { [[ ,$ONLY, == *,$1,* ]]; }
  steps=()
  if wanted adapter; then
    step adapter 45 json "${CHECK[@]}" adapter --backend "$BACKEND"
    steps+=(adapter)
  fi
  if wanted numeric; then
    step numeric 60 json "${CHECK[@]}" numeric --backend "$BACKEND"
    steps+=(numeric)
  fi
  if wanted bench; then
    # Plain mode, every cell in a process of its own; 16384 in a step of its own, so a cell that
    # hangs or exhausts the device (attention's 16K x 16K scores) costs only the cells after it.
    # Rows logged before a kill stay in the record's log.
    step bench-short 70 json "${LRA[@]}" bench --backend "$BACKEND" --mixers "$BENCH_MIXERS" --lengths "$SHORT_LENGTHS" --warmup 1 --repeats 3 --json
    step bench-long 70 json "${LRA[@]}" bench --backend "$BACKEND" --mixers "$BENCH_MIXERS" --lengths "$LONG_LENGTH" --warmup 1 --repeats 3 --json
    "${CHECK[@]}" group --name bench --to "$OUT_DIR/bench.json" "$WORK"/steps/bench-short.json "$WORK"/steps/bench-long.json
  fi
  if wanted peer; then
    if python3 -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
      step peer 60 json python3 "$APP/packages/trainer/bench/peer/peer.py" --device cuda --mixers "$PEER_MIXERS" --lengths "$LENGTHS" --warmup 1 --repeats 3 --budget-ms 20000
    else
      : >"$WORK/logs/peer.log"
      "${CHECK[@]}" record --name peer --command python3 --to "$WORK/steps/peer.json" --output "$WORK/logs/peer.log" \
        --limit-s 0 --wall-s 0 --exit-code 0 --skipped "python3 has no torch that sees a CUDA device"
      RECORDED+=("$WORK/steps/peer.json")
    fi
    steps+=(peer)
  fi
  if wanted listops; then
    # ListOps, generated: the tiny preset generates its own short set; small and lra read a set
    # of 2,000/200/200 full-length examples (the generator's own default is 96,000 training
    # examples, minutes to make), prepared in a data root of their own and named by --set.
    counts='{"counts":{"train":2000,"val":200,"test":200}}'
    step listops-data 30 log "${LRA[@]}" data prepare --task listops --generate --generator "$counts" --out "$WORK/data-long"
    STEP_RUNS=("$WORK/runs/tiny-fftnet")
    step listops-tiny 75 log "${LRA[@]}" train --task listops --mixer fftnet --preset tiny --backend "$BACKEND" --data-dir "$WORK/data-tiny" --out "$WORK/runs/tiny-fftnet"
    STEP_RUNS=("$WORK/runs/small-fftnet")
    step listops-small 45 log "${LRA[@]}" train --task listops --mixer fftnet --preset small --backend "$BACKEND" --data-dir "$WORK/data-long" \
      --out "$WORK/runs/small-fftnet" --steps 100 --set "data.generator=$counts" train.evalEvery=100 train.evalBatches=2 train.logEvery=25
    for mixer in fftnet attention; do
      STEP_RUNS=("$WORK/runs/lra-$mixer")
      step "listops-lra50-$mixer" 45 log "${CHECK[@]}" until-step --step 50 --run "$WORK/runs/lra-$mixer" -- \
        "${LRA[@]}" train --task listops --mixer "$mixer" --preset lra --backend "$BACKEND" --data-dir "$WORK/data-long" --out "$WORK/runs/lra-$mixer" --set "data.generator=$counts" train.logEvery=50
    done
    "${CHECK[@]}" group --name listops --to "$OUT_DIR/listops.json" \
      "$WORK"/steps/listops-data.json "$WORK"/steps/listops-tiny.json "$WORK"/steps/listops-small.json \
      "$WORK"/steps/listops-lra50-fftnet.json "$WORK"/steps/listops-lra50-attention.json
  fi
fi

for name in "${steps[@]}"; do cp "$WORK/steps/$name.json" "$OUT_DIR/$name.json"; done
info=$("$NODE" -e 'const [dry, backend, gpu, loader, node, packBytes, budget, start] = process.argv.slice(1);
  console.log(JSON.stringify({ dryRun: dry === "1", backend: dry === "1" ? null : backend, gpu: gpu || null, vulkanLoader: loader, vkDriverFiles: process.env.VK_DRIVER_FILES ?? null,
    node, packBytes: Number(packBytes), budgetS: Number(budget), startedAt: new Date(Number(start) * 1000).toISOString(),
    wallS: Math.round(Date.now() / 1000 - Number(start)) }))' \
  "$DRY_RUN" "$BACKEND" "$gpu_name" "$loader_state" "$actual_node" "$pack_bytes" "$BUDGET_S" "$START")
"${CHECK[@]}" summary --to "$OUT_DIR/summary.json" --info "$info" "${RECORDED[@]}"
tar -C "$WORK" -cJf "$OUT_DIR/logs.tar.xz" logs
ok=$("$NODE" -p "require('$OUT_DIR/summary.json').ok")
say "done in $(($(date +%s) - START)) s; every step ok: $ok; files in $OUT_DIR: $(cd "$OUT_DIR" && ls | tr '\n' ' ')"
[[ $ok == true ]]
