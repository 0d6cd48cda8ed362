-- A page with a form is sent as a POST of WRK_BODY (set by load.py), like its submit button.
local body = os.getenv("WRK_BODY")
if body and body ~= "" then
  wrk.method = "POST"
  wrk.body = body
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end

-- wrk reporter: one line of numbers the benchmark reads (latencies in microseconds).
done = function(summary, latency, requests)
  local bad = summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT requests=%d seconds=%.3f errors=%d p50=%d p95=%d p99=%d\n",
    summary.requests, summary.duration / 1e6, bad,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
