# Shared by tools/run and tools/test: install what is missing, nothing else.
# Sourced, not run. Needs root for apt (as on a fresh Debian machine).

# Installs the Debian packages named, if any is missing.
ensure_apt_packages() {
    local missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "tools: installing ${missing[*]} with apt" >&2
    if [ "$(id -u)" -ne 0 ]; then
        echo "tools: need root to install ${missing[*]} (run as root, or install them yourself)" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Checks the Swift toolchain is there and new enough (6.2 or later).
ensure_swift() {
    if ! command -v swift >/dev/null 2>&1; then
        for candidate in /opt/swift/usr/bin /usr/share/swift/usr/bin; do
            [ -x "$candidate/swift" ] && export PATH="$candidate:$PATH" && break
        done
    fi
    if ! command -v swift >/dev/null 2>&1; then
        echo "tools: the Swift toolchain (6.2 or later) is not installed; get it from swift.org and put it on PATH" >&2
        exit 1
    fi
}

# Everything the ledger needs to build and run.
ensure_build_dependencies() {
    ensure_apt_packages liblmdb-dev lmdb-utils pkg-config
    ensure_swift
}

# Installs a Python module with pip if it cannot be imported (test and benchmark helpers only).
ensure_python_module() {
    local module="$1" package="$2"
    python3 -c "import $module" 2>/dev/null && return 0
    echo "tools: installing $package with pip" >&2
    python3 -m pip install --quiet "$package" 2>/dev/null || python3 -m pip install --quiet --break-system-packages "$package"
}
