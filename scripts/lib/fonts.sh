# Sourced by scripts/lib.sh and scripts/lib/server.sh. `need_cjk_fonts` installs Debian's
# fonts-noto-cjk (and fontconfig, for fc-list) only when no installed font covers Chinese:
# the map draws its labels from local fonts, and the e2e tests check Chinese labels.
# (`fc-list | grep -q …` under `set -o pipefail` failed whenever grep stopped reading early,
# SIGPIPE, so every run reinstalled the fonts; the whole list is read here.)
need_cjk_fonts() {
  local zh
  zh=$(fc-list :lang=zh family 2>/dev/null || true)
  [ -n "$zh" ] && return 0
  echo "installing: fonts-noto-cjk (no font for Chinese found by fc-list :lang=zh)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends fontconfig fonts-noto-cjk >/dev/null
}
