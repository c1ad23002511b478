# fastgan: `make demo` and `make test` work on a fresh clone; everything installs into .venv.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.fastgan-installed
BUILT := $(VENV)/.fastgan-built
TORCH_VERSION ?= 2.13.0
NVCC ?= $(shell command -v nvcc 2>/dev/null)
NVCC_ARCHS := -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90
SOURCES := setup.py pyproject.toml $(wildcard csrc/*.cpp csrc/cpu/*.cpp csrc/cuda/*.cu csrc/cuda/*.cpp csrc/include/fastgan/*.h csrc/include/fastgan/*/*.h)

# ninja from the venv is found by torch's extension builder through PATH.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: install test test-slow check-cuda bench demo gpu-check clean

install: $(BUILT)

# Environment and an editable install (which also builds the extension once).
$(STAMP): pyproject.toml setup.py
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -c "import torch" 2>/dev/null || $(PIP) install "torch==$(TORCH_VERSION)"
	$(PIP) install "setuptools>=64" wheel ninja
	$(PIP) install --no-build-isolation -e ".[test]"
	# The anchors the drop-in tests compare with, without their dependencies (which
	# would pull a CUDA torch or torchvision); tests skip what cannot be imported.
	# torch-fidelity and clean-fid go to a folder off sys.path: their package __init__
	# imports torchvision, and torchmetrics imports torch-fidelity whenever it can find it.
	$(PIP) install --no-deps "torchmetrics==1.9.0" "lightning-utilities==0.15.3"
	# The Vendi score's own package (an sdist; numpy, scipy and scikit-learn are here already).
	$(PIP) install --no-deps --no-build-isolation "vendi-score==0.0.3"
	$(PIP) install --no-deps --upgrade --target $(VENV)/anchors "torch-fidelity==0.4.0" "clean-fid==0.1.35"
	# The DINOv2/CLIP reference (transformers, pyproject extra "refnets"), also off sys.path.
	$(PIP) install --no-deps --upgrade --target $(VENV)/refnets "transformers==5.25.0" "huggingface-hub==2.4.0" "safetensors==0.8.0" "tokenizers==0.23.3" "regex==2026.11.19" "pyyaml==6.0.4" "httpx2==2.16.2" "httpcore2==2.16.2" "anyio==4.16.0" "h11==0.16.0" "idna==3.20" "certifi==2026.10.19.post1" "truststore==0.10.5"
	touch $(STAMP)

# Later C++/CUDA edits rebuild in place, incrementally (ninja keeps build/).
$(BUILT): $(STAMP) $(SOURCES)
	$(PY) setup.py -q build_ext --inplace
	touch $(BUILT)

# Compile-check every CUDA source where nvcc exists (no GPU needed): the kernels
# with nvcc, the glue with g++ against torch's headers. A CPU build of torch lacks
# one generated CUDA header, so an empty stand-in is provided for the check only.
CHECK_DIR := build/cuda-check
TORCH_INCLUDE = $(shell $(PY) -c "import torch, os; print(os.path.join(os.path.dirname(torch.__file__), 'include'))")
CUDA_HOME ?= /usr/local/cuda
CUDA_INCLUDE := $(CUDA_HOME)/include

check-cuda: install
ifneq ($(NVCC),)
	@mkdir -p $(CHECK_DIR)/stub/c10/cuda/impl
	@test -f $(CHECK_DIR)/stub/c10/cuda/impl/cuda_cmake_macros.h || echo '#pragma once' > $(CHECK_DIR)/stub/c10/cuda/impl/cuda_cmake_macros.h
	@for f in csrc/cuda/*.cu; do \
		echo "nvcc -c $$f"; \
		$(NVCC) -std=c++17 -O3 --fmad=false $(NVCC_ARCHS) -Icsrc/include -c $$f -o $(CHECK_DIR)/kernel.o || exit 1; \
	done
	@for f in csrc/cuda/*_glue.cpp; do \
		echo "g++ -fsyntax-only $$f"; \
		g++ -std=c++20 -fsyntax-only -DFASTGAN_WITH_CUDA -Icsrc/include -I$(TORCH_INCLUDE) \
			-I$(TORCH_INCLUDE)/torch/csrc/api/include -I$(CUDA_INCLUDE) -I$(CHECK_DIR)/stub $$f || exit 1; \
	done
else
	@echo "nvcc not found: skipping the CUDA compile check"
endif

test: install check-cuda
	$(PY) -m pytest -q

test-slow: install
	$(PY) -m pytest -q -m slow

BENCH_STAMP := $(VENV)/.fastgan-bench

$(BENCH_STAMP): $(STAMP)
	$(PIP) install --no-build-isolation -e ".[test,bench]"
	touch $(BENCH_STAMP)

bench: install $(BENCH_STAMP)
	mkdir -p benchmarks/results
	$(PY) -m pytest benchmarks -q --benchmark-only \
		--benchmark-json=benchmarks/results/bench-$$(date +%Y%m%d-%H%M%S).json

# On a GPU machine whose Python already has a CUDA build of torch: build the extension
# against it (pip --no-deps), run the CUDA tests and the GPU benchmarks, write
# gpu-check/summary.json and gpu-check/gpu-check.log (README "GPU check"). Deliberately
# not `install`: that could pip install a CPU torch. Fails (exit 3) without a GPU.
GPU_CHECK_PYTHON ?= $(if $(wildcard $(PY)),$(PY),python3)
GPU_CHECK_ARGS ?=

gpu-check:
	$(GPU_CHECK_PYTHON) tools/gpu_check.py $(GPU_CHECK_ARGS)

demo: install
	$(VENV)/bin/fastgan demo

clean:
	rm -rf build *.egg-info fastgan/_C*.so $(STAMP) $(BUILT) $(BENCH_STAMP)
