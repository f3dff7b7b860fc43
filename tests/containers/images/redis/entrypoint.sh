#!/bin/sh
# The official redis image's entrypoint contract (a stand-in: see the Dockerfile).
set -eu
# first argument an option or a config file: run redis-server with them
if [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then
  set -- redis-server "$@"
fi
if [ "$1" = redis-server ] && [ "$(id -u)" = 0 ]; then
  find . \! -user redis -exec chown redis '{}' +
  exec setpriv --reuid=redis --regid=redis --init-groups "$0" "$@"
fi
if [ "$1" = redis-server ]; then
  # the official build's default is protected-mode no; a config file given first must stay first
  shift
  if [ "${1:-}" != "" ] && [ "${1%.conf}" != "$1" ]; then
    conf=$1; shift
    set -- redis-server "$conf" --protected-mode no "$@"
  else
    set -- redis-server --protected-mode no "$@"
  fi
fi
um=$(umask)
if [ "$um" = 0022 ]; then umask 0077; fi
exec "$@"
