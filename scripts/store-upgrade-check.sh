#!/usr/bin/env bash
# Does a data directory of the embedded store carry over between two builds? Run it before shipping an upgrade of
# Garnet (or of the state it stores), against the build that runs in production now:
#
#   scripts/store-upgrade-check.sh <git ref of the build before>      e.g. the commit production runs
#
# Both ways (before → this tree, this tree → before), and each with the writer stopped (SIGTERM: a checkpoint) and
# SIGKILLed (the append-only log alone): the writer logs in through the README's curl flow (OTP, then MFA) and rotates
# the key once; the reader, started on the same data directory, must regenerate with the last key the writer
# answered (200, a new key) and refuse the key before it as a replay (1525). Needs curl and jq; about a minute on 2 cores.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
ref=${1:?usage: scripts/store-upgrade-check.sh <git ref of the build before>}
port=${SESSIONS_CHECK_PORT:-5180}
work=$(mktemp -d)
api_pid=
cleanup() {
  [ -n "$api_pid" ] && kill -KILL "$api_pid" 2>/dev/null || true
  git -C "$root" worktree remove --force "$work/before" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "== building $ref and this tree"
git -C "$root" worktree add --detach -q "$work/before" "$ref"
dotnet build "$work/before/src/Api" -c Release -o "$work/bin-before" -v q -nologo >/dev/null
dotnet build "$root/src/Api" -c Release -o "$work/bin-now" -v q -nologo >/dev/null

base="http://127.0.0.1:$port"
api="$base/auth/v1"
json='content-type: application/json'
phone='"brand":"demo","identifierType":"MOBILE","identifierValue":"+1 (876) 555-0101","deviceId":"phone-1"'
email='"brand":"demo","identifierType":"EMAIL","identifierValue":"Ada@Example.com","deviceId":"phone-1"'

start() { # start <bin dir> <data dir> <log>
  (cd "$1" && exec env ASPNETCORE_ENVIRONMENT=Development ASPNETCORE_URLS="$base" Sessions__Storage__DataDirectory="$2" \
    dotnet Sessions.Api.dll >"$3" 2>&1) &
  api_pid=$!
  for _ in $(seq 1 120); do
    curl -sf -o /dev/null "$base/health/ready" && return 0
    sleep 0.5
  done
  echo "the API in $1 did not get ready; its log: $3" >&2
  return 1
}

stop() { # stop <signal>
  kill "-$1" "$api_pid"
  wait "$api_pid" 2>/dev/null || true
  api_pid=
}

post() { curl -s "$api/$1" -H "$json" -d "$2"; }
otp() { curl -s "$base/dev/otp?brand=demo&identifierType=$1&identifierValue=$2" | jq -r .otp; }

write() { # logs in (OTP, then MFA) and rotates once; prints the key before the rotation and the key it answered
  local sid token msid key next
  sid=$(post token/generate "{$phone}" | jq -r .user.sessionId)
  post otp/generate "{$phone,\"sessionId\":\"$sid\"}" >/dev/null
  token=$(post otp/validate "{$phone,\"sessionId\":\"$sid\",\"otp\":\"$(otp MOBILE 18765550101)\"}" | jq -r .auth.token)
  msid=$(post mfa/token/generate "{$email,\"authorizedToken\":\"$token\"}" | jq -r .user.sessionId)
  post mfa/otp/generate "{$email,\"sessionId\":\"$msid\"}" >/dev/null
  key=$(post mfa/otp/validate "{$email,\"sessionId\":\"$msid\",\"otp\":\"$(otp EMAIL ada@example.com)\"}" | jq -r .auth.key)
  next=$(post mfa/token/regenerate "{$email,\"key\":\"$key\"}" | jq -r .auth.key)
  [ -n "$key" ] && [ "$key" != null ] && [ -n "$next" ] && [ "$next" != null ] && [ "$next" != "$key" ] || return 1
  echo "$key $next"
}

failed=0
for direction in "before now" "now before"; do
  read -r writer reader <<<"$direction"
  for signal in TERM KILL; do
    data="$work/data-$writer-$signal"
    start "$work/bin-$writer" "$data" "$work/$writer-$signal-writer.log"
    keys=$(write) || { echo "FAIL $writer → $reader ($signal): the writer's login did not complete"; failed=1; stop KILL; continue; }
    stop "$signal"
    read -r old last <<<"$keys"
    start "$work/bin-$reader" "$data" "$work/$writer-$signal-reader.log"
    # An answer that is not the envelope is a failure to report, not a reason to stop the other passes.
    answer=$(post mfa/token/regenerate "{$email,\"key\":\"$last\"}" | jq -c '[.status.code, (.auth.key != null)]' 2>/dev/null) || answer="no envelope"
    replay=$(post mfa/token/regenerate "{$email,\"key\":\"$old\"}" | jq -c .status.code 2>/dev/null) || replay="no envelope"
    stop TERM
    if [ "$answer" = "[200,true]" ] && [ "$replay" = 1525 ]; then
      echo "ok   $writer → $reader, writer ${signal}ed: the last key regenerates, the one before is a replay (1525)"
    else
      echo "FAIL $writer → $reader, writer ${signal}ed: last key $answer (want [200,true]), the one before $replay (want 1525)"
      failed=1
    fi
  done
done
exit $failed
