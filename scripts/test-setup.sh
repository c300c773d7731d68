#!/usr/bin/env bash
# System packages the test suite needs (headless Chromium for the browser test, a PostgreSQL server for the
# history-store test); installed once from Debian's archive.
set -euo pipefail
if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
        echo "Installing Debian's chromium for the browser tests..."
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
        echo "chromium is not installed and cannot be installed here; browser tests will be skipped."
    fi
fi
if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
        echo "Installing Debian's postgresql for the history-store test..."
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
    else
        echo "PostgreSQL is not installed and cannot be installed here; the PostgreSQL store test will be skipped."
    fi
fi
