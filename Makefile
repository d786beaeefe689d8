# Set-up and common tasks. Requires GNU make and a POSIX shell.
#   make venv   create .venv (Python >= 3.12) and install the project with [dev,fast,ema] extras
#   make run    run the default simulation (extra arguments: make run ARGS="...")
#   make test   run the test suite (extra arguments: make test PYTEST_ARGS="...")
#   make clean  remove .venv and caches
# Override the interpreter with: make venv PYTHON=/path/to/python3.12

VENV    := .venv
VENV_PY := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
ARGS        ?=
PYTEST_ARGS ?=

.DEFAULT_GOAL := venv
.PHONY: venv run test clean FORCE

# Is the existing venv usable (runs, and is Python >= 3.12)? If not, force
# the install step, which then recreates the venv from scratch.
VENV_OK := $(shell $(VENV_PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1 && echo yes)
ifneq ($(VENV_OK),yes)
$(STAMP): FORCE
endif

venv: $(STAMP)

$(STAMP): pyproject.toml
	@set -e; \
	if ! $(VENV_PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then \
	    py=$$(PYTHON="$(PYTHON)" sh scripts/find_python.sh); \
	    echo "Creating $(VENV) with $$py ($$("$$py" --version 2>&1))"; \
	    rm -rf $(VENV); \
	    "$$py" -m venv $(VENV); \
	fi; \
	echo "Installing project into $(VENV) (pip install -e \".[dev,fast,ema]\")"; \
	$(VENV_PY) -m pip install -q --disable-pip-version-check --upgrade pip; \
	$(VENV_PY) -m pip install -q --disable-pip-version-check -e ".[dev,fast,ema]"; \
	touch $(STAMP)

FORCE:

run: venv
	$(VENV_PY) run.py simulate $(ARGS)

test: venv
	$(VENV_PY) -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis build dist *.egg-info
	find . -path ./.git -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +
