#!/usr/bin/env bash
# Installs what LineCare needs on a Debian machine, and nothing twice:
#   PostgreSQL 15 (server + headers), cmake, mosquitto  (apt)
#   chromium for the browser tests                       (apt)
#   TimescaleDB, Apache edition, built from Debian's trixie source package
#   .venv with the project and its dev tools             (pip)
#   uPlot for the diagnosis page's charts, pinned          (npm, sha256 checked)
#   axe-core for the browser accessibility test, pinned   (npm, sha256 checked)
# A second run checks and returns in seconds. Needs root (or sudo) for apt.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build_dir="$root/.linecare/build"
pg_version=15
pg_config="/usr/lib/postgresql/$pg_version/bin/pg_config"
apt_packages=(postgresql-$pg_version postgresql-server-dev-$pg_version cmake gcc make
              mosquitto python3 python3-venv ca-certificates
              # The browser tests' headless browser (Playwright drives it: no download).
              chromium fonts-liberation)

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing_apt_packages() {
  local pkg
  for pkg in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
      || printf '%s\n' "$pkg"
  done
}

install_apt_packages() {
  local missing
  mapfile -t missing < <(missing_apt_packages)
  [ ${#missing[@]} -eq 0 ] && return
  say "installing with apt: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
}

# The Debian mirror this machine already uses, read from its own apt sources.
debian_mirror() {
  local uri
  uri=$(grep -hsE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null \
        | awk '{print $2}' | grep -v -- '-security' | grep -m1 debian || true)
  if [ -z "$uri" ]; then
    uri=$(grep -hsE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
          | grep -v -- '-security' | awk '{for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' \
          | grep -m1 debian || true)
  fi
  [ -n "$uri" ] || { echo "no Debian mirror found in /etc/apt sources" >&2; exit 1; }
  printf '%s\n' "$uri"
}

build_timescaledb() {
  local libdir
  libdir=$("$pg_config" --pkglibdir)
  if [ -f "$libdir/timescaledb.so" ]; then return; fi
  say "building TimescaleDB (Apache edition) from Debian's trixie source package"
  local apt_dir="$build_dir/apt" src_dir="$build_dir/timescaledb"
  rm -rf "$apt_dir" "$src_dir"
  mkdir -p "$apt_dir/lists/partial" "$src_dir"
  echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $(debian_mirror) trixie main" \
    > "$apt_dir/sources.list"
  # A private apt state: the machine's own sources and lists stay untouched.
  local apt_opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
                  -o "Dir::State::Lists=$apt_dir/lists" -o "APT::Sandbox::User=root")
  apt-get "${apt_opts[@]}" update -qq
  (cd "$src_dir" && apt-get "${apt_opts[@]}" source --download-only -qq timescaledb)
  local dsc
  dsc=$(ls "$src_dir"/timescaledb_*.dsc | head -n1)
  dpkg-source --no-check -x "$dsc" "$src_dir/tree" >/dev/null
  cmake -S "$src_dir/tree" -B "$src_dir/tree/build" -DCMAKE_BUILD_TYPE=Release \
    -DPG_CONFIG="$pg_config" -DAPACHE_ONLY=ON -DSEND_TELEMETRY_DEFAULT=OFF -DUSE_TELEMETRY=OFF \
    -DREGRESS_CHECKS=OFF -DTAP_CHECKS=OFF -DWARNINGS_AS_ERRORS=OFF >"$src_dir/cmake.log"
  make -C "$src_dir/tree/build" -j"$(nproc)" >"$src_dir/make.log"
  as_root make -C "$src_dir/tree/build" install >"$src_dir/install.log"
  say "TimescaleDB installed into $libdir"
}

install_venv() {
  local stamp="$root/.venv/.linecare-installed" want
  want=$(cat "$root/pyproject.toml" | sha256sum | cut -c1-16)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return; fi
  say "installing the project into .venv"
  [ -x "$root/.venv/bin/python" ] || python3 -m venv "$root/.venv"
  mkdir -p "$build_dir"
  "$root/.venv/bin/python" -m pip install -q --upgrade pip >"$build_dir/pip.log" 2>&1
  "$root/.venv/bin/python" -m pip install -q -e "$root[dev]" >>"$build_dir/pip.log" 2>&1 \
    || { tail -n 30 "$build_dir/pip.log" >&2; exit 1; }
  echo "$want" > "$stamp"
}

# uPlot, pinned, vendored into api/static/vendor/uplot (committed, so the console works
# offline): checked against its sha256 sums, fetched again from npm when a file is off.
uplot_version=1.6.32
uplot_tarball_sha256=4b8a8191e425658e3ea8c8c1314b0fc679c861ee3a1af2b20c7b16ba50b5133d
uplot_files=(
  "5dd9b3281aa64b461b42d9945f6adb2649d346502b12281a9ae0d46599a80eba  uPlot.esm.js"
  "df630c6a8d6f8eeaff264b50f73ce5b114f646ffd9a0bb74f049b0a00135fa04  uPlot.min.css"
  "8f989229699b4fe2f1a0432d0e9edc338a8a911e250e2d1b01ecd770a5f5b1bd  LICENSE"
)

fetch_uplot() {
  local dir="$root/api/static/vendor/uplot"
  if (cd "$dir" 2>/dev/null && printf '%s\n' "${uplot_files[@]}" | sha256sum --check --status 2>/dev/null); then
    return
  fi
  command -v npm >/dev/null || { echo "npm is needed to fetch uPlot $uplot_version" >&2; exit 1; }
  say "fetching uPlot $uplot_version from npm"
  local tmp
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "uplot@$uplot_version" >/dev/null)
  echo "$uplot_tarball_sha256  $tmp/uplot-$uplot_version.tgz" | sha256sum --check --status \
    || { echo "uplot-$uplot_version.tgz does not match its pinned sha256" >&2; rm -rf "$tmp"; exit 1; }
  tar -xzf "$tmp/uplot-$uplot_version.tgz" -C "$tmp"
  mkdir -p "$dir"
  cp "$tmp/package/dist/uPlot.esm.js" "$tmp/package/dist/uPlot.min.css" "$tmp/package/LICENSE" "$dir/"
  rm -rf "$tmp"
  (cd "$dir" && printf '%s\n' "${uplot_files[@]}" | sha256sum --check --status) \
    || { echo "uPlot files do not match their pinned sha256" >&2; exit 1; }
}

# axe-core, pinned, vendored into tests/browser/vendor/axe-core (committed, like uPlot): the
# accessibility test injects it into each page; never served by the app.
axe_version=4.14.1
axe_tarball_sha256=e6b0ce02b84d892e2e33e403485e7f3d6c29e2be6df65daf44d89ba564139745
axe_files=(
  "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c  axe.min.js"
  "af175b9d96ee93c21a036152e1b905b0b95304d4ae8c2c921c7609100ba8df7e  LICENSE"
)

fetch_axe_core() {
  local dir="$root/tests/browser/vendor/axe-core"
  if (cd "$dir" 2>/dev/null && printf '%s\n' "${axe_files[@]}" | sha256sum --check --status 2>/dev/null); then
    return
  fi
  command -v npm >/dev/null || { echo "npm is needed to fetch axe-core $axe_version" >&2; exit 1; }
  say "fetching axe-core $axe_version from npm"
  local tmp
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "axe-core@$axe_version" >/dev/null)
  echo "$axe_tarball_sha256  $tmp/axe-core-$axe_version.tgz" | sha256sum --check --status \
    || { echo "axe-core-$axe_version.tgz does not match its pinned sha256" >&2; rm -rf "$tmp"; exit 1; }
  tar -xzf "$tmp/axe-core-$axe_version.tgz" -C "$tmp"
  mkdir -p "$dir"
  cp "$tmp/package/axe.min.js" "$tmp/package/LICENSE" "$dir/"
  rm -rf "$tmp"
  (cd "$dir" && printf '%s\n' "${axe_files[@]}" | sha256sum --check --status) \
    || { echo "axe-core files do not match their pinned sha256" >&2; exit 1; }
}

install_apt_packages
build_timescaledb
install_venv
fetch_uplot
fetch_axe_core
say "ready"
