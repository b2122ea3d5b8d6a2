#!/usr/bin/env bash
# Opens an `evomem analyze` report in headless Chromium and checks what a reader would see:
# the page's scripts ran without an error (read back two ways: the page's own error recorder
# in the DOM, and Chromium's console log on stderr), the heatmap and the text view with its
# tokens are in the rendered DOM, a screenshot was taken, and every *.svg next to the page
# parses as XML. Network lookups are mapped to nowhere, so a page that tried to load
# anything from outside would fail too.
#
# Usage: report_browser_test.sh HTML_FILE SCREENSHOT_PNG
# Exit: 0 pass; 1 fail (one line says why); 2 usage; 77 skipped: no chromium and CI is not
# "true" (in CI chromium must be installed: scripts/setup.sh). CHROMIUM overrides the binary.
set -uo pipefail

fail() {
  echo "report_browser_test: FAIL: $*" >&2
  exit 1
}

if [ $# -ne 2 ]; then
  echo "usage: report_browser_test.sh HTML_FILE SCREENSHOT_PNG" >&2
  exit 2
fi
html_file=$1
screenshot=$2
[ -f "$html_file" ] || fail "no such file: $html_file"

chromium_bin=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [ -z "$chromium_bin" ]; then
  if [ "${CI:-}" = "true" ]; then
    fail "chromium not found; CI must have it (scripts/setup.sh installs the Debian package chromium)"
  fi
  echo "report_browser_test: SKIP: chromium not found (apt-get install chromium)"
  exit 77
fi

python=${PYTHON:-/usr/bin/python3}
html_path=$(cd "$(dirname "$html_file")" && pwd)/$(basename "$html_file")
mkdir -p "$(dirname "$screenshot")" || fail "cannot create the folder of $screenshot"
screenshot_path=$(cd "$(dirname "$screenshot")" && pwd)/$(basename "$screenshot")
rm -f "$screenshot_path"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

sandbox_flags=()
if [ "$(id -u)" = "0" ]; then sandbox_flags+=(--no-sandbox); fi

# One launch does both: --dump-dom prints the DOM after the scripts ran (virtual time lets
# them finish without waiting in real time), --screenshot saves the viewport.
timeout 90 "$chromium_bin" --headless "${sandbox_flags[@]}" --disable-gpu --disable-dev-shm-usage \
  --no-first-run --no-default-browser-check --disable-extensions --user-data-dir="$work/profile" \
  --host-resolver-rules="MAP * ~NOTFOUND" --enable-logging=stderr --v=0 --virtual-time-budget=5000 \
  --window-size=1400,2400 --screenshot="$screenshot_path" --dump-dom "file://$html_path" \
  >"$work/dom.html" 2>"$work/stderr.txt"
status=$?
if [ $status -ne 0 ]; then
  fail "chromium exited with $status on $html_file: $(grep -v -e dbus -e 'unexpected operator' "$work/stderr.txt" | tail -n 1)"
fi
[ -s "$work/dom.html" ] || fail "chromium printed no DOM for $html_file"

# Console messages reach stderr as "...:CONSOLE...] "message", source: ..." lines; uncaught
# exceptions, failed loads and refused requests are errors whatever level they are logged at.
console_error=$(grep ':CONSOLE' "$work/stderr.txt" | grep -E 'Uncaught|Error|error|Failed|Refused' | head -n 1)
[ -z "$console_error" ] || fail "console error in $html_file: ${console_error#*] }"

"$python" - "$work/dom.html" "$html_file" <<'PY' || exit 1
import html.parser
import sys

dom_file, page = sys.argv[1], sys.argv[2]
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Dom(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids = {}
        self.root = {}
        self.tokens = 0
        self.heatmap_svgs = 0
        self.inside = []  # ids of the open elements that matter
        self.error_text = ""
        self.meta_text = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.root = attrs
        element_id = attrs.get("id")
        if element_id:
            self.ids[element_id] = attrs
        if tag == "svg" and "heatmap" in self.inside:
            self.heatmap_svgs += 1
        if tag == "span" and "data-token" in attrs and "text-tokens" in self.inside:
            self.tokens += 1
        if element_id in ("heatmap", "text-tokens", "page-errors", "text-meta"):
            self.inside.append(element_id)
        elif self.inside and tag not in VOID:
            self.inside.append(None)

    def handle_endtag(self, tag):
        if self.inside:
            self.inside.pop()

    def handle_data(self, data):
        if "page-errors" in self.inside:
            self.error_text += data
        if "text-meta" in self.inside:
            self.meta_text += data


def fail(message):
    print(f"report_browser_test: FAIL: {message}", file=sys.stderr)
    sys.exit(1)


dom = Dom()
with open(dom_file, encoding="utf-8", errors="replace") as handle:
    dom.feed(handle.read())

if dom.root.get("data-page-errors") or dom.error_text.strip():
    first = dom.error_text.strip().splitlines()[0] if dom.error_text.strip() else "(see data-page-errors)"
    fail(f"the page recorded {dom.root.get('data-page-errors', '?')} script error(s) in {page}: {first}")
if dom.root.get("data-report-ready") != "1":
    fail(f"the page's script did not finish in {page} (no data-report-ready on <html>)")
for element_id in ("heatmap", "curves", "text-view", "text-sample", "text-layer", "text-tokens"):
    if element_id not in dom.ids:
        fail(f"no element with id '{element_id}' in the rendered DOM of {page}")
if dom.heatmap_svgs == 0:
    fail(f"the heatmap of {page} holds no <svg>")
if dom.tokens == 0 and "no samples recorded" not in dom.meta_text:
    fail(f"the text view of {page} shows no tokens")
print(f"report_browser_test: DOM ok ({dom.heatmap_svgs} heatmap(s), {dom.tokens} tokens shown)")
PY

[ -s "$screenshot_path" ] || fail "chromium wrote no screenshot to $screenshot_path"
[ "$(head -c 8 "$screenshot_path" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] ||
  fail "$screenshot_path is not a PNG"

"$python" - "$(dirname "$html_path")" <<'PY' || exit 1
import glob
import os
import sys
import xml.etree.ElementTree as ElementTree

svgs = sorted(glob.glob(os.path.join(sys.argv[1], "*.svg")))
for path in svgs:
    try:
        root = ElementTree.parse(path).getroot()
    except ElementTree.ParseError as error:
        print(f"report_browser_test: FAIL: {path} is not well-formed XML: {error}", file=sys.stderr)
        sys.exit(1)
    if root.tag != "{http://www.w3.org/2000/svg}svg":
        print(f"report_browser_test: FAIL: {path}: root element is {root.tag}, not an SVG <svg>", file=sys.stderr)
        sys.exit(1)
print(f"report_browser_test: {len(svgs)} SVG file(s) parse")
PY

echo "report_browser_test: PASS $html_file (screenshot $screenshot_path)"
