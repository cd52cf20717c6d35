#!/usr/bin/env bash
# Installs the CloudEvents Python SDK (from PyPI) into a cached venv and prints the path of its python.
# The interop test (test/interfaces/cloudevents.int.spec.ts) decodes every topic's records with it, as a
# Python data user would. Idempotent: a second run with the venv in place only prints the path.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Pinned: changing it is a deliberate commit.
CLOUDEVENTS_PY_VERSION="2.2.0"

venv="$CACHE_DIR/cloudevents-python/$CLOUDEVENTS_PY_VERSION"
py="$venv/bin/python"
# The marker is written last, so a half-finished install (killed mid-pip) is redone, not trusted.
if [[ ! -f "$venv/.installed" ]]; then
  command -v python3 >/dev/null || die "python3 is needed for the CloudEvents Python SDK"
  log "installing cloudevents $CLOUDEVENTS_PY_VERSION (Python) into $venv"
  rm -rf "$venv"
  mkdir -p "$(dirname "$venv")"
  python3 -m venv "$venv"
  "$py" -m pip install --quiet --disable-pip-version-check "cloudevents==$CLOUDEVENTS_PY_VERSION" >&2
  "$py" -c 'import cloudevents.core.bindings.kafka' >&2 || die "cloudevents installed but $py cannot import its Kafka binding"
  touch "$venv/.installed"
fi
printf '%s\n' "$py"
