# Vitrine: `make run` starts the whole product locally, `make test` checks everything.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
GRAPHIQL := gateway/graphiql
NODE_TOOLS := render_jobs/node
STOREFRONT := client_examples/web
E2E_NODE := tests/e2e/node

.PHONY: install run test lint typecheck browser schema schema-check bench lambda-bundle synth clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml $(GRAPHIQL)/package-lock.json $(NODE_TOOLS)/package-lock.json $(STOREFRONT)/package-lock.json $(E2E_NODE)/package-lock.json
	$(BIN)/python -m pip install --quiet -e ".[dev,infra]"
	cd $(GRAPHIQL) && npm ci --no-audit --no-fund --loglevel=error
	cd $(NODE_TOOLS) && npm ci --no-audit --no-fund --loglevel=error
	cd $(STOREFRONT) && npm ci --no-audit --no-fund --loglevel=error
	cd $(E2E_NODE) && npm ci --no-audit --no-fund --loglevel=error
	touch $(STAMP)

install: $(STAMP) ## Create the virtualenv and install Python and npm dependencies

run: install ## Start the local stack, seed the demo catalog and serve the API on :8000
	$(BIN)/vitrine serve --local

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy gateway schema resolvers datasources render_jobs infra_cdk

# Debian's Chromium for the browser tests; they skip with the reason where it cannot be installed.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
	  && (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || echo "Chromium not installed: browser tests will be skipped"; }

test: install lint typecheck browser ## Lint, type-check and run every test
	$(BIN)/pytest -q -p no:cacheprovider

schema: install ## Regenerate schema/schema.graphql and the trusted-documents manifest
	$(BIN)/vitrine schema export
	$(BIN)/vitrine schema trusted-documents

schema-check: install
	$(BIN)/vitrine schema check
	$(BIN)/vitrine schema trusted-documents --check

bench: install ## Benchmarks; writes docs/benchmarks.md and docs/benchmarks-{search,ingest,quality,subscriptions,edge}.md and docs/cold-start.md
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.search
	$(BIN)/python -m bench.ingest
	$(BIN)/python -m bench.quality
	$(BIN)/python -m bench.subscriptions
	$(BIN)/python -m bench.edge
	$(BIN)/python -m bench.cold_start

lambda-bundle: install ## Gateway function code: packages + Linux wheels (no Docker)
	$(BIN)/python -m infra_cdk.bundle build/lambda

synth: lambda-bundle ## Synthesize the CDK app into cdk.out (cdk-nag checked)
	JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20 CDK_OUTDIR=cdk.out $(BIN)/python -m infra_cdk.app

clean:
	rm -rf cdk.out build $(VENV) $(GRAPHIQL)/node_modules $(NODE_TOOLS)/node_modules $(STOREFRONT)/node_modules .vitrine
