#!/usr/bin/env bash
# Debian's chromium for the audit report screenshot test (headless). Idempotent: installs only when
# missing. Needs root (CI and the dev machines run as root); prints the binary's path on success.
set -euo pipefail

find_chromium() { command -v chromium || command -v chromium-browser || true; }

bin="$(find_chromium)"
if [[ -z "$bin" ]]; then
  # One installer at a time: a second caller waits for the first instead of racing dpkg's lock.
  exec 9>/tmp/consent-ledger-chromium.lock
  flock 9
  bin="$(find_chromium)"
  if [[ -z "$bin" ]]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >&2
    bin="$(find_chromium)"
  fi
fi
[[ -n "$bin" ]] || { echo "chromium could not be installed" >&2; exit 1; }
echo "$bin"
