# The user's entry points. Every target builds first (incremental), so a fresh clone needs only `npm ci`.
#   make train TASK=listops MIXER=fftnet [PRESET=lra|small|tiny] [STEPS=N] [SEED=S] [BACKEND=auto|wasm|...]
#              [OUT=runs/x] [CONFIG=experiments/...json] [SET="train.lr=0.001 model.layers=2"] [RESUME=1]
#   make eval RUN=runs/x [SPLIT=test]
#   make data TASK=listops [SOURCE=path/to/lra_release | GENERATE=1]   (neither: download the official archive)
#   make report [RUNS=runs] [OUT=leaderboard.md]      make sweep SWEEP=experiments/sweeps/listops-tiny.json [WORKERS=2]
#   make mixers | make test | make bench

TASK    ?= listops
MIXER   ?= attention
PRESET  ?= lra
SPLIT   ?= test
LRA     := node packages/trainer/bin/lra.js

opt = $(if $(2),$(1) $(2))

.PHONY: build check train eval data mixers report sweep test bench clean

build:
	@npx tsc -b

check:
	npx tsc -b

train: build
	$(LRA) train --task $(TASK) --mixer $(MIXER) --preset $(PRESET) \
	  $(call opt,--steps,$(STEPS)) $(call opt,--seed,$(SEED)) $(call opt,--backend,$(BACKEND)) \
	  $(call opt,--out,$(OUT)) $(call opt,--config,$(CONFIG)) $(call opt,--data-dir,$(DATA_DIR)) \
	  $(if $(SET),--set $(SET)) $(if $(RESUME),--resume)

eval: build
	$(LRA) eval --run $(RUN) --split $(SPLIT) $(if $(JSON),--json)

data: build
	$(LRA) data prepare --task $(TASK) $(if $(SOURCE),--source $(SOURCE),$(if $(GENERATE),--generate,--download)) $(call opt,--out,$(DATA_DIR))

mixers: build
	$(LRA) mixers

RUNS ?= runs
report: build
	$(LRA) report $(RUNS) $(call opt,--out,$(OUT))

sweep: build
	$(LRA) sweep $(SWEEP) $(call opt,--workers,$(WORKERS)) $(call opt,--emit,$(EMIT))

test:
	npx tsc -b
	npx vitest run

bench: build
	$(LRA) bench $(if $(MIXERS),--mixers $(MIXERS)) $(if $(LENGTHS),--lengths $(LENGTHS))

clean:
	rm -rf packages/*/dist packages/*/tsconfig.tsbuildinfo
