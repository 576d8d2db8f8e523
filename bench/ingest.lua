-- wrk script of bench/ingest.py: post pre-signed webhook requests, each one once.
--
--   wrk -t T -c C -d D -s bench/ingest.lua URL -- REQUESTS_FILE
--
-- REQUESTS_FILE holds complete HTTP requests, signed as the provider signs them (wrk's LuaJIT has
-- no HMAC), each preceded by its length in bytes and a newline. Thread n of T sends requests
-- n, n + T, n + 2T, ... so no two threads send the same report; a thread that runs out starts
-- over (repeats: counted in "wrapped", and the bench gives each run more requests than it needs).
-- done() prints one JSON line, prefixed "WRK_RESULT ", for bench/ingest.py to read.

local threads = {}
local counter = 0

function setup(thread)  -- runs in wrk's main Lua state, before the threads' states exist
   thread:set("id", counter)
   table.insert(threads, thread)
   counter = counter + 1
   for _, t in ipairs(threads) do
      t:set("nthreads", counter)
   end
end

function init(args)
   local file = assert(io.open(args[1], "rb"))
   local data = file:read("*a")
   file:close()
   requests = {}
   wrapped = 0
   local pos, n = 1, 0
   while pos <= #data do
      local newline = data:find("\n", pos, true)
      local size = tonumber(data:sub(pos, newline - 1))
      if n % nthreads == id then
         requests[#requests + 1] = data:sub(newline + 1, newline + size)
      end
      pos = newline + 1 + size
      n = n + 1
   end
   nextone = 1
end

function request()
   local req = requests[nextone]
   nextone = nextone + 1
   if nextone > #requests then
      nextone = 1
      wrapped = wrapped + 1
   end
   return req
end

function done(summary, latency, requests)
   local wraps = 0
   for _, thread in ipairs(threads) do
      wraps = wraps + thread:get("wrapped")
   end
   local e = summary.errors
   io.write(string.format(
      'WRK_RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, '
         .. '"max_us": %d, "mean_us": %.1f, "connect_errors": %d, "read_errors": %d, '
         .. '"write_errors": %d, "status_errors": %d, "timeouts": %d, "wrapped": %d}\n',
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
      latency:percentile(99), latency.max, latency.mean, e.connect, e.read, e.write, e.status,
      e.timeout, wraps))
end
