#!/usr/bin/env bash
# Installs what the project's own tests need on a fresh Debian machine, then the project itself.
# Idempotent: packages already present are skipped. Run as root (or with sudo available).
set -euo pipefail
cd "$(dirname "$0")/.."

debian_packages=(
  docker-registry   # a real OCI registry for the packaging tests (started on 127.0.0.1 by a fixture)
  wabt              # wat2wasm / wasm-objdump, to cross-check the project's own wasm reader
  nghttp2-client    # h2load, the load generator of `wasmhub bench`
  chromium          # headless: the report test renders the HTML report and screenshots it
)
missing=()
for pkg in "${debian_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

python3 -m pip install --quiet --disable-pip-version-check -e '.[test]'
