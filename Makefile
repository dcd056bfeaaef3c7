# The user's entry points. Every target builds first (incremental), so a fresh clone needs only `npm ci`.
#   make train TASK=listops MIXER=fftnet [PRESET=lra|small|tiny] [STEPS=N] [SEED=S] [BACKEND=auto|wasm|...]
#              [OUT=runs/x] [CONFIG=experiments/...json] [SET="train.lr=0.001 model.layers=2"] [RESUME=1] [OVERWRITE=1]
#   make eval RUN=runs/x [SPLIT=test]
#   make data TASK=listops [SOURCE=path/to/lra_release | GENERATE=1]   (neither: download the official archive)
#   make report [RUNS=runs] [OUT=leaderboard.md]      make sweep SWEEP=experiments/sweeps/listops-tiny.json [WORKERS=2]
#   make lra-check [PRESET=lra]     every task x mixer: params, micro-batch, predicted/measured peak, ms/step, ETA
#   make mixers | make test | make bench      make analyze RUN=runs/x [SPLIT=test] [BATCHES=2]
#   make dashboard [RUNS=runs] [PORT=0] [HOST=127.0.0.1]   a local web page of the runs (live progress, curves, leaderboard) until Ctrl-C
#   make ablate TASK=listops|image [PRESET=tiny] [WORKERS=2]   spectral-filter ablation grid (experiments/ablations/):
#              lra sweep --analyze, then lra report --ablation (table; ablation.{md,html} and chart in the results folder)
#   make gpu-pack      gpu-pack/ (git-ignored): Node (xz), the built project with its production node_modules and the
#              Vulkan loader packages, under 64 MiB with the tracked files; scripts/gpu-check.sh runs it on a GPU (docs/gpu.md)
#   make test-gpu-pack make gpu-pack, then scripts/gpu-check.sh --dry-run (unpacks it, runs lra from it on wasm); not in make test
#   make test-slurm    a one-node Slurm cluster (munged, slurmctld, slurmd as root, all in a temporary folder) runs
#              `lra sweep --emit slurm`'s job array of a 2-run tiny sweep; checks both reports and `lra report`; about 15 s;
#              skipped, naming `make slurm-deps`, where Slurm is absent; not in make test (docs/design.md, "Scale")
#   make slurm-deps    apt-get installs Debian's slurmctld, slurmd, slurm-client and munge (root); nothing else installs them

TASK    ?= listops
MIXER   ?= attention
PRESET  ?= lra
SPLIT   ?= test
LRA     := node packages/trainer/bin/lra.js

opt = $(if $(2),$(1) $(2))

.PHONY: gpu-pack test-gpu-pack test-slurm slurm-deps
.PHONY: lra-check build check train eval data mixers report sweep test bench bench-peer bench-ops-peer profile-step clean lint-docker analyze ablate dashboard

build:
	@npx tsc -b

check:
	npx tsc -b

train: build
	$(LRA) train --task $(TASK) --mixer $(MIXER) --preset $(PRESET) \
	  $(call opt,--steps,$(STEPS)) $(call opt,--seed,$(SEED)) $(call opt,--backend,$(BACKEND)) \
	  $(call opt,--out,$(OUT)) $(call opt,--config,$(CONFIG)) $(call opt,--data-dir,$(DATA_DIR)) \
	  $(if $(SET),--set $(SET)) $(if $(RESUME),--resume) $(if $(OVERWRITE),--overwrite)

eval: build
	$(LRA) eval --run $(RUN) --split $(SPLIT) $(if $(JSON),--json)

data: build
	$(LRA) data prepare --task $(TASK) $(if $(SOURCE),--source $(SOURCE),$(if $(GENERATE),--generate,--download)) $(call opt,--out,$(DATA_DIR))

mixers: build
	$(LRA) mixers

RUNS ?= runs
report: build
	$(LRA) report $(RUNS) $(call opt,--out,$(OUT))

dashboard: build
	$(LRA) dashboard $(RUNS) $(call opt,--port,$(PORT)) $(call opt,--host,$(HOST))

sweep: build
	$(LRA) sweep $(SWEEP) $(call opt,--workers,$(WORKERS)) $(call opt,--emit,$(EMIT))

# PRESET=tiny picks the CPU-sized grid (<task>-tiny.json); any other PRESET the file's own (small).
ABLATE_NAME = $(TASK)$(if $(filter tiny,$(PRESET)),-tiny)
ablate: build
	$(LRA) sweep experiments/ablations/$(ABLATE_NAME).json --workers $(or $(WORKERS),2) --analyze
	$(LRA) report runs/ablations/$(ABLATE_NAME) --ablation

# make lra-check [PRESET=lra] [TASKS=listops,...] [MIXERS=a,b] [WORKERS=2] [BUDGET_S=60]: every task x mixer at the
# preset built, memory-planned and trained for 2 steps, one table (runs/check/<preset>-check.md; docs/speed.md).
lra-check: build
	$(LRA) check --preset $(PRESET) $(call opt,--tasks,$(TASKS)) $(call opt,--mixers,$(MIXERS)) \
	  $(call opt,--workers,$(WORKERS)) $(call opt,--budget-s,$(BUDGET_S)) $(call opt,--backend,$(BACKEND))

test:
	npx tsc -b
	npx vitest run

analyze: build
	$(LRA) analyze --run $(RUN) $(call opt,--split,$(SPLIT)) $(call opt,--batches,$(BATCHES))

# make bench [MIXERS=a,b] [LENGTHS=1024,...] [BUDGET_MS=12000] [BENCH_OUT=runs/bench]: the LRA speed table
# (docs/speed.md); make bench-peer [PEER_THREADS=1,2]: attention, fnet, fftnet against PyTorch (skipped without it),
# both sides at each thread count (ours: wasm threads, PyTorch: torch.set_num_threads); default every core.
# THREADS=N (make bench): the wasm backend's threads.
comma := ,
BENCH_OUT ?= runs/bench
bench: build
	$(LRA) bench --table $(if $(MIXERS),--mixers $(MIXERS)) $(if $(LENGTHS),--lengths $(LENGTHS)) \
	  $(call opt,--budget-ms,$(BUDGET_MS)) $(call opt,--threads,$(THREADS)) --out $(BENCH_OUT)

bench-peer: build
	$(LRA) bench --peer $(if $(MIXERS),--mixers $(MIXERS)) $(if $(LENGTHS),--lengths $(LENGTHS)) \
	  $(call opt,--budget-ms,$(BUDGET_MS)) $(call opt,--threads,$(PEER_THREADS)) --out $(BENCH_OUT)

# make bench-ops-peer [PEER_THREADS=1,2] [OPS=rfft,irfft,fft,ifft] [ROWS=512] [LENGTHS=4096]: each spectral
# op, forward and forward + backward, against torch.fft at the same thread count (one process per count).
bench-ops-peer: build
	@for t in $(if $(PEER_THREADS),$(subst $(comma), ,$(PEER_THREADS)),1 2); do \
	  $(LRA) bench --ops $(if $(OPS),$(OPS),rfft$(comma)irfft$(comma)fft$(comma)ifft) --rows $(or $(ROWS),512) --lengths $(or $(LENGTHS),4096) --peer --threads $$t || exit 1; \
	done

# make profile-step [MIXERS=attention] [LENGTHS=1024]: one wasm training step, kernel by kernel (docs/performance.md).
profile-step: build
	npx vite-node packages/models/bench/profile-step.ts -- --mixers $(or $(MIXERS),attention) --lengths $(or $(LENGTHS),1024)

lint-docker:
	npx --yes dockerfilelint@1.8.0 docker/Dockerfile.cpu docker/Dockerfile.gpu

clean:
	rm -rf packages/*/dist packages/*/tsconfig.tsbuildinfo

# The GPU check's pack and its rehearsal here (docs/gpu.md). GPU_CHECK_OUT: where the dry run writes.
gpu-pack: build
	scripts/gpu-pack.sh

GPU_CHECK_OUT ?= runs/gpu-check-dry
test-gpu-pack: gpu-pack
	scripts/gpu-check.sh --dry-run --out $(GPU_CHECK_OUT)

# Slurm for real (docs/design.md, "Scale beyond one machine"): the test starts its own daemons, as root.
test-slurm: build
	npx vitest run --config vitest.slurm.config.ts

SLURM_PACKAGES := slurmctld slurmd slurm-client munge
slurm-deps:
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(SLURM_PACKAGES)
