#!/usr/bin/env bash
# make gpu-pack: builds gpu-pack/, everything a GPU machine without network access and without
# Node.js needs to run scripts/gpu-check.sh (docs/gpu.md):
#   gpu-pack/node.xz        this machine's Node.js binary (process.execPath), xz-compressed
#   gpu-pack/app.tar.xz     the built packages (dist, bin, bench) and the pruned production node_modules
#   gpu-pack/debs/*.deb     the Vulkan and GL loader packages (apt-get download, amd64)
#   gpu-pack/manifest.json  versions, sizes and sha256 of the files above
#   gpu-pack/SHA256SUMS     the same hashes, for sha256sum -c; node.stamp: node.xz's version and source hash
# The folder and the tracked files travel together to the GPU machine, where both must fit in
# 64 MiB: the build fails, saying so, when they do not.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PACK=${GPU_PACK_DIR:-$ROOT/gpu-pack}
LIMIT_BYTES=$((64 * 1024 * 1024))
# The loader packages docs/gpu.md's device recipe installs (libvulkan1 for Dawn; the GL ones for
# the NVIDIA driver's GLX/EGL side, which its Vulkan driver library shares).
DEBS=(libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)

cd "$ROOT"
mkdir -p "$PACK/debs"
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }

echo "gpu-pack: building the project (npx tsc -b)"
npx tsc -b

# Node: the binary running this build, so the pack's Node is the version the project was built
# and tested with. Compressing ~100 MB takes minutes on a loaded machine: a stamp of the binary's
# version and hash lets an unchanged binary reuse the last node.xz.
NODE_BIN=$(node -p process.execPath)
NODE_VERSION=$(node --version)
NODE_SHA=$(sha256sum "$NODE_BIN" | cut -d' ' -f1)
NODE_STAMP="$NODE_VERSION $NODE_SHA"
if [[ -f $PACK/node.xz && -f $PACK/node.stamp && $(cat "$PACK/node.stamp") == "$NODE_STAMP" ]]; then
  echo "gpu-pack: node.xz is $NODE_VERSION already ($NODE_BIN)"
else
  echo "gpu-pack: compressing $NODE_BIN ($NODE_VERSION, $(mib "$(stat -c %s "$NODE_BIN")")); this takes a while"
  xz -T0 -6 -c "$NODE_BIN" >"$PACK/node.xz.part"
  mv "$PACK/node.xz.part" "$PACK/node.xz"
  echo "$NODE_STAMP" >"$PACK/node.stamp"
fi

# The project: a list of paths from the compiled pack-files module, tarred from the repository
# root so the pack unpacks into the same layout (node_modules/@lra/* stay npm's links).
LIST=$(mktemp)
trap 'rm -f "$LIST"' EXIT
SUMMARY=$(node packages/trainer/dist/gpu-pack/list-main.js "$ROOT" "$LIST")
echo "gpu-pack: project files $SUMMARY" | cut -c1-160
tar --create --no-recursion --files-from="$LIST" --owner=0 --group=0 | xz -T0 -6 >"$PACK/app.tar.xz.part"
mv "$PACK/app.tar.xz.part" "$PACK/app.tar.xz"

# The loaders, as amd64 packages whatever this machine is, with a package list of their own so
# the machine's apt state is left alone. Kept from an earlier build when there is no network.
missing=()
for name in "${DEBS[@]}"; do compgen -G "$PACK/debs/${name}_*.deb" >/dev/null || missing+=("$name"); done
if ((${#missing[@]} > 0)); then
  echo "gpu-pack: downloading ${missing[*]} (apt-get download, amd64)"
  lists=$(mktemp -d)
  mkdir -p "$lists/partial"
  apt_opts=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 "-oDir::State::Lists=$lists")
  if ! { apt-get "${apt_opts[@]}" update >/dev/null && (cd "$PACK/debs" && apt-get "${apt_opts[@]}" download "${missing[@]}" >/dev/null); }; then
    rm -rf "$lists"
    echo "gpu-pack: error: apt-get could not download ${missing[*]} (no network?); put the .deb files in $PACK/debs" >&2
    exit 1
  fi
  rm -rf "$lists"
fi

# The manifest: what gpu-check.sh verifies before it unpacks anything.
node - "$PACK" "$NODE_VERSION" "$SUMMARY" <<'EOF'
const { createHash } = require('node:crypto');
const { readFileSync, readdirSync, statSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const [pack, nodeVersion, summary] = process.argv.slice(2);
const paths = ['node.xz', 'app.tar.xz', ...readdirSync(join(pack, 'debs')).filter((f) => f.endsWith('.deb')).sort().map((f) => `debs/${f}`)];
const files = paths.map((path) => {
  const bytes = readFileSync(join(pack, path));
  return { path, bytes: statSync(join(pack, path)).size, sha256: createHash('sha256').update(bytes).digest('hex') };
});
const { files: appFiles, bytes: appBytes } = JSON.parse(summary);
const manifest = { node: nodeVersion, platform: `${process.platform}-${process.arch}`, app: { files: appFiles, unpackedBytes: appBytes }, files, builtAt: new Date().toISOString() };
writeFileSync(join(pack, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
EOF

(cd "$PACK" && sha256sum node.xz app.tar.xz manifest.json debs/*.deb >SHA256SUMS)

# Sizes: the pack, and the pack with the tracked files that travel beside it.
pack_bytes=$(find "$PACK" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
tracked_bytes=$(git ls-files -z | xargs -0 stat -c %s 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')
total=$((pack_bytes + tracked_bytes))
echo "gpu-pack: node.xz $(mib "$(stat -c %s "$PACK/node.xz")"), app.tar.xz $(mib "$(stat -c %s "$PACK/app.tar.xz")"), debs $(mib "$(cat "$PACK"/debs/*.deb | wc -c)")"
echo "gpu-pack: $PACK is $(mib "$pack_bytes"); with the tracked files ($(mib "$tracked_bytes")) $(mib "$total") of the $(mib "$LIMIT_BYTES") that may travel"
if ((total > LIMIT_BYTES)); then
  echo "gpu-pack: error: the pack and the tracked files come to $(mib "$total"), over the $(mib "$LIMIT_BYTES") a device call carries" >&2
  exit 1
fi
