#!/usr/bin/env bash
# First-day benchmark: `devenv init` (target < 100 ms) and `devenv doctor` on the template
# (target < 1 s, not counting the engine's own latency, shown beside it as `docker version`).
# Medians over several runs; not a test. Needs a release build and, for doctor's image checks,
# the local test images (tests/images/build.sh).
#   bench/first_day.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}
devenv=$PWD/target/release/devenv
[ -x "$devenv" ] || { echo "build first: cargo build --release" >&2; exit 2; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT

now() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print int((a[NR/2]+a[NR/2+1])/2)}'; }
time_us() { local s e; s=$(now); "$@" >/dev/null 2>&1 || true; e=$(now); echo $(( (e - s) / 1000 )); }

inits=()
for i in $(seq "$runs"); do inits+=("$(time_us "$devenv" init "$work/app$i")"); done
echo "devenv init: $(printf '%s\n' "${inits[@]}" | median | awk '{printf "%.1f", $1/1000}') ms median (target < 100 ms)"

doctors=(); engines=()
for _ in $(seq "$runs"); do
  doctors+=("$(time_us "$devenv" -C "$work/app1" doctor)")
  engines+=("$(time_us docker version)")
done
d=$(printf '%s\n' "${doctors[@]}" | median); e=$(printf '%s\n' "${engines[@]}" | median)
echo "devenv doctor: $(awk -v d="$d" 'BEGIN{printf "%.1f", d/1000}') ms median; the engine's own round trip (docker version): $(awk -v e="$e" 'BEGIN{printf "%.1f", e/1000}') ms (target < 1000 ms)"

# `up --offline` with a base image missing must fail within 2 s, naming it.
offs=()
for _ in $(seq 5); do
  offs+=("$(PYTHON_IMAGE=devenv-test/not-pulled-python:3.11 time_us "$devenv" -C "$work/app1" -p benchoffline up --offline)")
done
echo "devenv up --offline, base image missing (fails naming it): $(printf '%s\n' "${offs[@]}" | median | awk '{printf "%.1f", $1/1000}') ms median (target < 2000 ms)"
