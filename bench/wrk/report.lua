-- wrk script: at the end, print one JSON line (prefixed WRK) with requests, duration and latency percentiles in microseconds.
done = function(summary, latency, requests)
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.status + e.timeout
  io.write(string.format(
    'WRK {"requests":%d,"duration_us":%d,"p50":%.1f,"p90":%.1f,"p99":%.1f,"p999":%.1f,"max":%.1f,"errors":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max, errors, e.connect, e.read, e.write, e.status, e.timeout))
end
