#!/usr/bin/env bash
# Runs the whole test suite (what CI runs). Services the tests need are started by the
# tests themselves (Chroma and llama.cpp servers on loopback).
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 ANONYMIZED_TELEMETRY=False RAGAS_DO_NOT_TRACK=true
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
