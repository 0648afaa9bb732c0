# `make run`: the portal with demo videos on http://127.0.0.1:8000, mail printed to the log;
# `make run PORT=8080` serves on another port, and the links in mails follow it.
# `make test`: the whole test suite (browser tests need Debian's chromium).
VENV ?= .venv
PYTHON := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8000
PORTAL_PUBLIC_URL ?= http://127.0.0.1:$(PORT)

.PHONY: run test screenshots clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	PORTAL_PUBLIC_URL='$(PORTAL_PUBLIC_URL)' $(VENV)/bin/portal demo
	PORTAL_PUBLIC_URL='$(PORTAL_PUBLIC_URL)' $(VENV)/bin/gunicorn --bind 127.0.0.1:$(PORT) --workers 1 \
		--access-logfile - wsgi:app

test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(PYTHON) -m pytest -n 2 --dist worksteal --durations=15

screenshots: $(STAMP)
	PORTAL_SCREENSHOTS=$(CURDIR)/docs/screenshots $(PYTHON) -m pytest -q tests/test_screenshots.py

clean:
	rm -rf $(VENV) *.egg-info
