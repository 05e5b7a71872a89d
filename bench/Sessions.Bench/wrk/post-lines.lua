-- POSTs the bodies in BODY_FILE, one per line, cycling through them: each line is one device session (or token),
-- so the load spreads over many grains the way real mobile traffic does (one hot grain serialises its calls).
-- CONTENT_TYPE (default application/json) and AUTHORIZATION (optional) are sent with every request.
local bodies = {}
for line in io.lines(os.getenv("BODY_FILE")) do
  if #line > 0 then bodies[#bodies + 1] = line end
end
assert(#bodies > 0, "BODY_FILE has no lines")
local headers = { ["Content-Type"] = os.getenv("CONTENT_TYPE") or "application/json" }
if os.getenv("AUTHORIZATION") then headers["Authorization"] = os.getenv("AUTHORIZATION") end
local requests, i = {}, 0
init = function()
  for n, body in ipairs(bodies) do
    requests[n] = wrk.format("POST", nil, headers, body)
  end
end
request = function()
  i = i % #requests + 1
  return requests[i]
end
