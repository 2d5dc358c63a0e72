#!/usr/bin/env bash
# Benchmarks for `devenv vendor`, each side by side with its peer in one run (medians):
#   verify of 1,000 files (~200 MB)   vs  sha256sum -c           (target: >= 2x faster)
#   sync with all 1,000 files in place (absolute; target < 50 ms, and no network)
#   scan of a 50,000-file tree         vs  rg on the CDN hosts    (target: within 2x)
# Data is generated in a temp folder and removed afterwards. Needs hyperfine, rg, python3.
#   usage: bench/vendor.sh [--small]     (--small: 100 files / 5,000 files, for a smoke run)
set -euo pipefail

cd "$(dirname "$0")/.."
for tool in hyperfine rg sha256sum python3; do
  command -v "$tool" >/dev/null || { echo "bench/vendor.sh needs $tool (apt-get install hyperfine ripgrep)" >&2; exit 2; }
done
cargo build --release --quiet
DEVENV="$PWD/target/release/devenv"

FILES=1000; FILE_KB=200; TREE=50000
if [[ "${1:-}" == "--small" ]]; then FILES=100; TREE=5000; fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/devenv-bench-vendor.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
export XDG_CACHE_HOME="$WORK/cache"
# Any network use by sync/verify would go to a closed port and fail the run.
export DEVENV_VENDOR_MIRRORS="https://cdn.jsdelivr.net/=http://127.0.0.1:9/"

echo "generating $FILES files of ${FILE_KB} KiB and a $TREE-file template tree in $WORK" >&2
python3 - "$WORK" "$FILES" "$FILE_KB" "$TREE" <<'PY'
import base64, hashlib, json, os, random, sys
work, files, kb, tree = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
proj = os.path.join(work, "proj")
assets, lock, sums = {}, {}, []
for i in range(files):
    name = f"lib{i:04d}"
    dest = f"static/vendor/{name}/{name}.min.js"
    url = f"https://cdn.jsdelivr.net/npm/{name}@1.0.{i}/dist/{name}.min.js"
    data = os.urandom(kb * 1024)
    path = os.path.join(proj, dest)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    entry = {"url": url, "dest": dest}
    assets[name] = entry
    sha = hashlib.sha256(data).hexdigest()
    sums.append(f"{sha}  {dest}\n")
    lock[name] = {
        "url": url, "dest": dest, "size": len(data), "sha256": sha,
        "integrity": "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode(),
        "registry": "npm", "package": name, "version": f"1.0.{i}",
        "entry_digest": "sha256:" + hashlib.sha256(json.dumps(entry, separators=(",", ":")).encode()).hexdigest(),
    }
manifest = "version: 1\nassets:\n" + "".join(
    f"  {n}:\n    url: {e['url']}\n    dest: {e['dest']}\n" for n, e in assets.items())
open(os.path.join(proj, "vendor.yaml"), "w").write(manifest)
doc = {"lock_version": 1, "generated_by": "devenv vendor; do not edit",
       "manifest_sha256": hashlib.sha256(manifest.encode()).hexdigest(), "assets": lock}
open(os.path.join(proj, "vendor.lock"), "w").write(json.dumps(doc, indent=2) + "\n")
open(os.path.join(proj, "SHA256SUMS"), "w").write("".join(sums))

# The template tree: realistic small files, 1 in 50 with a CDN reference.
random.seed(7)
root = os.path.join(work, "tree")
kinds = [("html", '<div class="card">{{ item.title }}</div>\n<a href="/items/{{ item.id }}">more</a>\n'),
         ("css", ".card { margin: 0 auto; padding: 1rem; } /* layout */\n"),
         ("js", "export function render(el) { el.textContent = 'x'; } // helper\n")]
refs = {"html": '<script src="https://cdn.jsdelivr.net/npm/htmx.org@2.0.3/dist/htmx.min.js"></script>\n',
        "css": '@import url("https://unpkg.com/normalize.css@8.0.1/normalize.css");\n',
        "js": 'import x from "https://cdnjs.cloudflare.com/ajax/libs/lodash.js/4.17.21/lodash.min.js";\n'}
for i in range(tree):
    ext, line = kinds[i % 3]
    d = os.path.join(root, f"app{i % 20}", f"mod{i % 250}")
    os.makedirs(d, exist_ok=True)
    body = line * random.randint(20, 60)
    if i % 50 == 0:
        body = refs[ext] + body
    open(os.path.join(d, f"f{i}.{ext}"), "w").write(body)
PY

PROJ="$WORK/proj"
"$DEVENV" -C "$PROJ" vendor verify >/dev/null   # sanity: the generated lock verifies
"$DEVENV" -C "$PROJ" vendor sync >/dev/null     # first sync hashes once and fills the stat cache

PATTERN='(https?:)?//(cdn\.jsdelivr\.net|unpkg\.com|cdnjs\.cloudflare\.com|code\.jquery\.com|ajax\.googleapis\.com|fonts\.googleapis\.com|esm\.sh|cdn\.skypack\.dev)/'
hyperfine --style basic --warmup 2 --runs 10 --export-json "$WORK/verify.json" \
  -n "devenv vendor verify" "$DEVENV -C $PROJ vendor verify" \
  -n "sha256sum -c" "cd $PROJ && sha256sum -c --quiet SHA256SUMS" >&2
hyperfine --style basic --warmup 3 --runs 30 --export-json "$WORK/sync.json" \
  -n "devenv vendor sync (all in place)" "$DEVENV -C $PROJ vendor sync" >&2
hyperfine --style basic --warmup 2 --runs 10 -i --export-json "$WORK/scan.json" \
  -n "devenv vendor scan" "$DEVENV -C $WORK/tree vendor scan" \
  -n "rg" "rg -n --no-heading -e '$PATTERN' $WORK/tree" >&2

python3 - "$WORK" "$FILES" "$TREE" <<'PY'
import json, sys
work, files, tree = sys.argv[1], sys.argv[2], sys.argv[3]
def medians(name):
    return [r["median"] for r in json.load(open(f"{work}/{name}.json"))["results"]]
v, s = medians("verify"), medians("sync")[0]
sc = medians("scan")
print(f"verify ({files} files): devenv {v[0]*1000:.0f} ms, sha256sum -c {v[1]*1000:.0f} ms -> devenv is {v[1]/v[0]:.2f}x faster (target >= 2x)")
print(f"sync   ({files} files in place, no network): {s*1000:.1f} ms (target < 50 ms)")
print(f"scan   ({tree} files): devenv {sc[0]*1000:.0f} ms, rg {sc[1]*1000:.0f} ms -> devenv takes {sc[0]/sc[1]:.2f}x rg's time (target <= 2x)")
PY
