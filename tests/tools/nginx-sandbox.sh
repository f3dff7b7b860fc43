#!/usr/bin/env bash
# tests/tools/nginx-sandbox.sh NGINX_DIR [NGINX_ARGS...]
#
# Runs `nginx -t` (or nginx with NGINX_ARGS) on a generated nginx/ folder as the container
# would see it (NGINX_DIR copied over /etc/nginx), without touching the machine:
#
#   nginx -t resolves upstream/proxy_pass host names, looks up the `user` and its group, opens
#   certificate/key files and error/access logs, and creates temp/cache folders. So it runs,
#   as root, in a private mount namespace (`unshare --mount`) in which /etc, /var and /run
#   (and the top-level folder of any path the config reads or writes) are overlayfs mounts
#   over the real folders with a throwaway upper layer, and /tmp is a fresh tmpfs. Inside:
#     - NGINX_DIR/. is copied over /etc/nginx (Debian's mime.types etc. stay underneath);
#     - /etc/hosts maps every host name the config names to 127.0.0.1;
#     - a `user`/group the machine lacks gets a throwaway passwd/group entry;
#     - the parent folder of every log file / temp or cache folder the config writes to
#       exists (the image or a tmpfs mount provides it in the container);
#     - each certificate/key file the config names and that does not exist gets a dummy
#       self-signed EC P-256 pair (ssl_dhparam: generated DSA-style params; ticket keys: random);
#     - the error log goes to stderr (-e stderr).
#   Every write lands in the overlays' upper layers under a temp folder that is removed at the
#   end; the namespace dies with the command.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
PY="$REPO/.venv/bin/python"
[[ -x $PY ]] || PY=python3

if [[ ${1:-} == --inside ]]; then
  # --- inside the private mount namespace ------------------------------------------------
  shift
  sb=$1 confdir=$2
  shift 2
  # Top-level folders to put under a throwaway overlay: /etc (nginx config, hosts, passwd),
  # /var and /run (Debian defaults for logs, temp folders, pid), and the top-level folder of
  # every file the config reads (certificates) or writes (logs, temp/cache folders). /tmp gets
  # a fresh tmpfs instead (just before nginx starts: the sandbox folder lives in /tmp), /dev
  # is left alone (/dev/stdout, /dev/stderr).
  tops=(/etc /var /run)
  while IFS=$'\t' read -r kind _ path; do
    [[ $kind == file || $kind == path ]] || continue
    t=/$(cut -d/ -f2 <<<"$path")
    case $t in /tmp | /dev) continue ;; esac
    if [[ ! -d $t || -L $t ]]; then
      echo "nginx-sandbox: cannot sandbox $path: its top-level folder $t does not exist (or is a symlink) on this machine; use a path under /etc, /var, /run or /tmp (e.g. /etc/nginx/ssl, /tmp/nginx)" >&2
      exit 1
    fi
    tops+=("$t")
  done <"$sb/plan"
  mapfile -t tops < <(printf '%s\n' "${tops[@]}" | sort -u)
  for t in "${tops[@]}"; do
    d="$sb/overlay${t//\//_}"
    mkdir -p "$d/upper" "$d/work"
    mount -t overlay overlay -o "lowerdir=$t,upperdir=$d/upper,workdir=$d/work" "$t"
  done
  cp -r "$confdir"/. /etc/nginx/
  hosts=()
  while IFS=$'\t' read -r kind a b; do
    case $kind in
      host) hosts+=("$a") ;;
      user) getent passwd "$a" >/dev/null || echo "$a:x:64999:64999:nginx-sandbox:/nonexistent:/usr/sbin/nologin" >>/etc/passwd ;;
      group) getent group "$a" >/dev/null || echo "$a:x:64999:" >>/etc/group ;;
      # a folder the config writes into exists in the container (image folder or tmpfs
      # mount), not necessarily on Debian: create its parent (e.g. /var/cache/nginx)
      path) [[ $b == /dev/* || $b == /tmp/* ]] || mkdir -p "$(dirname "$b")" ;;
      file)
        [[ -e $b ]] && continue
        mkdir -p "$(dirname "$b")"
        case $a in
          pem) cp "$sb/pem" "$b" ;;
          dhparam) openssl dhparam -dsaparam -out "$b" 2048 2>/dev/null ;;
          ticketkey) head -c 80 /dev/urandom >"$b" ;;
          password) echo dummy >"$b" ;;
        esac
        ;;
    esac
  done <"$sb/plan"
  # (a leading newline: the machine's hosts file may lack a final one)
  if ((${#hosts[@]})); then printf '\n127.0.0.1 %s\n' "${hosts[*]}" >>/etc/hosts; fi
  echo "nginx-sandbox: hosts -> 127.0.0.1: ${hosts[*]:-(none)}; stubbed: $(grep -c '^file' "$sb/plan" || true) file(s)"
  mount -t tmpfs -o size=64m,mode=1777 tmpfs /tmp
  (($#)) || set -- -t
  exec nginx -e stderr -c /etc/nginx/nginx.conf "$@"
fi

# --- outside: prepare, then re-run this script in a new mount namespace -----------------------
(($# >= 1)) || { sed -n '2,4p' "${BASH_SOURCE[0]}" >&2; exit 2; }
confdir="$(cd "$1" && pwd -P)"
shift
[[ -f $confdir/nginx.conf ]] || { echo "nginx-sandbox: no nginx.conf in $confdir" >&2; exit 1; }
for t in nginx unshare openssl mount; do
  command -v "$t" >/dev/null || { echo "nginx-sandbox: missing $t (run .ci/install)" >&2; exit 1; }
done
sb="$(mktemp -d "${TMPDIR:-/tmp}/nginx-sandbox.XXXXXX")"
trap 'rm -rf "$sb"' EXIT
"$PY" "$HERE/validate_helpers.py" nginx-plan "$confdir" >"$sb/plan"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -subj /CN=nginx-sandbox.invalid -keyout "$sb/key.pem" -out "$sb/cert.pem" 2>"$sb/openssl.log" \
  || { cat "$sb/openssl.log" >&2; exit 1; }
cat "$sb/cert.pem" "$sb/key.pem" >"$sb/pem"
if [[ $(id -u) != 0 ]]; then
  # In a user namespace overlayfs cannot copy up root-owned files (/etc/passwd, /etc/nginx):
  # the sandbox needs real root, as CI has.
  echo "nginx-sandbox: needs root (unshare --mount with overlayfs); run it as root or with sudo" >&2
  exit 1
fi
rc=0
unshare --mount --propagation private bash "${BASH_SOURCE[0]}" --inside "$sb" "$confdir" "$@" || rc=$?
exit $rc
