# Each target runs exactly what CI runs (`make ci` is CI itself).
.PHONY: install demo test lint format ci

install:
	pip install -e ".[dev]"

demo:
	pip install -e ".[onnx]" && shipyard demo

# The README's test command: the whole suite, static checks included (tests/quality).
test:
	pip install -e ".[dev]" && pytest

# The static checks alone, as tests/quality runs them.
lint:
	ruff check src tests examples bench
	ruff format --check src tests examples bench
	mypy
	lint-imports

format:
	ruff format src tests examples bench
	ruff check --fix src tests examples bench

ci:
	bash .ci/run
