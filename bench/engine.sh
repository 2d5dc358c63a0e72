#!/usr/bin/env bash
# Stack-engine benchmark: devenv vs the old python docker-compose 1.29, side by side in one
# run, on the 3-service stack of the tests (PostgreSQL with a healthcheck, web, worker).
# Prints medians and ratios; not a test (the machine is noisy). Needs the local test images
# (tests/images/build.sh) and a release build (cargo build --release).
#   bench/engine.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
devenv=$PWD/target/release/devenv
[ -x "$devenv" ] || { echo "build first: cargo build --release" >&2; exit 2; }
command -v docker-compose >/dev/null || { echo "docker-compose (1.29) is not installed" >&2; exit 2; }
work=$(mktemp -d)
trap 'cd /; (cd "$work" && "$devenv" -p bdv down -v -t 0 >/dev/null 2>&1; docker-compose -p bdc down -v -t 0 >/dev/null 2>&1); rm -rf "$work"' EXIT
cat > "$work/compose.yaml" <<'YAML'
services:
  db:
    image: devenv-test/postgres:15
    environment: {POSTGRES_PASSWORD: secret, POSTGRES_DB: app}
    healthcheck:
      test: ["CMD-SHELL", "pg_isready -U postgres -d app"]
      interval: 1s
      timeout: 3s
      retries: 30
    volumes: [dbdata:/var/lib/postgresql/data]
  web:
    image: devenv-test/busybox:latest
    command: ["sh", "-c", "mkdir -p /www && echo hi > /www/index.html && exec httpd -f -p 8080 -h /www"]
    ports: ["127.0.0.1::8080"]
    stop_grace_period: 3s
    depends_on:
      db: {condition: service_healthy}
  worker:
    image: devenv-test/busybox:latest
    command: ["sleep", "3600"]
    stop_grace_period: 3s
    depends_on: [db]
volumes:
  dbdata:
YAML
cd "$work"

now() { date +%s%N; }
# time_ms CMD... : run once, print milliseconds
time_ms() { local s e; s=$(now); "$@" >/dev/null 2>&1 || { echo "FAILED: $*" >&2; return 1; }; e=$(now); echo $(( (e - s) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print int((a[NR/2]+a[NR/2+1])/2)}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "n/a"; else printf "%.2f", a / b }'; }

dv() { "$devenv" -p bdv --no-progress "$@"; }
dc() { docker-compose -p bdc "$@"; }

echo "== cold up until healthy ($runs runs each, alternating)"
cold_dv=(); cold_dc=()
for _ in $(seq "$runs"); do
  dv down -v -t 0 >/dev/null 2>&1 || true; dc down -v -t 0 >/dev/null 2>&1 || true
  cold_dv+=("$(time_ms dv up)")
  cold_dc+=("$(time_ms dc up -d)")
done
m_dv=$(printf '%s\n' "${cold_dv[@]}" | median); m_dc=$(printf '%s\n' "${cold_dc[@]}" | median)
echo "devenv up: ${m_dv} ms   docker-compose up -d: ${m_dc} ms   ratio devenv/compose: $(ratio "$m_dv" "$m_dc") (target <= 1.0)"

echo "== warm no-op up ($((runs * 2)) runs each)"
warm_dv=(); warm_dc=()
for _ in $(seq $((runs * 2))); do
  warm_dv+=("$(time_ms dv up)")
  warm_dc+=("$(time_ms dc up -d)")
done
w_dv=$(printf '%s\n' "${warm_dv[@]}" | median); w_dc=$(printf '%s\n' "${warm_dc[@]}" | median)
echo "devenv up: ${w_dv} ms   docker-compose up -d: ${w_dc} ms   ratio: $(ratio "$w_dv" "$w_dc") (target <= 0.25, aim < 100 ms)"

echo "== down; web and worker ignore SIGTERM (busybox as PID 1), grace period 3 s"
d_dv=$(time_ms dv down -v); d_dc=$(time_ms dc down -v)
echo "devenv down: ${d_dv} ms   docker-compose down: ${d_dc} ms   ratio: $(ratio "$d_dv" "$d_dc") (one grace period = 3000 ms)"

echo "== devenv --help (20 runs)"
helps=(); for _ in $(seq 20); do helps+=("$(time_ms "$devenv" --help)"); done
echo "devenv --help: $(printf '%s\n' "${helps[@]}" | median) ms (target < 10 ms)"
