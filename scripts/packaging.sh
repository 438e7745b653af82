# Sourced by make-deb and make-rpm: what both packages do alike. Expects scripts/setup.sh to be sourced first.

# --binary FILE and --output DIR into $binary and $output; $1 names the calling script in errors.
parse_package_arguments() {
    local script=$1
    shift
    binary=.build/release/wellknownd
    output=.build/packages
    while [ $# -gt 0 ]; do
        case $1 in
        --binary) binary=$2; shift 2 ;;
        --output) output=$2; shift 2 ;;
        *) echo "$script: unknown argument $1" >&2; exit 64 ;;
        esac
    done
    maintainer=$(sed -n 's/^Maintainer: //p' packaging/maintainer)
}

# What make install and the packages ship must not depend on the toolchain: no Swift library loaded at run time and
# no RUNPATH (a plugin or a build with other flags once replaced the static binary unnoticed).
check_shipped_binary() {
    if ldd "$1" | grep -q 'libswift\|libFoundation\|libdispatch'; then
        echo "wellknownd: $1 loads Swift libraries at run time; build it with make build" >&2
        return 1
    fi
    if readelf -d "$1" | grep -q 'RUNPATH\|RPATH'; then
        echo "wellknownd: $1 carries a RUNPATH; build it with make build" >&2
        return 1
    fi
}

# `make install` of $binary under ROOT with PREFIX=/usr and the given make variables (UNITDIR=..., ZSHDIR=...); the
# binary checked and stripped (as dh_strip and Fedora's brp-strip would), the manual pages gzipped (as dh_compress
# and brp-compress would).
stage_package_tree() {
    local root=$1
    shift
    make --no-print-directory install DESTDIR="$root" PREFIX=/usr "$@" BINARY="$binary" \
        MANCONFIG="${MANCONFIG:-debug}" >/dev/null
    check_shipped_binary "$root/usr/bin/wellknownd"
    strip --strip-unneeded --remove-section=.comment --remove-section=.note "$root/usr/bin/wellknownd"
    gzip -9n "$root/usr/share/man/man8/wellknownd.8" "$root/usr/share/man/man5/wellknownd.yaml.5"
}
