# The two commands: `make up` (the whole system on this machine) and `make test` (the whole suite on
# its own stack). Everything delegates to infra/stack.sh, which installs what it needs.
SHELL := /bin/bash
.DEFAULT_GOAL := help

.PHONY: help up down status test test-unit test-workflows test-faults lint bench credential chart-check

help:
	@echo "make up      install deps, start Kafka, Temporal, FerretDB and every service (idempotent)"
	@echo "make down    stop everything 'make up' started"
	@echo "make status  what is running"
	@echo "make test    the whole test suite on its own servers (ports 1xxxx, data in .state/test)"
	@echo "make lint    type check, formatting check and lint (no servers; also run by make test)"
	@echo "make bench   benchmarks against same-machine baselines (ONLY=\"ingest audit\" for some)"
	@echo "make chart-check  helm lint + kubeconform -strict of the Helm chart (also part of make test)"

up:
	@infra/stack.sh up

down:
	@infra/stack.sh down

status:
	@infra/stack.sh status

test:
	@STACK=test infra/stack.sh test

# Pure-core unit tests only: no server needed.
test-unit:
	@STACK=test infra/stack.sh run npx vitest run --project unit

# Virtual-time workflow tests only (Temporal's Java test server, installed on first use): no stack needed.
test-workflows:
	@infra/temporal/test-server.sh install && STACK=test infra/stack.sh run npx vitest run --project workflows

# The static checks only (also the first step of `make test`): tsc, prettier --check, eslint.
lint:
	@infra/stack.sh lint

# Fault injection only (also part of `make test`): kills and restarts Kafka, FerretDB, Temporal and services.
test-faults:
	@STACK=test infra/stack.sh test --project faults

# The Helm chart (deploy/helm/consent-ledger): helm lint --strict, then kubeconform -strict of every rendering.
chart-check:
	@infra/stack.sh chart-check

# All benchmarks, or some: make bench ONLY="ingest decisions"
bench:
	@STACK=test infra/stack.sh bench $(ONLY)

# Issue an API credential on the dev stack, e.g. make credential ROLE=hospital PRINCIPAL=org:rxh
credential:
	@infra/stack.sh run node --import tsx access/cli.ts create --role "$(ROLE)" --principal "$(PRINCIPAL)"
