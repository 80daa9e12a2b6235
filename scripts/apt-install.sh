# Sourced by scripts/ensure-*.sh: `apt_install WHO PACKAGE...` installs Debian packages
# (--no-install-recommends), as root or through sudo, and exits 1 naming WHO when neither is
# possible. Never starts a daemon itself; what a package's own scripts start is noted by callers.

apt_install() {
    local who=$1
    shift
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1; then
            sudo=(sudo)
        else
            echo "$who: missing $* and not root (no sudo); install the Debian package(s) $*" >&2
            exit 1
        fi
    fi
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "$@"
}
