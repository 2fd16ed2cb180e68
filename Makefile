# midfreq: `make run` sets up .venv and starts paper trading; `make test` sets up and runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run backtest test lint typecheck imports pytest bench clean docker-build docker-run

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "midfreq needs Python 3.11 or newer, found " + sys.version.split()[0])'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: install
	$(BIN)/midfreq run --config config/config.example.yaml

backtest: install
	$(BIN)/midfreq backtest --config config/backtest.example.yaml

lint: install
	$(BIN)/ruff format --check src tests bench examples
	$(BIN)/ruff check src tests bench examples

typecheck: install
	$(BIN)/mypy

imports: install
	$(BIN)/lint-imports

pytest: install
	$(BIN)/pytest -n 2 -q

test: lint typecheck imports pytest

bench: install
	$(BIN)/python bench/bench_backtest.py
	$(BIN)/python bench/bench_order_path.py
	$(BIN)/python bench/bench_data.py import
	$(BIN)/python bench/bench_data.py replay
	$(BIN)/python bench/bench_feed.py
	$(BIN)/python bench/bench_indicators.py
	$(BIN)/python bench/bench_strategies.py
	$(BIN)/python bench/bench_order_path.py gate
	OPENBLAS_NUM_THREADS=1 $(BIN)/python bench/bench_risk.py
	$(BIN)/python bench/bench_router.py
	$(BIN)/python bench/bench_algos.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache build *.egg-info

docker-build:
	docker compose build

docker-run:
	docker compose up
