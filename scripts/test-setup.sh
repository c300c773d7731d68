#!/usr/bin/env bash
# System packages the test suite needs (headless Chromium for the browser test, a PostgreSQL server for the
# history-store tests), installed once from Debian's archive. Whatever cannot be installed here is skipped with
# the reason printed, and the tests that need it skip and say why; this script never fails the test run.
set -uo pipefail

can_apt() { [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; }

# install WHAT PACKAGE...: apt-get install, or print why not and carry on.
install() {
    local what=$1
    shift
    if ! can_apt; then
        echo "skip: $what: not root or no apt-get here, so it cannot be installed; its tests will be skipped."
        return 0
    fi
    echo "Installing Debian's $* for the $what..."
    local log
    log=$(mktemp)
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"; } >"$log" 2>&1
    local status=$?
    if [ "$status" != 0 ]; then
        local reason
        reason=$(tail -n 1 "$log")
        echo "skip: $what: apt-get install $* failed (${reason:-exit status $status}); its tests will be skipped."
    fi
    rm -f "$log"
}

if ! command -v chromium >/dev/null 2>&1; then
    install "browser tests" chromium
fi
if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    install "PostgreSQL store tests" --no-install-recommends postgresql
fi
exit 0
