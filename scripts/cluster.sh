#!/usr/bin/env bash
# A local Sessions cluster without Docker: one store, 3 silos and 2 API processes (Orleans clients), all on loopback.
#
#   scripts/cluster.sh start            build, then start redis-server (or the embedded Garnet store), silos, APIs
#   scripts/cluster.sh stop             stop everything (SIGTERM: silos leave the membership table cleanly)
#   scripts/cluster.sh status           what runs
#   scripts/cluster.sh kill-silo N      SIGKILL silo N (1-3): the cluster declares it dead, its grains move
#   scripts/cluster.sh start-silo N     start silo N again
#   scripts/cluster.sh kill-all         SIGKILL every silo at once (a node-pool upgrade, an OOM wave, a power cut)
#   scripts/cluster.sh restart-all      start every silo that is not running
#   scripts/cluster.sh kill-store       SIGKILL the store: calls answer 1599 and /health/ready fails until it is back
#   scripts/cluster.sh start-store      start the store again from its append-only log
#
# APIs: http://127.0.0.1:5081 and http://127.0.0.1:5082 (brand DEMO, OTPs at /dev/otp). Logs and state: .data/cluster/
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
run="${SESSIONS_CLUSTER_DIR:-$root/.data/cluster}"
store_port="${SESSIONS_CLUSTER_STORE_PORT:-6390}"
silo_dll="$root/src/Silo/bin/Release/net10.0/Sessions.Silo.dll"
api_dll="$root/src/Api/bin/Release/net10.0/Sessions.Api.dll"
mkdir -p "$run"

make_secrets() {
  # Every process must share the signing key (APIs) and the OTP hash key (silos); made once, kept in the run folder.
  [ -f "$run/secrets.env" ] && return 0
  ( umask 077
    { echo "Sessions__Brands__DEMO__SigningKeys__0__Id=demo-local"
      echo "Sessions__Brands__DEMO__SigningKeys__0__Secret=$(head -c 32 /dev/urandom | base64 -w0)"
      echo "Sessions__Otp__HashKey=$(head -c 32 /dev/urandom | base64 -w0)"
    } > "$run/secrets.env.tmp" && mv "$run/secrets.env.tmp" "$run/secrets.env" )
}

common_env() {
  export DOTNET_ENVIRONMENT=Development ASPNETCORE_ENVIRONMENT=Development
  export ConnectionStrings__Redis="127.0.0.1:$store_port"
  export Sessions__Storage__Mode=Redis Sessions__Otp__Sender=DevOutbox
  export Sessions__Brands__DEMO__OrgId=100458 Sessions__Brands__DEMO__OrgUser=demo.solution
  set -a; . "$run/secrets.env"; set +a
}

alive() { [ -f "$run/$1.pid" ] && kill -0 "$(cat "$run/$1.pid")" 2>/dev/null; }

store_ping() {
  { exec 3<>"/dev/tcp/127.0.0.1/$store_port"; } 2>/dev/null || return 1
  printf 'PING\r\n' >&3
  local reply; read -r -t 2 reply <&3 || true
  exec 3>&-
  [[ "$reply" == +PONG* ]]
}

wait_for() { # name, command...
  local name=$1; shift
  for _ in $(seq 1 120); do "$@" && return 0; sleep 0.5; done
  echo "$name did not come up; see $run/$name.log" >&2; return 1
}

start_store() {
  alive store && return 0
  if command -v redis-server >/dev/null 2>&1; then
    mkdir -p "$run/redis"
    redis-server --port "$store_port" --bind 127.0.0.1 --appendonly yes --appendfsync always --save "" \
      --maxmemory-policy noeviction --dir "$run/redis" > "$run/store.log" 2>&1 &
  else
    DOTNET_ENVIRONMENT=Development Sessions__Storage__EmbeddedPort="$store_port" Sessions__Storage__DataDirectory="$run/garnet" \
      Sessions__Storage__EmbeddedDurability=Acknowledged dotnet "$silo_dll" store > "$run/store.log" 2>&1 &
  fi
  echo $! > "$run/store.pid"
  wait_for store store_ping
}

start_silo() {
  local n=$1; alive "silo$n" && return 0
  ( common_env
    export Sessions__Cluster__Mode=Silo Sessions__Cluster__AdvertisedAddress=127.0.0.1
    export Sessions__Cluster__SiloPort=$((11110 + n)) Sessions__Cluster__GatewayPort=$((30000 + n))
    exec dotnet "$silo_dll" ) > "$run/silo$n.log" 2>&1 &
  echo $! > "$run/silo$n.pid"
}

start_api() {
  local n=$1; alive "api$n" && return 0
  ( common_env
    export Sessions__Cluster__Mode=Client ASPNETCORE_URLS="http://127.0.0.1:$((5080 + n))"
    cd "$root/src/Api" && exec dotnet "$api_dll" ) > "$run/api$n.log" 2>&1 &
  echo $! > "$run/api$n.pid"
  wait_for "api$n" curl -s -o /dev/null "http://127.0.0.1:$((5080 + n))/auth/v1/token/generate"
}

kill_hard() { # SIGKILL, as a crash: no shutdown, no membership update, no final flush
  local name=$1
  alive "$name" && kill -KILL "$(cat "$run/$name.pid")"
  rm -f "$run/$name.pid"
}

stop_one() {
  local name=$1
  alive "$name" || { rm -f "$run/$name.pid"; return 0; }
  local pid; pid=$(cat "$run/$name.pid")
  kill -TERM "$pid"
  for _ in $(seq 1 90); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  rm -f "$run/$name.pid"
}

case "${1:-}" in
  start)
    dotnet build "$root/src/Api" -c Release -nologo -v quiet
    make_secrets
    start_store
    for n in 1 2 3; do start_silo "$n"; done
    for n in 1 2; do start_api "$n"; done
    echo "cluster up: APIs on http://127.0.0.1:5081 and http://127.0.0.1:5082; logs in $run" ;;
  stop)
    for name in api1 api2 silo1 silo2 silo3 store; do stop_one "$name"; done
    echo "cluster stopped" ;;
  status)
    for name in store silo1 silo2 silo3 api1 api2; do
      if alive "$name"; then echo "$name running (pid $(cat "$run/$name.pid"))"; else echo "$name stopped"; fi
    done ;;
  kill-silo)
    kill_hard "silo${2:?silo number}" && echo "silo$2 killed" ;;
  start-silo)
    make_secrets
    start_silo "${2:?silo number}" && echo "silo$2 started" ;;
  kill-all)
    for n in 1 2 3; do kill_hard "silo$n"; done
    echo "every silo killed" ;;
  restart-all)
    make_secrets
    for n in 1 2 3; do start_silo "$n"; done
    echo "silos started" ;;
  kill-store)
    kill_hard store && echo "store killed" ;;
  start-store)
    start_store && echo "store started" ;;
  *)
    sed -n '2,15p' "$0"; exit 2 ;;
esac
