# Sourced by the other scripts: makes sure a fresh Debian/Ubuntu machine has what building and testing need.
# Swift itself is not in Debian's archive: it must already be on PATH (see the README).

ensure_debian_packages() {
    local missing=()
    for package in "$@"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if ! command -v apt-get >/dev/null; then
        echo "wellknownd: please install: ${missing[*]}" >&2
        return 1
    fi
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "wellknownd: installing ${missing[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

ensure_swift() {
    if ! command -v swift >/dev/null; then
        echo "wellknownd: the Swift toolchain (6.0 or later) is not on PATH; install it from swift.org (swiftly)" >&2
        return 1
    fi
}

# tzdata: named daytime zones; pkg-config and libsystemd-dev: socket activation and sd_notify; netcat, socat: examples.
ensure_swift
ensure_debian_packages tzdata netcat-openbsd socat pkg-config libsystemd-dev
