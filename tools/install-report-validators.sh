#!/usr/bin/env bash
# Installs the validators that tests/report_sarif.rs and tests/report_junit.rs run, into
# target/report-validators (or $AKSGUARD_VALIDATORS_DIR). Idempotent: a second run with the same
# versions does nothing. Needs npm and python3 with pip (both on the project's machines).
#
# - npm @microsoft/sarif-multitool: Microsoft's SARIF validator (`validate`: the SARIF 2.1.0 JSON
#   schema it ships as sarif-2.1.0.json, plus the SARIF, GitHub (GHAS) and Azure DevOps
#   ingestion rules). The linux package carries a self-contained binary.
# - PyPI jsonschema: a second, independent check of the log against that same schema file.
# - PyPI xmlschema: validates the JUnit XML against tests/fixtures/reports/junit-10.xsd.
set -euo pipefail
cd "$(dirname "$0")/.."

SARIF_MULTITOOL_VERSION=5.7.0
JSONSCHEMA_VERSION=4.26.0
XMLSCHEMA_VERSION=4.3.2

dir="${AKSGUARD_VALIDATORS_DIR:-$PWD/target/report-validators}"
mkdir -p "$dir"

multitool="$dir/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool"
stamp="$dir/.sarif-multitool-$SARIF_MULTITOOL_VERSION"
if [ ! -f "$stamp" ] || [ ! -x "$multitool" ]; then
  npm install --prefix "$dir" --no-audit --no-fund --loglevel=error \
    "@microsoft/sarif-multitool@$SARIF_MULTITOOL_VERSION"
  # The package's postinstall only does this chmod; npm may not run install scripts.
  chmod u+x "$multitool"
  touch "$stamp"
fi

pystamp="$dir/.python-$JSONSCHEMA_VERSION-$XMLSCHEMA_VERSION"
if [ ! -f "$pystamp" ]; then
  rm -rf "$dir/python"
  python3 -m pip install --quiet --disable-pip-version-check --no-warn-script-location --root-user-action=ignore \
    --target "$dir/python" "jsonschema==$JSONSCHEMA_VERSION" "xmlschema==$XMLSCHEMA_VERSION"
  touch "$pystamp"
fi

echo "report validators in $dir"
