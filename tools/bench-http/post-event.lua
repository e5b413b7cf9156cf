-- wrk script: POST /v1/events with one VisitRecorded per request, a new customer per request
-- (so no stream contention), authenticated with $CLIENTELE_TOKEN.
local counter = 0
local token = os.getenv("CLIENTELE_TOKEN")
local thread_id = 0
setup = function(thread)
    thread:set("tid", thread_id)
    thread_id = thread_id + 1
end
request = function()
    counter = counter + 1
    local body = string.format('{"type":"VisitRecorded","customer":"B-%d-%d-%d","store":"S1","actor":"token:bench","channel":"counter","occurredAt":"2026-11-20T10:00:00+08:00","payload":{"kind":"walk-in"}}', tid or 0, os.time(), counter)
    return wrk.format("POST", "/v1/events", {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}, body)
end
