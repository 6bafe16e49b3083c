// Lua sources of the redis store's atomic operations (used by redis_store.cc only).
#pragma once

namespace gh::redis::scripts {

// KEYS[1]; ARGV: delta, ttl_ms. A key created by this call gets the TTL.
inline constexpr const char* incr = R"lua(
local existed = redis.call('EXISTS', KEYS[1])
local v = redis.call('INCRBY', KEYS[1], ARGV[1])
if existed == 0 and tonumber(ARGV[2]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return v
)lua";

// KEYS[1]; ARGV: expected value.
inline constexpr const char* compare_and_delete = R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
)lua";

// limit() for fixed windows, the hot path of rate-limiting policy redis, for a batch of
// calls (limit_batch.h merges the calls a worker makes in one event-loop turn, and a run of
// identical consecutive calls, such as many requests of one client, into one entry).
// Entries are decided in order; an entry of `count` identical calls admits the first `k`
// that fit, each seeing the hits of the calls before it, exactly as `count` calls in a row.
// KEYS: the windows of every entry, in order. ARGV[1]: number of entries; then per entry:
// cost, now_ms, windows, count, and per window: limit, length_ms, start_ms (-1 = aligned).
// Returns per entry {k, current_1, reset_1, ...}, concatenated, where current_i is window
// i's count before the entry; limit_batch.cc derives each call's answer from it.
// Redis spends most of an EVALSHA interpreting Lua, so: each key is read once (HMGET) and
// written once (one HINCRBY when its entry already held the window, else the whole entry
// and its expiry), the window start is compared as the string it was written as, and
// numbers are parsed once.
inline constexpr const char* limit_batch = R"lua(
local entries = {}  -- key -> {s = window start (string), c = count, wrong, fresh, added, stop}
local out = {}
local a, k = 2, 1
for _ = 1, tonumber(ARGV[1]) do
  local cost, now, n, admit = tonumber(ARGV[a]), tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3])
  a = a + 4
  local ws = {}
  for i = 1, n do
    local key, limit, len, start = KEYS[k], tonumber(ARGV[a]), math.max(1, tonumber(ARGV[a + 1])), ARGV[a + 2]
    k, a = k + 1, a + 3
    local first
    if string.byte(start) == 45 then  -- '-': aligned to the window length
      first = math.floor(now / len) * len
      start = string.format('%d', first)
    else
      first = tonumber(start)
    end
    local e = entries[key]
    if e == nil then
      local h = redis.pcall('HMGET', key, 's', 'c')
      e = { c = 0, added = 0 }
      if h.err then e.wrong = true elseif h[1] then e.s = h[1]; e.c = tonumber(h[2]) or 0 end
      entries[key] = e
    end
    local current = (e.s == start) and e.c or 0
    if cost > 0 then
      admit = math.min(admit, math.floor((limit - current) / cost))
    elseif current > limit then
      admit = 0
    end
    ws[i] = { e = e, start = start, current = current, stop = first + len }
  end
  if admit < 0 then admit = 0 end
  out[#out + 1] = admit
  local added = admit * cost
  for i = 1, n do
    local w = ws[i]
    if admit > 0 then
      local e = w.e
      if e.s == w.start and not e.fresh then
        e.c = e.c + added; e.added = e.added + added
      elseif e.s == w.start then
        e.c = e.c + added
      else
        e.s, e.c, e.fresh, e.stop = w.start, added, true, math.max(w.stop, now + 1)
      end
    end
    out[#out + 1] = w.current
    out[#out + 1] = math.max(0, w.stop - now)
  end
end
for key, e in pairs(entries) do
  if e.fresh then
    if e.wrong then redis.call('DEL', key) end
    redis.call('HSET', key, 's', e.s, 'c', e.c, 'p', 0)
    redis.call('PEXPIREAT', key, string.format('%d', e.stop))
  elseif e.added > 0 then
    redis.call('HINCRBY', key, 'c', e.added)
  end
end
return out
)lua";

// KEYS: one per window. ARGV: 'fixed'|'sliding', cost, now_ms, then per window: limit,
// length_ms, start_ms (-1 = aligned). Each key is a hash {s = window start, c = count,
// p = previous bucket's count}, the embedded store's entry. Nothing is written unless
// every window has room. Returns {admitted, remaining_1, reset_1, remaining_2, ...}.
// Exact while limit * length_ms < 2^53 (Lua numbers are doubles).
inline constexpr const char* limit = R"lua(
local sliding = ARGV[1] == 'sliding'
local cost = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local function idiv(a, b)
  local q = math.floor(a / b)
  if q * b > a then q = q - 1 elseif (q + 1) * b <= a then q = q + 1 end
  return q
end
local function int(x) return string.format('%d', x) end
local admitted = true
local checks = {}
for i = 1, #KEYS do
  local base = 3 + (i - 1) * 3
  local limit = tonumber(ARGV[base + 1])
  local len = math.max(1, tonumber(ARGV[base + 2]))
  local start_arg = tonumber(ARGV[base + 3])
  local e = redis.pcall('HMGET', KEYS[i], 's', 'c', 'p')
  local c = { wrong = false }
  local es, ec, ep = nil, 0, 0
  if type(e) == 'table' and e.err then
    c.wrong = true
  elseif e[1] then
    es = tonumber(e[1]); ec = tonumber(e[2]) or 0; ep = tonumber(e[3]) or 0
  end
  if not sliding then
    local start = start_arg >= 0 and start_arg or idiv(now, len) * len
    local stop = start + len
    local current = (es == start) and ec or 0
    c.room = current + cost <= limit
    c.rem_counted = math.max(0, limit - current - cost)
    c.rem_not = c.room and math.max(0, limit - current) or 0
    c.reset = math.max(0, stop - now)
    c.start = start; c.count = current + cost; c.prev = 0
    c.expires = math.max(stop, now + 1)
  else
    local start = idiv(now, len) * len
    local elapsed = now - start
    local current, previous = 0, 0
    if es == start then current = ec; previous = ep
    elseif es == start - len then previous = ec end
    local used = previous * (len - elapsed) + current * len
    local cap = limit * len
    local after = used + cost * len
    c.room = after <= cap
    c.rem_counted = c.room and idiv(cap - after, len) or 0
    c.rem_not = (c.room and cap >= used) and idiv(cap - used, len) or 0
    if c.room then
      c.reset = len - elapsed
    elseif current + cost <= limit and previous > 0 then
      local t = len - idiv((limit - current - cost) * len, previous)
      c.reset = math.max(1, t - elapsed)
    else
      local t = 0
      if current > 0 and limit - cost < current then
        t = len - idiv(math.max(0, limit - cost) * len, current)
        if limit < cost then t = len end
      end
      c.reset = (len - elapsed) + t
    end
    c.start = start; c.count = current + cost; c.prev = previous
    c.expires = start + 2 * len
  end
  admitted = admitted and c.room
  checks[i] = c
end
local out = { admitted and 1 or 0 }
for i = 1, #KEYS do
  local c = checks[i]
  if admitted then
    if c.wrong then redis.call('DEL', KEYS[i]) end
    redis.call('HSET', KEYS[i], 's', int(c.start), 'c', int(c.count), 'p', int(c.prev))
    redis.call('PEXPIREAT', KEYS[i], int(c.expires))
    out[#out + 1] = c.rem_counted
  else
    out[#out + 1] = c.rem_not
  end
  out[#out + 1] = c.reset
end
return out
)lua";

// KEYS: one per fixed window. ARGV: now_ms, then per window: delta, length_ms, start_ms
// (-1 = aligned). Adds each delta to the window's count in limit()'s hash (a stale or
// missing entry counts 0; delta 0 writes nothing) and returns the counts after, in order.
inline constexpr const char* add_counts = R"lua(
local now = tonumber(ARGV[1])
local function int(x) return string.format('%d', x) end
local out = {}
for i = 1, #KEYS do
  local base = 1 + (i - 1) * 3
  local delta = tonumber(ARGV[base + 1])
  local len = math.max(1, tonumber(ARGV[base + 2]))
  local start = tonumber(ARGV[base + 3])
  if start < 0 then start = math.floor(now / len) * len end
  local e = redis.pcall('HMGET', KEYS[i], 's', 'c')
  local wrong = type(e) == 'table' and e.err ~= nil
  local count = 0
  if not wrong and e[1] and tonumber(e[1]) == start then count = tonumber(e[2]) or 0 end
  if delta > 0 then
    count = count + delta
    if wrong then redis.call('DEL', KEYS[i]) end
    redis.call('HSET', KEYS[i], 's', int(start), 'c', int(count), 'p', '0')
    redis.call('PEXPIREAT', KEYS[i], int(math.max(start + len, now + 1)))
  end
  out[i] = count
end
return out
)lua";

}  // namespace gh::redis::scripts
