#!/usr/bin/env bash
# Render an aksguard HTML report in headless Chromium: a PNG screenshot for people to look at,
# and the DOM after the scripts ran (to check the filters work).
#
#   scripts/render-html.sh REPORT.html [OUT.png] [FRAGMENT]
#
# FRAGMENT is applied as the URL fragment, e.g. 'status=fail&severity=high' (filters the findings
# table). Writes OUT.png (default: REPORT.png) and OUT.dom.html, and prints how many findings
# tables the script set up and how many findings each filter matched.
#
# Environment: CHROMIUM (default: chromium, else chromium-browser), WIDTH and HEIGHT of the
# window (default 1400 x 2400). Needs Debian's `chromium` package (apt-get install -y chromium).
# The page's Content-Security-Policy forbids every network access; Chromium is also started
# without background networking, updates or sync.
set -euo pipefail

die() { echo "render-html: $*" >&2; exit 2; }
[[ $# -ge 1 && $# -le 3 ]] || die "usage: scripts/render-html.sh REPORT.html [OUT.png] [FRAGMENT]"
report=$1
[[ -f $report ]] || die "no such file: $report"
png=${2:-${report%.html}.png}
fragment=${3:-}
browser=${CHROMIUM:-}
if [[ -z $browser ]]; then
  for b in chromium chromium-browser; do
    command -v "$b" >/dev/null 2>&1 && { browser=$b; break; }
  done
fi
[[ -n $browser ]] || die "chromium not found (apt-get install -y chromium)"

url="file://$(realpath "$report")"
[[ -n $fragment ]] && url="$url#$fragment"
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
  --disable-background-networking --disable-component-update --disable-sync
  --hide-scrollbars --user-data-dir="$profile")

"$browser" "${flags[@]}" --window-size="${WIDTH:-1400},${HEIGHT:-2400}" \
  --screenshot="$(realpath -m "$png")" "$url" >/dev/null 2>&1 || die "chromium failed on $url"
"$browser" "${flags[@]}" --dump-dom "$url" 2>/dev/null >"${png%.png}.dom.html" ||
  die "chromium failed on $url"
echo "screenshot: $png"
echo "DOM after scripts: ${png%.png}.dom.html"
grep -o 'data-ready="[0-9]*"' "${png%.png}.dom.html" | head -1 | sed 's/^/script ran: /' ||
  echo "script did not run" >&2
grep -o 'data-matched="[0-9]*"' "${png%.png}.dom.html" | sed 's/^/findings table: /' || true
