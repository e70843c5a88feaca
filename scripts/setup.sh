#!/usr/bin/env bash
# Creates .venv and installs GAIOS with pinned dependencies. Idempotent: skips the
# install when requirements.txt and pyproject.toml have not changed since the last one.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
stamp=$(cat requirements.txt pyproject.toml | sha256sum | cut -c1-16)
if [ "$(cat .venv/.gaios-installed 2>/dev/null)" != "$stamp" ]; then
  # The CPU build of torch first: an unpinned torch would pull a multi-GB CUDA build.
  .venv/bin/pip install --disable-pip-version-check -q torch==2.13.0
  # llama-cpp-python compiles from source the first time (about 5 minutes on 2 cores).
  .venv/bin/pip install --disable-pip-version-check -q -r requirements.txt
  .venv/bin/pip install --disable-pip-version-check -q --no-deps -e .
  echo "$stamp" > .venv/.gaios-installed
fi
# `setup.sh --test`: what the browser tests drive (Debian's Chromium; Playwright's own
# browser download cannot work offline).
if [ "${1:-}" = "--test" ] && [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && apt-get install -y -qq chromium >/dev/null
  else
    echo "note: /usr/bin/chromium is missing; browser tests need: sudo apt-get install chromium" >&2
  fi
fi
