-- wrk script for `make bench` (serve): each thread POSTs the one-click unsubscribe for
-- its share of the request paths in args[1] (one a line, made by tests/bench/run.sh),
-- each path once, then stops.  args[2]: the number of threads.
local threads = {}
local count = 0

function setup(thread)
    thread:set("id", count)
    count = count + 1
    table.insert(threads, thread)
end

function init(args)
    paths = {}
    local n = 0
    local nthreads = tonumber(args[2])
    for line in io.lines(args[1]) do
        if n % nthreads == id then
            table.insert(paths, line)
        end
        n = n + 1
    end
    -- wrk calls request() once in thread 0 to check the script, and drops what it gets
    skip = id == 0 and 1 or 0
    sent = 0
    got = 0
    bad = 0
end

function request()
    sent = sent + 1
    -- past the end (a connection asking for one more before the thread stops): repeat the
    -- last one; unsubscribing twice is allowed and changes nothing
    local p = paths[sent - skip] or paths[#paths]
    return wrk.format("POST", p, { ["Content-Type"] = "application/x-www-form-urlencoded" },
        "List-Unsubscribe=One-Click")
end

function response(status, headers, body)
    got = got + 1
    if status ~= 200 then
        bad = bad + 1
    end
    if got >= #paths then
        wrk.thread:stop()
    end
end

function done(summary, latency, requests)
    local nbad = 0
    for _, t in ipairs(threads) do
        nbad = nbad + t:get("bad")
    end
    io.write(string.format("RESULT requests=%d errors=%d non200=%d seconds=%.3f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f\n",
        summary.requests, summary.errors.connect + summary.errors.read + summary.errors.write +
        summary.errors.timeout, nbad, summary.duration / 1e6, latency:percentile(50) / 1000,
        latency:percentile(99) / 1000, latency.max / 1000))
end
