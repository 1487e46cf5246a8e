# Two commands do all set-up on a fresh machine (Python 3.11, as the torch wheels require):
#   make run    creates .venv if needed and opens the app (a demo project on first run)
#   make test   creates .venv if needed and runs the whole test suite
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed
PROJECT ?=

.PHONY: run test bench screenshots clean-venv

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	# --compile: this machine sets PYTHONDONTWRITEBYTECODE, without bytecode torch imports slowly.
	$(VENV)/bin/pip install --quiet --compile -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/whaleid gui $(PROJECT)

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(VENV)/bin/python -m pytest -q -p no:cacheprovider

bench: $(STAMP)
	$(VENV)/bin/python benchmarks/bench_engine.py

screenshots: $(STAMP)
	xvfb-run -a -s "-screen 0 1600x1000x24" $(VENV)/bin/python benchmarks/screenshots.py

clean-venv:
	rm -rf $(VENV)
