#!/usr/bin/env bash
# Quick start, command 1: install, build, and run the default chaos suite (workloads/quick.yaml)
# against a local 3-node zabd cluster. Exit code: 0 valid, 1 anomaly found, 2 could not run.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec build/bin/faultline run workloads/quick.yaml "$@"
