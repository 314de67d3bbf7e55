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
BUILD_PACKAGES=(gcc pkg-config meson ninja-build libcurl4-openssl-dev libsodium-dev libcjson-dev
                libmicrohttpd-dev libsqlite3-dev libjansson-dev)
TEST_PACKAGES=(libcriterion-dev)
