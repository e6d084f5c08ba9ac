#!/usr/bin/env bash
# Opens a report's index.html in headless Chromium, with the network shut
# off, and fails when any image of the page does not load (an <img> whose
# naturalWidth is 0 once the page has loaded); saves a screenshot.
#
# usage: tools/check-report-browser.sh [--install] REPORT_DIR [SCREENSHOT.png]
#   --install   install Debian's chromium with apt-get when it is missing
#               (only as root); without it nothing is installed
#   SCREENSHOT  default: REPORT_DIR/../<folder name>-screenshot.png
# The check runs on a copy of the folder whose page carries a small inline
# script that counts the images and writes the result into the DOM, which
# Chromium's --dump-dom prints; the report itself is not modified.
# Exit codes: 0 every image loaded, 1 an image did not load, 2 bad usage
# or no browser.
set -u
install=0
if [ "${1:-}" = "--install" ]; then install=1; shift; fi
[ $# -ge 1 ] && [ $# -le 2 ] || { sed -n '2,14p' "$0" >&2; exit 2; }
dir=${1%/}
[ -f "$dir/index.html" ] || { echo "$dir/index.html: no report page there" >&2; exit 2; }
shot=${2:-$(dirname "$dir")/$(basename "$dir")-screenshot.png}

browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  if [ $install = 1 ] && [ "$(id -u)" = 0 ]; then
    echo "check-report-browser: chromium is missing; installing Debian's chromium (apt-get install -y chromium)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
      || { echo "check-report-browser: apt-get install chromium failed" >&2; exit 2; }
    browser=$(command -v chromium)
  elif [ $install = 1 ]; then
    echo "check-report-browser: chromium is missing and installing it needs root" >&2; exit 2
  else
    echo "check-report-browser: chromium is not on PATH (--install installs it as root)" >&2
    exit 2
  fi
fi

work=$(mktemp -d /tmp/toposim-browser-XXXXXX) || exit 2
trap 'rm -rf "$work"' EXIT
cp -r "$dir" "$work/report"
# The inline check: after load, every image must have decoded pixels.
check='<script>
window.addEventListener("load", function () {
  var imgs = document.images, broken = [];
  for (var i = 0; i < imgs.length; i++)
    if (!imgs[i].complete || imgs[i].naturalWidth === 0)
      broken.push(imgs[i].getAttribute("src"));
  var out = document.createElement("pre");
  out.id = "toposim-image-check";
  out.textContent = "IMAGES " + imgs.length + " BROKEN " + broken.length +
    (broken.length ? " " + broken.join(" ") : "");
  document.body.appendChild(out);
});
</script>'
awk -v check="$check" '/<\/body>/ { print check } { print }' "$dir/index.html" \
  > "$work/report/index.html"

# No network: every host name resolves to nothing and no proxy is reachable.
flags=(--headless --disable-gpu --no-first-run --no-default-browser-check
       --host-resolver-rules='MAP * ~NOTFOUND' --proxy-server='127.0.0.1:9'
       --allow-file-access-from-files --user-data-dir="$work/profile"
       --run-all-compositor-stages-before-draw --virtual-time-budget=15000)
[ "$(id -u)" = 0 ] && flags+=(--no-sandbox) # Chromium refuses root otherwise
"$browser" "${flags[@]}" --dump-dom "file://$work/report/index.html" \
  > "$work/dom.html" 2> "$work/stderr.txt"
result=$(sed -n 's/.*<pre id="toposim-image-check">\([^<]*\)<\/pre>.*/\1/p' "$work/dom.html")
if [ -z "$result" ]; then
  echo "check-report-browser: the page did not finish loading in Chromium" >&2
  tail -5 "$work/stderr.txt" >&2
  exit 1
fi
"$browser" "${flags[@]}" --hide-scrollbars --window-size=1600,1400 \
  --screenshot="$shot" "file://$(cd "$dir" && pwd)/index.html" >/dev/null 2>&1 \
  || echo "check-report-browser: the screenshot failed" >&2
set -- $result
echo "check-report-browser: $dir/index.html: $2 images, $4 did not load; screenshot $shot"
if [ "$2" -eq 0 ] || [ "$4" -ne 0 ]; then
  [ "$4" -ne 0 ] && echo "not loaded: ${*:5}" >&2
  exit 1
fi
exit 0
