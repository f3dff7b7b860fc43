#!/usr/bin/env bash
# The official mysql image's entrypoint contract, on MariaDB (a stand-in: see the Dockerfile).
set -Eeuo pipefail

log() { printf '%s [Entrypoint]: %s\n' "$(date -u +%FT%TZ)" "$*"; }
die() { log "ERROR: $*" >&2; exit 1; }

# file_env VAR [DEFAULT]: VAR from $VAR or from the file $VAR_FILE names (not both)
file_env() {
  local var=$1 fvar="${1}_FILE" def=${2:-} val
  if [[ -n ${!var:-} && -n ${!fvar:-} ]]; then die "both $var and $fvar are set (but are exclusive)"; fi
  val=$def
  if [[ -n ${!var:-} ]]; then val=${!var}; elif [[ -n ${!fvar:-} ]]; then val=$(<"${!fvar}"); fi
  export "$var=$val"
  unset "$fvar"
}

if [[ ${1:-} == -* ]]; then set -- mysqld "$@"; fi
if [[ ${1:-} != mysqld && ${1:-} != mariadbd ]]; then exec "$@"; fi
shift
set -- mariadbd "$@"

DATADIR=/var/lib/mysql
SOCKET=/run/mysqld/mysqld.sock
if [[ $(id -u) == 0 ]]; then
  mkdir -p "$DATADIR" /run/mysqld
  find "$DATADIR" /run/mysqld \! -user mysql -exec chown mysql:mysql '{}' +
  exec setpriv --reuid=mysql --regid=mysql --init-groups "${BASH_SOURCE[0]}" "$@"
fi

sql_escape() { local s=${1//\\/\\\\}; printf '%s' "${s//\'/\\\'}"; }

if [[ ! -d $DATADIR/mysql ]]; then
  file_env MYSQL_ROOT_PASSWORD
  file_env MYSQL_DATABASE
  file_env MYSQL_USER
  file_env MYSQL_PASSWORD
  file_env MYSQL_ROOT_HOST '%'
  if [[ -z $MYSQL_ROOT_PASSWORD && -z ${MYSQL_ALLOW_EMPTY_PASSWORD:-} && -z ${MYSQL_RANDOM_ROOT_PASSWORD:-} ]]; then
    die "Database is uninitialized and password option is not specified
    You need to specify one of the following as an environment variable:
    - MYSQL_ROOT_PASSWORD
    - MYSQL_ALLOW_EMPTY_PASSWORD
    - MYSQL_RANDOM_ROOT_PASSWORD"
  fi
  if [[ $MYSQL_USER == root ]]; then die "MYSQL_USER=\"root\": use MYSQL_ROOT_PASSWORD for root"; fi
  if [[ -n ${MYSQL_RANDOM_ROOT_PASSWORD:-} ]]; then
    MYSQL_ROOT_PASSWORD=$(openssl rand -hex 16)
    log "GENERATED ROOT PASSWORD: $MYSQL_ROOT_PASSWORD"
  fi
  log "Initializing database files"
  mariadb-install-db --datadir="$DATADIR" --auth-root-authentication-method=normal \
    --skip-test-db --skip-name-resolve >/dev/null
  # TLS certificates, as MySQL 8 generates them at initialisation
  (
    cd "$DATADIR"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=MySQL_Server_Auto_Generated_CA_Certificate" \
      -keyout ca-key.pem -out ca.pem 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=MySQL_Server_Auto_Generated_Server_Certificate" \
      -keyout server-key.pem -out server-req.pem 2>/dev/null
    # X.509 v3 (extensions), as MySQL's own certificates: rustls, for one, rejects v1
    printf 'basicConstraints=CA:FALSE\nsubjectAltName=DNS:mysql,DNS:localhost\n' >server-ext.cnf
    openssl x509 -req -in server-req.pem -days 3650 -CA ca.pem -CAkey ca-key.pem -set_serial 01 \
      -extfile server-ext.cnf -out server-cert.pem 2>/dev/null
    rm -f server-ext.cnf
    rm -f server-req.pem
    chmod 0600 ca-key.pem server-key.pem
  )
  log "Starting temporary server (socket only)"
  "$@" --skip-networking --socket="$SOCKET" &
  pid=$!
  for ((i = 0; i < 60; i++)); do
    mariadb-admin --socket="$SOCKET" -uroot ping >/dev/null 2>&1 && break
    kill -0 "$pid" 2>/dev/null || die "temporary server exited"
    sleep 0.5
  done
  mariadb-admin --socket="$SOCKET" -uroot ping >/dev/null 2>&1 || die "temporary server did not start"
  {
    echo "SET @@SESSION.SQL_LOG_BIN=0;"
    echo "DELETE FROM mysql.global_priv WHERE User='' OR (User='root' AND Host NOT IN ('localhost'));"
    echo "ALTER USER 'root'@'localhost' IDENTIFIED BY '$(sql_escape "$MYSQL_ROOT_PASSWORD")';"
    if [[ $MYSQL_ROOT_HOST != localhost ]]; then
      echo "CREATE USER 'root'@'$(sql_escape "$MYSQL_ROOT_HOST")' IDENTIFIED BY '$(sql_escape "$MYSQL_ROOT_PASSWORD")';"
      echo "GRANT ALL ON *.* TO 'root'@'$(sql_escape "$MYSQL_ROOT_HOST")' WITH GRANT OPTION;"
    fi
    if [[ -n $MYSQL_DATABASE ]]; then echo "CREATE DATABASE IF NOT EXISTS \`$MYSQL_DATABASE\`;"; fi
    if [[ -n $MYSQL_USER && -n $MYSQL_PASSWORD ]]; then
      echo "CREATE USER '$(sql_escape "$MYSQL_USER")'@'%' IDENTIFIED BY '$(sql_escape "$MYSQL_PASSWORD")';"
      if [[ -n $MYSQL_DATABASE ]]; then echo "GRANT ALL ON \`$MYSQL_DATABASE\`.* TO '$(sql_escape "$MYSQL_USER")'@'%';"; fi
    fi
    echo "FLUSH PRIVILEGES;"
  } | mariadb --socket="$SOCKET" -uroot
  for f in /docker-entrypoint-initdb.d/*; do
    case $f in
      *.sh)
        log "running $f"
        # shellcheck source=/dev/null
        . "$f"
        ;;
      *.sql) log "running $f"; mariadb --socket="$SOCKET" -uroot -p"$MYSQL_ROOT_PASSWORD" "${MYSQL_DATABASE:-}" <"$f" ;;
      *.sql.gz) log "running $f"; gzip -dc "$f" | mariadb --socket="$SOCKET" -uroot -p"$MYSQL_ROOT_PASSWORD" "${MYSQL_DATABASE:-}" ;;
    esac
  done
  log "Stopping temporary server"
  kill -TERM "$pid"
  wait "$pid" || true
  log "MySQL init process done. Ready for start up."
fi
unset MYSQL_ROOT_PASSWORD MYSQL_PASSWORD
exec "$@"
