# One command runs every check locally, the same ones CI runs (.ci/run).
.PHONY: check catalog test lint
check:
	bash .ci/run
catalog:
	.venv/bin/python -m dlrkit.catalog.build
lint:
	.venv/bin/ruff check src tests bench && .venv/bin/ruff format --check src tests bench && .venv/bin/mypy
test:
	.venv/bin/python -m pytest
