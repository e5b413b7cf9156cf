-- wrk script: GET /v1/customers/{id} over customers C-0000001 … C-$CUSTOMERS (the generator's ids),
-- authenticated with $CLIENTELE_TOKEN.
local token = os.getenv("CLIENTELE_TOKEN")
local customers = tonumber(os.getenv("CUSTOMERS") or "1000")
local format = os.getenv("ID_FORMAT") or "C-%07d"
math.randomseed(os.time())
request = function()
    local id = string.format(format, math.random(1, customers))
    return wrk.format("GET", "/v1/customers/" .. id, {["Authorization"] = "Bearer " .. token})
end
