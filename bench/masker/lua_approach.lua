-- The approach of the earlier Lua aws-masker plugin for Kong (issue 4), on the same
-- input as gatehouse's masker_bench, for `make bench` to measure both on this machine.
-- Written for this benchmark from the issue's description of that plugin, not taken from
-- it: ~50 Lua patterns applied one after the other; for every match of a pattern, the
-- value gets a token and the whole text is rewritten with string.gsub of that value.
-- The map here is a Lua table, fresh for each request (the plugin kept it in Redis:
-- round trips this measurement leaves out, so it favours the Lua side).
--
--   luajit bench/masker/lua_approach.lua PAYLOAD [RUNS]
-- prints: "lua_approach cpu_ms_per_request <median> bytes <n> masked <count> patterns <n>"

local path, runs = arg[1], tonumber(arg[2] or "5")
local f = assert(io.open(path, "rb"))
local text = f:read("*a")
f:close()

local hex = "[0-9a-f]"
local patterns = {}
local function add(type_name, pattern) patterns[#patterns + 1] = { type = type_name, pattern = pattern } end

-- Resource IDs, 17- and 8-hex forms (Lua patterns have no {n}: the class is repeated).
local prefixes = {
  { "EC2", "i" }, { "AMI", "ami" }, { "EBS_VOL", "vol" }, { "SNAPSHOT", "snap" },
  { "VPC", "vpc" }, { "SUBNET", "subnet" }, { "SG", "sg" }, { "ENI", "eni" },
  { "IGW", "igw" }, { "NAT", "nat" }, { "TGW", "tgw" }, { "RTB", "rtb" }, { "ACL", "acl" },
  { "VPCE", "vpce" }, { "PCX", "pcx" }, { "EIP", "eipalloc" }, { "LT", "lt" }, { "EFS", "fs" },
  { "KEY_PAIR", "key" },
}
for _, p in ipairs(prefixes) do
  add(p[1], p[2] .. "%-" .. string.rep(hex, 17))
  add(p[1], p[2] .. "%-" .. string.rep(hex, 8))
end
add("ARN", "arn:aws[%w%-]*:[%w%-]+:[%w%-]*:%d*:[%w%-_/:%.]+")
add("ACCESS_KEY", "AKIA[%u%d]+")
add("ACCESS_KEY", "ASIA[%u%d]+")
add("SESSION_TOKEN", "FwoGZXIvYXdz[%w+/=]+")
add("ECR", "%d+%.dkr%.ecr%.[%w%-]+%.amazonaws%.com")
add("SQS", "https://sqs%.[%w%-]+%.amazonaws%.com/%d+/[%w%-_]+")
add("APIGW", "[%w][%w][%w][%w][%w][%w][%w][%w][%w][%w]%.execute%-api%.[%w%-]+%.amazonaws%.com")
add("RDS", "[%w%-]+%.[%w%-]+%.[%w%-]+%.rds%.amazonaws%.com")
add("ELB", "[%w%-]+%.[%w%-]+%.elb%.amazonaws%.com")
add("CLOUDFRONT", "[%w]+%.cloudfront%.net")
add("EC2_HOST", "ec2%-%d+%-%d+%-%d+%-%d+%.[%w%-%.]*compute[%w%-]*%.amazonaws%.com")
add("EC2_PRIVATE_HOST", "ip%-%d+%-%d+%-%d+%-%d+%.ec2%.internal")
add("BUCKET", "s3://[%w%-%.]+")
add("LOG_GROUP", "/aws/[%w%-_/]+")
add("ACCOUNT", "%d%d%d%d%d%d%d%d%d%d%d%d")
add("IP", "%d+%.%d+%.%d+%.%d+")
add("IPV6", "[%x:]+:[%x:]+")
add("ROUTE53_ZONE", "Z[%u%d][%u%d][%u%d][%u%d][%u%d][%u%d][%u%d][%u%d][%u%d][%u%d][%u%d][%u%d]+")

local function escape(s) return (s:gsub("[%^%$%(%)%%%.%[%]%*%+%-%?]", "%%%0")) end

local function mask(input)
  local masked, map, counters, count = input, {}, {}, 0
  for _, p in ipairs(patterns) do
    local matches = {}
    for m in input:gmatch(p.pattern) do matches[#matches + 1] = m end
    for _, original in ipairs(matches) do
      local token = map[original]
      if token == nil then
        counters[p.type] = (counters[p.type] or 0) + 1
        token = string.format("AWS_%s_%03d", p.type, counters[p.type])
        map[original] = token
      end
      masked = masked:gsub(escape(original), token)
      count = count + 1
    end
  end
  return masked, count
end

local times, count = {}, 0
mask(text)  -- warm-up
for i = 1, runs do
  local t0 = os.clock()
  local _, n = mask(text)
  times[i] = (os.clock() - t0) * 1000
  count = n
end
table.sort(times)
print(string.format("lua_approach cpu_ms_per_request %.2f bytes %d masked %d patterns %d",
                    times[math.floor((runs + 1) / 2)], #text, count, #patterns))
