# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8501
RUNTIME_STAMP := $(VENV)/.runtime-installed
DEV_STAMP     := $(VENV)/.dev-installed

.PHONY: run test e2e lint bench bench-engine bench-pages chromium clean-db help

help:
	@echo "make run    - install, seed the demo organization if the database is empty, start on :$(PORT)"
	@echo "make test   - install test tools and run the test suite (SQLite and PostgreSQL)"
	@echo "make e2e    - real-browser tests in headless Chromium"
	@echo "make bench  - ingest benchmarks (prints a table)"
	@echo "make bench-engine - recommendation benchmark of issue 3 (python -m core bench)"
	@echo "make bench-pages  - page speed on a 5,000-employee organization (AppTest)"
	@echo "make lint   - ruff"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(RUNTIME_STAMP): requirements.txt constraints.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt -c constraints.txt
	touch $@

$(DEV_STAMP): requirements-dev.txt $(RUNTIME_STAMP)
	$(BIN)/pip install --quiet -r requirements-dev.txt -c constraints.txt
	touch $@

run: $(RUNTIME_STAMP)
	$(BIN)/python -m core demo --if-empty --train
	$(BIN)/streamlit run app.py --server.port $(PORT)

test: $(DEV_STAMP)
	$(BIN)/python -m pytest -m "not e2e" -q

chromium:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null)

e2e: $(DEV_STAMP) chromium
	$(BIN)/python -m pytest -m e2e tests/e2e -q

lint: $(DEV_STAMP)
	$(BIN)/ruff check .

bench: $(RUNTIME_STAMP)
	$(BIN)/python -m benchmarks.ingest_bench

bench-engine: $(RUNTIME_STAMP)
	$(BIN)/python -m core bench

bench-pages: $(RUNTIME_STAMP)
	$(BIN)/python -m benchmarks.page_bench

clean-db:
	rm -f data/app.db data/app.db-wal data/app.db-shm
