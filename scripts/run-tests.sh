#!/usr/bin/env bash
# Quick start, command 2: install everything (test tools and the optional systems ZooKeeper and
# etcd, so their tests run), build every target, run every test (ctest labels unit, sim, e2e).
# Every label runs two at a time (e2e tests start real processes on their own loopback addresses;
# the CI detection matrix and shrink tests run alone, RUN_SERIAL: their faults must land in short
# windows a loaded machine can miss). Tests that need an optional system that is absent skip with
# a line saying so.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --all
BUILD_DIR=${BUILD_DIR:-build}
status=0
ctest --test-dir "$BUILD_DIR" --output-on-failure -j2 -L 'unit|sim' || status=1
ctest --test-dir "$BUILD_DIR" --output-on-failure -j2 -L e2e || status=1
exit $status
