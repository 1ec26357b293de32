# Throwaway PostgreSQL and RabbitMQ servers for tests and benchmarks. Source this file, then:
#
#   servers_install postgresql rabbitmq-server   # apt-get install whatever is missing (Debian)
#   start_postgres                                # exports BRIGADE_TEST_POSTGRES
#   start_rabbitmq                                # exports BRIGADE_TEST_RABBITMQ, BRIGADE_TEST_RABBITMQ_CTL
#   trap stop_servers EXIT                        # stops them and deletes their data
#
# Each server runs as a child of this shell on 127.0.0.1, on a free port, with its data in a
# fresh temporary directory. No system service is used, started or stopped.

SERVERS_DIR=""
SERVERS_PG_BIN=""
SERVERS_PG_DATA=""
SERVERS_RABBIT_PID=""
SERVERS_RABBIT_CTL=""
SERVERS_EPMD_PORT=""

servers_log() { printf '   [servers] %s\n' "$*" >&2; }

servers_dir() {
    if [ -z "$SERVERS_DIR" ]; then
        SERVERS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/brigade-servers.XXXXXX")
        # The PostgreSQL server runs as its own user and must reach its data directory.
        chmod 755 "$SERVERS_DIR"
    fi
}

# Is something listening on 127.0.0.1:$1?
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# A port nothing listens on, below the kernel's range for outgoing connections' local ports: a
# port in that range may be held by a client socket (one in TIME_WAIT after a burst of requests
# holds it for a minute) and refuse a server's bind although nothing listens on it.
free_port() {
    local port low=32768 high=60999 from=20000 to
    read -r low high </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || true
    to=$low
    if [ "$to" -le $((from + 1000)) ]; then from=$((high + 1)); to=65535; fi
    if [ "$to" -le $((from + 1000)) ]; then from=20000; to=60000; fi
    for _ in $(seq 1 200); do
        port=$(( from + RANDOM % (to - from) ))
        if ! port_in_use "$port"; then echo "$port"; return 0; fi
    done
    echo "no free port found" >&2
    return 1
}

# apt-get install the named Debian packages that are not installed yet.
servers_install() {
    local missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    servers_log "installing ${missing[*]}"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Run a PostgreSQL binary as the postgres user when we are root (the server refuses to run as root).
as_postgres() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# start_postgres [extra server settings as -c name=value ...]
start_postgres() {
    servers_dir
    SERVERS_PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [ -x "$SERVERS_PG_BIN/initdb" ] || { echo "PostgreSQL server binaries not found under /usr/lib/postgresql" >&2; return 1; }
    local dir="$SERVERS_DIR/postgres"
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir"
    SERVERS_PG_DATA="$dir/data"
    as_postgres "$SERVERS_PG_BIN/initdb" -D "$SERVERS_PG_DATA" -U postgres -A trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; return 1; }
    local port
    for _ in 1 2 3 4 5; do
        port=$(free_port)
        if as_postgres "$SERVERS_PG_BIN/pg_ctl" -D "$SERVERS_PG_DATA" -l "$dir/server.log" -w -t 60 \
            -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=400 -c shared_buffers=128MB $*" start >/dev/null; then
            export BRIGADE_TEST_POSTGRES="Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres"
            servers_log "PostgreSQL $("$SERVERS_PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"
            return 0
        fi
        tail -n 5 "$dir/server.log" >&2 || true
    done
    return 1
}

start_rabbitmq() {
    servers_dir
    local dir="$SERVERS_DIR/rabbitmq"
    mkdir -p "$dir/mnesia" "$dir/log" "$dir/home"
    local port dist
    port=$(free_port); dist=$(free_port); SERVERS_EPMD_PORT=$(free_port)
    local node="brigade-$$-$RANDOM@localhost"
    echo "[]." >"$dir/enabled_plugins"          # no management plugin, no other plugins
    : >"$dir/rabbitmq-env.conf"                 # ignore the system-wide env file
    cat >"$dir/rabbitmq.conf" <<EOF
listeners.tcp.1 = 127.0.0.1:$port
log.console = false
log.file.level = warning
EOF
    # Everything the server and its command-line tools need, in one file both read.
    cat >"$dir/env" <<EOF
export HOME="$dir/home"
export ERL_EPMD_ADDRESS=127.0.0.1
export ERL_EPMD_PORT=$SERVERS_EPMD_PORT
export RABBITMQ_NODENAME="$node"
export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
export RABBITMQ_NODE_PORT=$port
export RABBITMQ_DIST_PORT=$dist
export RABBITMQ_MNESIA_BASE="$dir/mnesia"
export RABBITMQ_LOG_BASE="$dir/log"
export RABBITMQ_PID_FILE="$dir/rabbitmq.pid"
export RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf"
export RABBITMQ_CONF_ENV_FILE="$dir/rabbitmq-env.conf"
export RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins"
export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
EOF
    SERVERS_RABBIT_CTL="$dir/rabbitmqctl"
    cat >"$SERVERS_RABBIT_CTL" <<EOF
#!/usr/bin/env bash
# rabbitmqctl for the throwaway node (tests use it to restart the broker).
. "$dir/env"
exec /usr/lib/rabbitmq/bin/rabbitmqctl -n "\$RABBITMQ_NODENAME" "\$@"
EOF
    chmod +x "$SERVERS_RABBIT_CTL"
    (
        . "$dir/env"
        cd "$dir"
        exec /usr/lib/rabbitmq/bin/rabbitmq-server >"$dir/log/console.log" 2>&1
    ) &
    SERVERS_RABBIT_PID=$!
    # "wait" follows the pid file until the node has booted (await_startup gives up if the node is not up yet).
    if ! timeout 150 "$SERVERS_RABBIT_CTL" wait "$dir/rabbitmq.pid" --timeout 120 >"$dir/log/wait.log" 2>&1; then
        echo "RabbitMQ did not start:" >&2
        tail -n 30 "$dir/log/console.log" >&2 || true
        return 1
    fi
    export BRIGADE_TEST_RABBITMQ="amqp://guest:guest@127.0.0.1:$port/"
    export BRIGADE_TEST_RABBITMQ_CTL="$SERVERS_RABBIT_CTL"
    servers_log "RabbitMQ on 127.0.0.1:$port (node $node)"
}

stop_servers() {
    if [ -n "$SERVERS_RABBIT_PID" ]; then
        "$SERVERS_RABBIT_CTL" stop >/dev/null 2>&1 || kill "$SERVERS_RABBIT_PID" 2>/dev/null || true
        for _ in $(seq 1 100); do kill -0 "$SERVERS_RABBIT_PID" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$SERVERS_RABBIT_PID" 2>/dev/null || true
        # The epmd this node started listens on our own port: ask it to go.
        ERL_EPMD_ADDRESS=127.0.0.1 epmd -port "$SERVERS_EPMD_PORT" -kill >/dev/null 2>&1 || true
        SERVERS_RABBIT_PID=""
    fi
    if [ -n "$SERVERS_PG_DATA" ] && [ -f "$SERVERS_PG_DATA/postmaster.pid" ]; then
        as_postgres "$SERVERS_PG_BIN/pg_ctl" -D "$SERVERS_PG_DATA" -m immediate -w stop >/dev/null 2>&1 || true
        SERVERS_PG_DATA=""
    fi
    if [ -n "$SERVERS_DIR" ]; then
        rm -rf "$SERVERS_DIR"
        SERVERS_DIR=""
    fi
}
