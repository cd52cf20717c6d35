#!/usr/bin/env bash
# Installs schemathesis (the OpenAPI fuzzer, from PyPI) into a cached Python venv and prints the path of
# its `st` executable. Idempotent: a second run with the venv in place only prints the path.
# Usage: infra/schemathesis.sh            → prints <cache>/schemathesis/<version>/bin/st
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Pinned: changing it is a deliberate commit (the fuzz test parses this version's output).
SCHEMATHESIS_VERSION="4.32.5"

venv="$CACHE_DIR/schemathesis/$SCHEMATHESIS_VERSION"
st="$venv/bin/st"
# The marker is written last, so a half-finished install (killed mid-pip) is redone, not trusted.
if [[ ! -f "$venv/.installed" ]]; then
  command -v python3 >/dev/null || die "python3 is needed for schemathesis"
  log "installing schemathesis $SCHEMATHESIS_VERSION into $venv"
  rm -rf "$venv"
  mkdir -p "$(dirname "$venv")"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION" >&2
  "$st" --version >&2 || die "schemathesis installed but $st does not run"
  touch "$venv/.installed"
fi
printf '%s\n' "$st"
