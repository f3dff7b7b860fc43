-- wrk script: POST /orders for the user created by load.sh (USER_ID env var),
-- spreading quantity-1 orders over the five seeded products.
local user_id = os.getenv("USER_ID") or "1"
local n = 0

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

request = function()
  n = n + 1
  local product = (n % 5) + 1
  local body = string.format(
    '{"user_id":%s,"items":[{"product_id":%d,"quantity":1}]}', user_id, product)
  return wrk.format("POST", "/orders", nil, body)
end
