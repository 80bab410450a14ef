-- wrk prints this one JSON line when the run is done: throughput, errors and latency percentiles.
-- With WRK_PATHS set to a file of paths (one a line), requests go round them (the bot's
-- questions); otherwise every request is the URL's.
local paths = {}
local file = os.getenv("WRK_PATHS") and io.open(os.getenv("WRK_PATHS"))
if file then
  for line in file:lines() do
    if line ~= "" then paths[#paths + 1] = line end
  end
  file:close()
end
local counter = 0

request = function()
  if #paths == 0 then return wrk.request() end
  counter = counter % #paths + 1
  return wrk.format(nil, paths[counter])
end

done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "socket_errors": %d, "bad_status": %d, ' ..
    '"timeouts": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration,
    errors.connect + errors.read + errors.write + errors.timeout, errors.status,
    errors.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
