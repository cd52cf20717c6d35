#!/usr/bin/env bash
# Installs the CloudEvents Python SDK (from PyPI) into a cached venv and prints the path of its python.
# The interop test (test/interfaces/cloudevents.int.spec.ts) decodes every topic's records with it, as a
# Python data user would. Idempotent: a second run with the venv in place only prints the path.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Pinned: changing it is a deliberate commit.
CLOUDEVENTS_PY_VERSION="2.2.0"

venv="$CACHE_DIR/cloudevents-python/$CLOUDEVENTS_PY_VERSION"
python_venv "$venv" cloudevents "$CLOUDEVENTS_PY_VERSION" python -c 'import cloudevents.core.bindings.kafka'
printf '%s\n' "$venv/bin/python"
