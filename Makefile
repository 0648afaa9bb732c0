# `make run`: the portal with demo videos on http://127.0.0.1:8000, mail printed to the log.
# `make test`: the whole test suite (browser tests need Debian's chromium).
VENV ?= .venv
PYTHON := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test screenshots clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/portal demo
	$(VENV)/bin/gunicorn --bind 127.0.0.1:8000 --workers 1 --access-logfile - wsgi:app

test: $(STAMP)
	$(PYTHON) -m pytest -n 2 --dist worksteal --durations=15

screenshots: $(STAMP)
	PORTAL_SCREENSHOTS=$(CURDIR)/docs/screenshots $(PYTHON) -m pytest -q tests/test_screenshots.py

clean:
	rm -rf $(VENV) *.egg-info
