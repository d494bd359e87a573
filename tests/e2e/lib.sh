# shellcheck shell=bash
# Shared by the end-to-end scripts here (sourced; each defines die()).

# A fresh tmpfs on /run in the test's private mount namespace. With
# keep_systemd=1 (the guest booted with systemd) the system bus and
# systemd's own directory (its private socket, /run/systemd/system: "booted
# with systemd") stay visible there, for the clients' and runtimes' systemd
# drivers.
e2e_fresh_run() {
  local keep_systemd=$1 old=""
  if ((keep_systemd)); then
    old=$(mktemp -d /tmp/sangja-e2e-run.XXXXXX) && mount --bind /run "$old" ||
      die "cannot keep the guest's /run"
  fi
  mount -t tmpfs -o mode=0755 tmpfs /run || die "cannot mount a tmpfs on /run in the private namespace"
  [[ -n $old ]] || return 0
  local d
  for d in systemd dbus; do
    mkdir -p "/run/$d" && mount --rbind "$old/$d" "/run/$d" || die "cannot keep /run/$d"
  done
  umount -l "$old" && rmdir "$old"
}
