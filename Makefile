# Gatehouse: the two commands a user needs are `make run` and `make test`.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps build run test bench clean format fuzz

all: build

deps:
	@bash scripts/install-deps.sh

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)

build: deps $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	@bash scripts/quickstart.sh $(BUILD_DIR)/gatehouse

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j 2 --timeout 900
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(TEST_FUZZ_SECONDS)

# Coverage-guided fuzzing (libFuzzer, ASan+UBSan; clang build of its own in
# $(BUILD_DIR)/fuzz): every target for FUZZ_SECONDS each; `make test` runs a short pass.
FUZZ_SECONDS ?= 60
# make test only replays the saved regressions and seeds (deterministic); make fuzz hunts.
TEST_FUZZ_SECONDS ?= 0
fuzz: deps
	@FUZZ_SECONDS=$(FUZZ_SECONDS) JOBS=$(JOBS) bash tests/fuzz/run.sh $(BUILD_DIR)/fuzz

bench: build
	@bash scripts/install-deps.sh --bench
	@bash bench/run.sh $(BUILD_DIR)/gatehouse

format:
	clang-format -i $$(git ls-files '*.h' '*.cc')

clean:
	rm -rf $(BUILD_DIR)
