# Khánh Hòa digital-transformation assistant.
#   make run    set up (venv, install, train if the data changed) and start on http://127.0.0.1:8080
#   make test   the same set-up, then data validation, pytest and the Rasa story tests
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
MODEL  := models/assistant.tar.gz
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help install train run test test-unit validate story-test browser-deps ocr-deps lint format nlu-report simulate-day screenshots lock clean

help:
	@echo "make run        start the assistant (web chat on http://127.0.0.1:8080)"
	@echo "make test       run every test"
	@echo "make install    create .venv and install the locked dependencies"
	@echo "make train      train the model if config, domain or data changed"
	@echo "make lint       ruff + mypy"
	@echo "make nlu-report accuracy on the held-out test set"
	@echo "make simulate-day  a simulated day of traffic, every figure checked"
	@echo "make screenshots   redraw the README's pictures of the admin pages (browser tests)"

$(PY):
	@py=$$(scripts/find-python.sh) && echo "creating $(VENV) with $$py" && "$$py" -m venv $(VENV)

# Reinstall only when the dependency list or the lock changed. Then the pins of Rasa's that we
# override on purpose (requirements/overrides.txt says why): pip's resolver cannot relax them.
$(STAMP): pyproject.toml requirements/constraints.txt requirements/overrides.txt | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check "pip>=23,<25" "setuptools>=65,<71" wheel
	$(PY) -m pip install --quiet --disable-pip-version-check -c requirements/constraints.txt -e '.[dev]'
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -r requirements/overrides.txt
	@touch $(STAMP)

install: $(STAMP)

# `bot train` compares a fingerprint of config, domain, data and NLU code with the last model's;
# an unchanged project is not retrained.
train: install
	$(PY) -m bot train

run: train ocr-deps
	$(PY) -m bot run

validate: install
	$(PY) -m rasa data validate --domain domain.yml --data nlu_data --config config.yml --fail-on-warnings

test-unit: train
	$(PY) -m pytest -q

story-test: train
	$(PY) -m rasa test core --model $(MODEL) --stories tests/test_stories.yml \
	  --out results/stories --e2e --fail-on-prediction-errors

# Browser tests use Debian's Chromium; install it when missing (root, as on CI), never a
# browser build downloaded by a test tool.
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; }

# The README's pictures of the admin pages, taken by the browser tests.
screenshots: train browser-deps
	SCREENSHOTS_DIR=$(CURDIR)/docs/screenshots $(PY) -m pytest -q \
	  tests/browser/test_review_retrain_swap_browser.py tests/browser/test_desk_and_broadcast_browser.py

# Screenshots citizens send are read by Debian's Tesseract with its Vietnamese data (and the tests
# draw them with DejaVu Sans); install them when missing (root, as for Chromium).
ocr-deps:
	@{ command -v tesseract >/dev/null 2>&1 && tesseract --list-langs 2>/dev/null | grep -qx vie \
	  && [ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]; } || { \
	  echo "installing tesseract-ocr (Vietnamese) for reading screenshots"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    tesseract-ocr tesseract-ocr-vie fonts-dejavu-core >/dev/null; }

test: train validate browser-deps ocr-deps test-unit story-test

lint: install
	$(PY) -m ruff check bot actions tests benchmarks tools
	$(PY) -m ruff format --check bot actions tests benchmarks tools
	$(PY) -m mypy bot actions tools

format: install
	$(PY) -m ruff format bot actions tests benchmarks
	$(PY) -m ruff check --fix bot actions tests benchmarks

nlu-report: train
	$(PY) -m benchmarks.nlu_report

simulate-day: train
	$(PY) -m tools.simulate_day --users 450

# Overridden packages keep the pin Rasa resolves with; overrides.txt holds the installed one.
lock: $(PY)
	$(PY) -m pip freeze --exclude-editable | grep -v '^khanhhoa' \
	  | grep -v -e '^aiohttp==' -e '^aiohappyeyeballs==' > requirements/constraints.txt.new
	echo 'aiohttp==3.9.5' >> requirements/constraints.txt.new
	mv requirements/constraints.txt.new requirements/constraints.txt

clean:
	rm -rf models results .pytest_cache .mypy_cache .ruff_cache
