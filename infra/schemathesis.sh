#!/usr/bin/env bash
# Installs schemathesis (the OpenAPI fuzzer, from PyPI) into a cached Python venv and prints the path of
# its `st` executable. Idempotent: a second run with the venv in place only prints the path.
# Usage: infra/schemathesis.sh            → prints <cache>/schemathesis/<version>/bin/st
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Pinned: changing it is a deliberate commit (the fuzz test parses this version's output).
SCHEMATHESIS_VERSION="4.32.5"

venv="$CACHE_DIR/schemathesis/$SCHEMATHESIS_VERSION"
python_venv "$venv" schemathesis "$SCHEMATHESIS_VERSION" st --version
printf '%s\n' "$venv/bin/st"
