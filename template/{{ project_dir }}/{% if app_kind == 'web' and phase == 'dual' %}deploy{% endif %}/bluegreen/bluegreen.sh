#!/usr/bin/env bash
# Blue-green cutover of one web service on one host: nginx in front of two colors, blue = the current
# Python, green = the target (BG_BLUE_PYTHON, BG_GREEN_PYTHON). From copier-python-upgrade; the
# project's settings are in bluegreen.conf beside this file (or $BG_CONFIG), and every setting can be
# overridden by an environment variable of the same name.
set -euo pipefail

readonly EXIT_USAGE=2 EXIT_LOCKED=3 EXIT_UNHEALTHY=4 EXIT_NGINX=5 EXIT_STATE=6 EXIT_INCONCLUSIVE=7 EXIT_ANALYSIS=8

usage() {
    cat <<'USAGE'
Usage: bluegreen.sh [--dry-run] [--force] COMMAND [ARG]

Commands:
  status          colors, Python versions, weights, health and the last actions
  start           bring up the live color (its release command first) and nginx in front of it
                  (first install, after a reboot)
  deploy          start the other color beside the live one; wait until its health path answers
                  (no traffic moves to it)
  shift PERCENT   send PERCENT (0-100) of requests to the deployed color
  promote         shift by steps (BG_STEPS, default 10 50 100), baking BG_BAKE_SECONDS at each and
                  analysing the new color's 5xx rate, p99 latency and memory; a failing step rolls
                  back at once. Ends at 100% with the old color still running (rollback stays instant).
                  After a rollback, promote tries the rolled-back color again if it is still healthy
  rollback        all traffic back to the previous color recorded in the state file
  finalize        stop the old color (not before BG_KEEP_OLD_SECONDS after promote, unless --force)

Options:
  --dry-run       print what would change, change nothing
  --force         finalize inside the keep window
  -h, --help      this text

Exit codes: 0 ok, 2 usage, 3 another run holds the lock, 4 new color not healthy, 5 nginx refused
the config or did not take it, 6 state does not allow the command, 7 analysis inconclusive (too
few requests; promote paused), 8 analysis failed (rolled back), 130/143 stopped by SIGINT/SIGTERM
(what this run was starting is stopped; the traffic stays as the state file says).
USAGE
}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# `shellcheck -x` follows the config; plain `shellcheck` (pre-commit's hook, most CI linters) cannot,
# and needs nothing from it: the settings are upper-case, which it takes for environment variables.
# shellcheck source-path=SCRIPTDIR source=bluegreen.conf disable=SC1091
. "${BG_CONFIG:-$here/bluegreen.conf}"

readonly NAME_PREFIX=$BG_NAME_PREFIX
state_file=$BG_STATE_DIR/state
audit_log=$BG_STATE_DIR/audit.log
nginx_conf=$BG_NGINX_PREFIX/conf/nginx.conf
access_log=$BG_NGINX_PREFIX/logs/access.log
dry_run=0 force=0
# docker runtime: both colors (and the release command) get the same env file and the same state.
docker_env_file=()
[ -z "$BG_ENV_FILE" ] || docker_env_file=(--env-file "$BG_ENV_FILE")
docker_volumes=()
for volume in $BG_VOLUMES; do
    case $volume in
    ?*:/?*) docker_volumes+=(--volume "$volume") ;;
    *)
        printf 'bluegreen: error: BG_VOLUMES: %s is not SOURCE:/path (a volume name or host directory, then where the app finds it)\n' "$volume" >&2
        exit "$EXIT_USAGE"
        ;;
    esac
done

log() { printf '%s bluegreen: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() {
    local code=$1
    shift
    log "error: $*"
    exit "$code"
}

other() { if [ "$1" = blue ]; then echo green; else echo blue; fi; }
port_of() { if [ "$1" = blue ]; then echo "$BG_BLUE_PORT"; else echo "$BG_GREEN_PORT"; fi; }
python_of() { if [ "$1" = blue ]; then echo "$BG_BLUE_PYTHON"; else echo "$BG_GREEN_PYTHON"; fi; }
image_of() { if [ "$1" = blue ]; then echo "$BG_BLUE_IMAGE"; else echo "$BG_GREEN_IMAGE"; fi; }
venv_of() { if [ "$1" = blue ]; then echo "$BG_BLUE_VENV"; else echo "$BG_GREEN_VENV"; fi; }

# ------------------------------------------------------------------ state (key=value, atomic writes)
# The keys of the state file, in the order save_state writes them; load_state reads these and no other.
STATE_KEYS=(LIVE CANDIDATE WEIGHT PREVIOUS PHASE GENERATION PROMOTED_AT)
PHASES="idle deployed shifting promoted rolled-back finalized"
LIVE=blue CANDIDATE="" WEIGHT=0 PREVIOUS="" PHASE=idle GENERATION=0 PROMOTED_AT=0

load_state() {
    [ -f "$state_file" ] || return 0
    local key value
    while IFS='=' read -r key value; do
        if [[ " ${STATE_KEYS[*]} " == *" $key "* ]]; then printf -v "$key" '%s' "$value"; fi
    done <"$state_file"
    case $LIVE in blue | green) ;; *) die "$EXIT_STATE" "corrupt state file $state_file (LIVE=$LIVE)" ;; esac
    [[ " $PHASES " == *" $PHASE "* ]] || die "$EXIT_STATE" "corrupt state file $state_file (PHASE=$PHASE)"
    [[ $WEIGHT =~ ^[0-9]+$ && $GENERATION =~ ^[0-9]+$ && $PROMOTED_AT =~ ^[0-9]+$ ]] ||
        die "$EXIT_STATE" "corrupt state file $state_file"
}

save_state() {
    local tmp key
    tmp=$(mktemp "$state_file.tmp.XXXXXX")
    for key in "${STATE_KEYS[@]}"; do printf '%s=%s\n' "$key" "${!key}"; done >"$tmp"
    mv -fT "$tmp" "$state_file"
}

audit() { # audit ACTION FROM TO [DETAIL]: one appended line, tab-separated
    printf '%s\t%s\t%s\t%s -> %s\t%s\n' "$(date -u +%FT%TZ)" "${SUDO_USER:-$(id -un)}" "$1" "$2" "$3" "${4:-}" >>"$audit_log"
}

split() { # the traffic split as text
    if [ -n "$CANDIDATE" ]; then echo "$LIVE $((100 - WEIGHT))% / $CANDIDATE $WEIGHT%"; else echo "$LIVE 100%"; fi
}

# ------------------------------------------------------------------ colors
health() { # health COLOR: 0 when the color answers 2xx on its health path (redirects are not followed)
    local code
    code=$(curl -sS -o /dev/null -m 2 -w '%{http_code}' -H "Host: $BG_HEALTH_HOST" \
        "http://127.0.0.1:$(port_of "$1")$BG_HEALTH_PATH" 2>/dev/null) || return 1
    [[ $code == 2?? ]]
}

health_answer() { # health_answer COLOR: what the health path answers, for the message of a failed gate
    local answer
    answer=$(curl -s -o /dev/null -m 2 -w '%{http_code} %{redirect_url}' -H "Host: $BG_HEALTH_HOST" \
        "http://127.0.0.1:$(port_of "$1")$BG_HEALTH_PATH" 2>/dev/null) || true
    case $answer in
    000* | "") echo "no answer" ;;
    3*) echo "HTTP ${answer% *}, a redirect to ${answer#* } (not followed)" ;;
    400*) echo "HTTP 400 (a refused Host header? BG_HEALTH_HOST=$BG_HEALTH_HOST, the probe_host answer)" ;;
    *) echo "HTTP ${answer% *}" ;;
    esac
}

require_env_file() { # BG_ENV_FILE, when set, must be there before anything starts
    if [ -n "$BG_ENV_FILE" ] && [ ! -r "$BG_ENV_FILE" ]; then
        die "$EXIT_STATE" "BG_ENV_FILE $BG_ENV_FILE is not readable (the app_env_file answer, or BG_ENV_FILE=)"
    fi
}

export_env_file() { # venv runtime: BG_ENV_FILE's KEY=value lines exported to the app (in its subshell)
    if [ -n "$BG_ENV_FILE" ]; then
        set -a
        # shellcheck source=/dev/null
        . "$BG_ENV_FILE"
        set +a
    fi
}

release() { # release COLOR: the release command (migrations) once, with the new color's code, before it starts
    [ -n "$BG_RELEASE_COMMAND" ] || return 0
    require_env_file
    log "release command for $1: $BG_RELEASE_COMMAND"
    # In the background, waited for: a signal reaches its trap at once (see on_signal).
    if [ "$BG_RUNTIME" = docker ]; then
        "$BG_DOCKER" rm -f "$(container release)" >/dev/null 2>&1 || true
        "$BG_DOCKER" run --rm --name "$(container release)" --network host "${docker_env_file[@]}" "${docker_volumes[@]}" \
            "$(image_of "$1")" sh -c "$BG_RELEASE_COMMAND" 9>&- &
    else
        local venv
        venv=$(venv_of "$1")
        (
            cd "$BG_APP_DIR"
            export_env_file
            VIRTUAL_ENV=$venv PATH="$venv/bin:$PATH" exec setsid /bin/sh -c "$BG_RELEASE_COMMAND" 9>&-
        ) &
    fi
    release_pid=$!
    local code=0
    wait "$release_pid" || code=$?
    release_pid=""
    return "$code"
}

container() { echo "$NAME_PREFIX-$1"; }

# What a run started and has not handed over yet, for on_signal: the release command, the color a
# deploy is starting (before the state file records it), the bake traffic.
release_pid="" starting="" bake_load_pid=""

on_signal() { # SIGINT or SIGTERM: stop what this run started, keep what the state file records
    trap - INT TERM
    bake_load_stop
    if [ -n "$release_pid" ]; then
        if [ "$BG_RUNTIME" = docker ]; then
            "$BG_DOCKER" rm -f "$(container release)" >/dev/null 2>&1 || true
        else
            kill -TERM -- "-$release_pid" 2>/dev/null || kill -TERM "$release_pid" 2>/dev/null || true
        fi
        wait "$release_pid" 2>/dev/null || true
    fi
    [ -z "$starting" ] || stop_color "$starting"
    log "error: stopped by SIG$1${starting:+; stopped $starting, which was starting}; traffic stays as the state file says ($(split))"
    exit "$((128 + $2))"
}

start_color() {
    local color=$1 port
    port=$(port_of "$color")
    log "starting $color (Python $(python_of "$color")) on port $port ($BG_RUNTIME runtime)"
    require_env_file
    if [ "$BG_RUNTIME" = docker ]; then
        "$BG_DOCKER" rm -f "$(container "$color")" >/dev/null 2>&1 || true
        "$BG_DOCKER" run -d --name "$(container "$color")" --network host "${docker_env_file[@]}" "${docker_volumes[@]}" -e "PORT=$port" \
            --stop-timeout "$BG_STOP_TIMEOUT" --restart unless-stopped "$(image_of "$color")" >/dev/null
    else
        local venv
        venv=$(venv_of "$color")
        [ -x "$venv/bin/python" ] ||
            die "$EXIT_STATE" "no virtualenv at $venv: make it with python$(python_of "$color") -m venv $venv and install the app"
        (
            cd "$BG_APP_DIR"
            export_env_file
            # 9>&-: the app must not inherit the lock, or it would hold it for as long as it runs.
            PORT=$port VIRTUAL_ENV=$venv PATH="$venv/bin:$PATH" \
                setsid nohup /bin/sh -c "exec $BG_APP_COMMAND" >>"$BG_STATE_DIR/$color.log" 2>&1 </dev/null 9>&- &
            echo $! >"$BG_STATE_DIR/$color.pid"
        )
    fi
}

main_pid() { # the color's main process id, or nothing
    if [ "$BG_RUNTIME" = docker ]; then
        "$BG_DOCKER" inspect -f '{{.State.Pid}}' "$(container "$1")" 2>/dev/null | grep -v '^0$' || true
    elif [ -f "$BG_STATE_DIR/$1.pid" ]; then
        cat "$BG_STATE_DIR/$1.pid"
    fi
}

stop_color() { # graceful: in-flight requests finish, then the color is gone
    local color=$1
    log "stopping $color (up to ${BG_STOP_TIMEOUT}s to finish in-flight requests)"
    if [ "$BG_RUNTIME" = docker ]; then
        "$BG_DOCKER" stop -t "$BG_STOP_TIMEOUT" "$(container "$color")" >/dev/null 2>&1 || true
        "$BG_DOCKER" rm -f "$(container "$color")" >/dev/null 2>&1 || true
    else
        local pid
        pid=$(main_pid "$color")
        if [ -n "$pid" ]; then
            kill -TERM "$pid" 2>/dev/null || true
            for _ in $(seq 1 "$((BG_STOP_TIMEOUT * 10))"); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
            done
            kill -KILL "$pid" 2>/dev/null || true
        fi
        rm -f "$BG_STATE_DIR/$color.pid"
    fi
}

rss_kib() { # resident memory of the color's whole process tree, in KiB
    local pid
    pid=$(main_pid "$1")
    [ -n "$pid" ] || { echo 0; return 0; }
    # All processes as "pid ppid rss", then the tree under $pid.
    ps -e -o pid= -o ppid= -o rss= | awk -v root="$pid" '
        { parent[$1] = $2; rss[$1] = $3 }
        END {
            for (p in parent) {
                q = p
                for (i = 0; i < 64 && q != "" && q != 0; i++) { if (q == root) { total += rss[p]; break } q = parent[q] }
            }
            print total + 0
        }'
}

wait_healthy() {
    local color=$1 start=$SECONDS
    until health "$color"; do
        if ((SECONDS - start >= BG_HEALTH_TIMEOUT)); then
            return 1
        fi
        if (((SECONDS - start) % 10 == 0)); then
            log "waiting for $color on $BG_HEALTH_PATH ($((SECONDS - start))s of ${BG_HEALTH_TIMEOUT}s)"
        fi
        sleep "$BG_HEALTH_INTERVAL"
    done
}

# ------------------------------------------------------------------ nginx
render_nginx() { # render_nginx FILE: the config for LIVE / CANDIDATE / WEIGHT / GENERATION
    local servers
    if [ -z "$CANDIDATE" ] || [ "$WEIGHT" -eq 0 ]; then
        servers="        server 127.0.0.1:$(port_of "$LIVE") max_fails=0;"
    elif [ "$WEIGHT" -ge 100 ]; then
        servers="        server 127.0.0.1:$(port_of "$CANDIDATE") max_fails=0;"
    else
        servers="        server 127.0.0.1:$(port_of "$LIVE") weight=$((100 - WEIGHT)) max_fails=0;
        server 127.0.0.1:$(port_of "$CANDIDATE") weight=$WEIGHT max_fails=0;"
    fi
    cat >"$1" <<NGINX
# Written by bluegreen.sh (generation $GENERATION: $(split)); rewritten on every change.
worker_processes 1;
pid logs/nginx.pid;
error_log logs/error.log warn;
events { worker_connections 1024; }
http {
    client_body_temp_path temp/body;
    proxy_temp_path temp/proxy;
    # One line per request: which upstream answered, with what status, how fast (the analysis reads it).
    log_format bluegreen '\$msec|\$status|\$upstream_addr|\$upstream_status|\$upstream_response_time|\$request_time';
    access_log logs/access.log bluegreen;
    upstream app {
$servers
        keepalive 32;
    }
    server {
        listen $BG_LISTEN;
        location = /__bluegreen/generation { access_log off; return 200 "$GENERATION\n"; }
        location / {
            proxy_pass http://app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$host;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            # A color that refuses a connection (stopped, crashed) costs a retry, not an error.
            proxy_next_upstream error timeout;
            add_header X-Upstream \$upstream_addr always;
        }
    }
}
NGINX
}

nginx_pid() { cat "$BG_NGINX_PREFIX/logs/nginx.pid" 2>/dev/null || true; }
nginx_running() {
    local pid
    pid=$(nginx_pid)
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}
nginx() { "$BG_NGINX" -p "$BG_NGINX_PREFIX" -e logs/error.log "$@"; }

live_generation() { curl -fsS -m 2 "http://$BG_LISTEN/__bluegreen/generation" 2>/dev/null || true; }

# apply_nginx: render the config for the state in memory, `nginx -t` it, swap it in atomically,
# reload (or start) and confirm by probing that nginx serves the new generation (nginx can exit 0
# and keep the old config). On failure the previous file is put back and reloaded.
apply_nginx() {
    local next=$((GENERATION + 1)) candidate=$nginx_conf.candidate previous=$nginx_conf.previous
    mkdir -p "$BG_NGINX_PREFIX/conf" "$BG_NGINX_PREFIX/logs" "$BG_NGINX_PREFIX/temp"
    GENERATION=$next
    render_nginx "$candidate"
    if ! nginx -q -t -c "$candidate" 2>"$BG_STATE_DIR/nginx-test.log"; then
        rm -f "$candidate"
        die "$EXIT_NGINX" "nginx -t refused the new config ($(split)); nothing reloaded: $(tr '\n' ' ' <"$BG_STATE_DIR/nginx-test.log")"
    fi
    if [ -f "$nginx_conf" ]; then cp -p "$nginx_conf" "$previous"; else rm -f "$previous"; fi
    mv -fT "$candidate" "$nginx_conf"
    if nginx_running; then
        nginx -c "$nginx_conf" -s reload
    else
        nginx -c "$nginx_conf" 9>&- # the nginx master must not inherit (and keep) the lock
    fi
    # Confirmed when 5 probes in a row, each on a new connection, get the new generation: old
    # workers may accept a connection or two before they stop listening.
    local tries=0 seen=0
    while ((seen < 5)); do
        if [ "$(live_generation)" = "$next" ]; then
            seen=$((seen + 1))
        else
            seen=0
        fi
        tries=$((tries + 1))
        if ((tries > 100)); then
            log "nginx did not take generation $next within 5s; restoring the previous config"
            if [ -f "$previous" ]; then
                mv -fT "$previous" "$nginx_conf"
                if nginx_running; then nginx -c "$nginx_conf" -s reload || true; fi
            fi
            die "$EXIT_NGINX" "reload to $(split) not confirmed; previous config restored"
        fi
        sleep 0.05
    done
}

# recover: after a run that died (SIGKILL, power), make files and nginx agree with the state file.
recover() {
    rm -f "$nginx_conf.candidate" "$state_file".tmp.*
    if nginx_running && [ "$(live_generation)" != "$GENERATION" ]; then
        log "nginx serves generation '$(live_generation)', the state says $GENERATION: re-applying $(split)"
        apply_nginx
        save_state
        audit recover "?" "$(split)" "nginx and state file out of step after an interrupted run"
    fi
}

set_weight() { # set_weight PERCENT
    local was
    was=$(split)
    WEIGHT=$1
    if ((dry_run)); then
        log "dry run: would change $was to $(split)"
        return 0
    fi
    apply_nginx
    save_state
    audit shift "$was" "$(split)"
    log "now $(split) (Python $(python_of "$CANDIDATE") at $WEIGHT%)"
}

# ------------------------------------------------------------------ analysis
log_offset() { stat -c %s "$access_log" 2>/dev/null || echo 0; }

# analyse OFFSET: judge the new color on the access-log lines written since OFFSET.
# Prints one line with the numbers; returns 0 pass, 1 fail, 2 inconclusive.
analyse() {
    local offset=$1 new_addr stats total errors error_percent p99_ms new_rss old_rss rss_percent summary
    new_addr=127.0.0.1:$(port_of "$CANDIDATE")
    # Requests whose first attempt went to the new color: count, 5xx, and their response times.
    stats=$(tail -c +"$((offset + 1))" "$access_log" 2>/dev/null | awk -F'|' -v addr="$new_addr" '
        { split($3, a, ", "); split($4, s, ", "); split($5, t, ", ") }
        a[1] == addr { n++; if (s[1] ~ /^5/ || s[1] == "-") e++; print "T", t[1] * 1000 }
        END { print "N", n + 0, e + 0 }')
    read -r _ total errors <<<"$(grep '^N ' <<<"$stats")"
    p99_ms=$(grep '^T ' <<<"$stats" | cut -d' ' -f2 | sort -n | awk '{ v[NR] = $1 } END { if (NR) { i = int(NR * 0.99 + 0.999); if (i > NR) i = NR; printf "%d", v[i] } else print 0 }')
    new_rss=$(rss_kib "$CANDIDATE")
    old_rss=$(rss_kib "$LIVE")
    rss_percent=0
    ((old_rss > 0)) && rss_percent=$((new_rss * 100 / old_rss))
    error_percent=$(awk -v e="$errors" -v n="$total" 'BEGIN { printf "%.1f", n ? 100 * e / n : 0 }')
    summary="$CANDIDATE at $WEIGHT%: $total requests, 5xx $errors (${error_percent}%, max ${BG_MAX_5XX_PERCENT}%)"
    summary+=", p99 ${p99_ms} ms (max ${BG_MAX_P99_MS}), RSS $((new_rss / 1024)) MiB vs $LIVE $((old_rss / 1024)) MiB"
    summary+=" (${rss_percent}%, max ${BG_MAX_RSS_PERCENT}%)"
    if ((total < BG_MIN_REQUESTS)); then
        echo "inconclusive, too few requests (min $BG_MIN_REQUESTS): $summary"
        return 2
    fi
    if awk -v e="$errors" -v n="$total" -v max="$BG_MAX_5XX_PERCENT" 'BEGIN { exit !(100 * e / n > max) }' ||
        ((p99_ms > BG_MAX_P99_MS)) || ((old_rss > 0 && rss_percent > BG_MAX_RSS_PERCENT)) || ((new_rss == 0)); then
        echo "failed: $summary"
        return 1
    fi
    echo "passed: $summary"
}

# ------------------------------------------------------------------ commands
cmd_status() {
    local color role weight
    printf 'phase %s, %s; nginx %s on %s (generation %s, serving %s)\n' "$PHASE" "$(split)" \
        "$(nginx_running && echo running || echo stopped)" "$BG_LISTEN" "$GENERATION" "$(live_generation || true)"
    for color in blue green; do
        role=idle weight=0
        if [ "$color" = "$LIVE" ]; then
            role=live weight=100
            [ -n "$CANDIDATE" ] && weight=$((100 - WEIGHT))
        fi
        [ "$color" = "$CANDIDATE" ] && role=candidate weight=$WEIGHT
        [ "$color" = "$PREVIOUS" ] && role=previous
        printf '%-6s Python %-5s port %-5s %-9s %3s%%  %s\n' "$color" "$(python_of "$color")" \
            "$(port_of "$color")" "$role" "$weight" "$(health "$color" && echo healthy || echo down)"
    done
    if [ -f "$audit_log" ]; then
        echo "last actions:"
        tail -n 5 "$audit_log" | sed 's/^/  /'
    fi
}

cmd_start() {
    if ((dry_run)); then
        log "dry run: would start $LIVE (release command first) if it is down and nginx on $BG_LISTEN if it is stopped"
        return 0
    fi
    if ! health "$LIVE"; then
        release "$LIVE" || die "$EXIT_UNHEALTHY" "the release command failed for $LIVE; nothing started"
        start_color "$LIVE"
        wait_healthy "$LIVE" || die "$EXIT_UNHEALTHY" "$LIVE never answered $BG_HEALTH_PATH within ${BG_HEALTH_TIMEOUT}s"
    fi
    if ! nginx_running; then
        apply_nginx
        save_state
        audit start "-" "$(split)" "nginx on $BG_LISTEN"
    fi
    log "serving: $(split) on $BG_LISTEN"
}

cmd_deploy() {
    case $PHASE in
    deployed | shifting) die "$EXIT_STATE" "$CANDIDATE is already deployed ($(split)): promote, rollback or finalize first" ;;
    promoted | rolled-back)
        [ -z "$PREVIOUS" ] || die "$EXIT_STATE" "$PREVIOUS still runs for rollback: finalize it first" ;;
    esac
    local new
    new=$(other "$LIVE")
    if ((dry_run)); then
        log "dry run: would start $new (Python $(python_of "$new")) on port $(port_of "$new") and wait for $BG_HEALTH_PATH"
        return 0
    fi
    if ! nginx_running || ! health "$LIVE"; then cmd_start; fi
    # Release steps (migrations) run once, before the new color takes traffic, against the shared
    # database: they must keep the live color working (expand first, contract after finalize).
    if ! release "$new"; then
        audit deploy-failed "$(split)" "$(split)" "release command failed"
        die "$EXIT_UNHEALTHY" "the release command failed for $new; nothing started, no traffic moved ($(split))"
    fi
    starting=$new
    start_color "$new"
    if ! wait_healthy "$new"; then
        local answer
        answer=$(health_answer "$new")
        stop_color "$new"
        starting=""
        audit deploy-failed "$(split)" "$(split)" "$new not healthy within ${BG_HEALTH_TIMEOUT}s"
        die "$EXIT_UNHEALTHY" "$new never answered 2xx on $BG_HEALTH_PATH (Host: $BG_HEALTH_HOST) within ${BG_HEALTH_TIMEOUT}s (last: $answer); stopped it, no traffic moved ($(split))"
    fi
    CANDIDATE=$new WEIGHT=0 PHASE=deployed
    save_state
    starting=""
    audit deploy "$(split)" "$(split)" "$new (Python $(python_of "$new")) healthy, no traffic"
    log "$new is healthy and gets no traffic yet; next: shift 10 or promote"
}

cmd_shift() {
    local percent=${1:-}
    [[ $percent =~ ^[0-9]+$ ]] && [ "$percent" -le 100 ] || die "$EXIT_USAGE" "shift takes a percent from 0 to 100, got '${percent}'"
    [ -n "$CANDIDATE" ] || die "$EXIT_STATE" "nothing deployed to shift to: run deploy first"
    if [ "$percent" -gt 0 ] && ! health "$CANDIDATE"; then
        die "$EXIT_UNHEALTHY" "$CANDIDATE is not healthy; no traffic moved ($(split))"
    fi
    PHASE=shifting
    set_weight "$percent"
}

bake_load_check() { # BG_BAKE_LOAD=1 needs locust and the locustfile before anything moves
    [ "$BG_BAKE_LOAD" = 1 ] || return 0
    command -v "$BG_LOCUST" >/dev/null ||
        die "$EXIT_USAGE" "BG_BAKE_LOAD=1 but BG_LOCUST ($BG_LOCUST) is not installed: run \`tox -c tox-python-upgrade.ini run -e load --notest\` or set BG_LOCUST"
    [ -f "$BG_LOCUSTFILE" ] || die "$EXIT_USAGE" "BG_BAKE_LOAD=1 but BG_LOCUSTFILE ($BG_LOCUSTFILE) does not exist"
}

bake_load_start() { # our own traffic for one bake (BG_BAKE_LOAD=1), bounded by the bake time
    [ "$BG_BAKE_LOAD" = 1 ] || return 0
    timeout --kill-after=5 "$((BG_BAKE_SECONDS + 10))" "$BG_LOCUST" -f "$BG_LOCUSTFILE" --headless \
        --users "$BG_BAKE_LOAD_USERS" --spawn-rate "$BG_BAKE_LOAD_USERS" --run-time "${BG_BAKE_SECONDS}s" \
        --host "http://$BG_LISTEN" --only-summary --loglevel WARNING >>"$BG_STATE_DIR/bake-load.log" 2>&1 &
    bake_load_pid=$!
    log "bake traffic: $BG_BAKE_LOAD_USERS locust users against $BG_LISTEN (BG_BAKE_LOAD=1; log: $BG_STATE_DIR/bake-load.log)"
}

bake_load_stop() {
    [ -n "${bake_load_pid:-}" ] || return 0
    kill "$bake_load_pid" 2>/dev/null || true
    wait "$bake_load_pid" 2>/dev/null || true
    bake_load_pid=""
}

cmd_promote() {
    bake_load_check
    if [ -z "$CANDIDATE" ] && [ "$PHASE" = rolled-back ] && [ -n "$PREVIOUS" ] && health "$PREVIOUS"; then
        log "promoting $PREVIOUS again (rolled back before, still running and healthy)"
        CANDIDATE=$PREVIOUS PREVIOUS="" WEIGHT=0
    fi
    [ -n "$CANDIDATE" ] || die "$EXIT_STATE" "nothing deployed to promote: run deploy first"
    local step offset verdict code waited
    for step in $BG_STEPS; do
        [ "$step" -le "$WEIGHT" ] && [ "$step" -lt 100 ] && continue
        if ! health "$CANDIDATE"; then
            log "$CANDIDATE failed its health check at $WEIGHT%; rolling back"
            cmd_rollback "health check failed at $WEIGHT%"
            exit "$EXIT_UNHEALTHY"
        fi
        PHASE=shifting
        [ "$step" -ne "$WEIGHT" ] && set_weight "$step"
        ((dry_run)) && continue
        offset=$(log_offset)
        waited=0
        bake_load_start
        while ((waited < BG_BAKE_SECONDS)); do
            sleep 1
            waited=$((waited + 1))
            if ((waited % 5 == 0 && waited < BG_BAKE_SECONDS)); then
                log "baking at $step%: ${waited}s of ${BG_BAKE_SECONDS}s"
            fi
            if ! health "$CANDIDATE"; then
                bake_load_stop
                log "$CANDIDATE stopped answering its health check at $step%; rolling back"
                cmd_rollback "health check failed at $step%"
                exit "$EXIT_UNHEALTHY"
            fi
        done
        bake_load_stop
        code=0
        verdict=$(analyse "$offset") || code=$?
        log "analysis $verdict"
        if ((code == 1)); then
            cmd_rollback "analysis $verdict"
            exit "$EXIT_ANALYSIS"
        elif ((code == 2)); then
            audit promote-paused "$(split)" "$(split)" "analysis $verdict"
            die "$EXIT_INCONCLUSIVE" "promote paused at $(split): analysis $verdict (run promote again, or rollback)"
        fi
    done
    ((dry_run)) && return 0
    local was
    was=$(split)
    PREVIOUS=$LIVE LIVE=$CANDIDATE CANDIDATE="" WEIGHT=0 PHASE=promoted PROMOTED_AT=$(date +%s)
    save_state
    audit promote "$was" "$(split)" "$PREVIOUS kept running for rollback"
    log "promoted: $LIVE (Python $(python_of "$LIVE")) has all traffic; $PREVIOUS keeps running (finalize after ${BG_KEEP_OLD_SECONDS}s)"
}

cmd_rollback() {
    local reason=${1:-requested} from to was
    if [ -n "$CANDIDATE" ]; then
        from=$CANDIDATE to=$LIVE
    elif [ -n "$PREVIOUS" ]; then
        from=$LIVE to=$PREVIOUS
    else
        die "$EXIT_STATE" "nothing to roll back to: no previous color recorded ($(split))"
    fi
    health "$to" || log "warning: $to does not answer its health check"
    if ((dry_run)); then
        log "dry run: would send 100% back to $to (from $from)"
        return 0
    fi
    was=$(split)
    LIVE=$to CANDIDATE="" WEIGHT=0 PREVIOUS=$from PHASE=rolled-back
    apply_nginx
    save_state
    audit rollback "$was" "$(split)" "$reason"
    log "rolled back ($reason): $to (Python $(python_of "$to")) has all traffic; $from still runs (finalize stops it)"
}

cmd_finalize() {
    [ -n "$PREVIOUS" ] || die "$EXIT_STATE" "no old color to retire ($(split))"
    [ -z "$CANDIDATE" ] || die "$EXIT_STATE" "$CANDIDATE still gets $WEIGHT%: promote or rollback first"
    local left=$((PROMOTED_AT + BG_KEEP_OLD_SECONDS - $(date +%s)))
    if [ "$PHASE" = promoted ] && ((left > 0 && !force)); then
        die "$EXIT_STATE" "$PREVIOUS is kept for rollback for another ${left}s (BG_KEEP_OLD_SECONDS); use --force to stop it now"
    fi
    if ((dry_run)); then
        log "dry run: would stop $PREVIOUS"
        return 0
    fi
    stop_color "$PREVIOUS"
    audit finalize "$(split)" "$(split)" "stopped $PREVIOUS"
    PREVIOUS="" PHASE=finalized
    save_state
}

main() {
    while [ $# -gt 0 ]; do
        case $1 in
        --dry-run) dry_run=1 ;;
        --force) force=1 ;;
        -h | --help)
            usage
            return 0
            ;;
        -*)
            usage >&2
            exit "$EXIT_USAGE"
            ;;
        *) break ;;
        esac
        shift
    done
    local command=${1:-}
    case $command in
    status | start | deploy | shift | promote | rollback | finalize) shift ;;
    *)
        usage >&2
        exit "$EXIT_USAGE"
        ;;
    esac
    command -v curl >/dev/null || die "$EXIT_USAGE" "curl is required"
    command -v flock >/dev/null || die "$EXIT_USAGE" "flock (util-linux) is required"
    mkdir -p "$BG_STATE_DIR"
    if [ "$command" = status ]; then # read-only: the state file is only ever replaced whole
        load_state
        cmd_status
        return 0
    fi
    # One run at a time. The short wait covers children of a run killed with SIGKILL (a sleep, a
    # curl) that still hold the lock for a moment; a live run holds it far longer and is refused.
    exec 9>"$BG_STATE_DIR/lock"
    flock -w "${BG_LOCK_WAIT:-3}" 9 || die "$EXIT_LOCKED" "another bluegreen.sh run holds $BG_STATE_DIR/lock"
    load_state
    trap 'on_signal INT 2' INT
    trap 'on_signal TERM 15' TERM
    ((dry_run)) || recover
    "cmd_$command" "$@"
}

# Sourced (tests, or a person reading a function in a shell), it defines the functions and runs nothing.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    main "$@"
fi
