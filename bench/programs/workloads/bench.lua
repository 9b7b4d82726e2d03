-- bench.lua - the lua workload of compare.sh and of the bench's `programs`
-- group: string operations, tables, sort, closures, metatables,
-- string.format of floats, and a file written and read back in the
-- preopened directory.
--   lua data/bench.lua N OUTFILE
-- Deterministic on every platform: a fixed random seed, no iteration over
-- hash order, no addresses, no clocks, no libm beyond sqrt (IEEE-exact).
local N = math.tointeger(tonumber(arg[1] or "20000"))
local out = arg[2] or "data/lua-out.txt"
local words = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"}

-- 1. strings
local parts = {}
for i = 1, N do parts[#parts + 1] = string.format("%s-%d", words[i % #words + 1], i * 7 % 1000) end
local text = table.concat(parts, " ")
print("text", #text, text:sub(1, 48))
print("find", text:sub(1, 24):upper(), text:find("delta-21", 1, true))
local counts = {}
for w in text:gmatch("%a+") do counts[w] = (counts[w] or 0) + 1 end
local keys = {}
for k in pairs(counts) do keys[#keys + 1] = k end
table.sort(keys)
for _, k in ipairs(keys) do io.write(k, "=", counts[k], " ") end
print()
local replaced, n = text:gsub("(%a+)-(%d+)", "%2:%1")
print("gsub", n, #replaced, replaced:sub(1, 40))
print("misc", ("abc"):rep(5, ","):reverse(), ("%5.1f|%-6s|%x|%q"):format(3.14159, "ok", 255, "a\n\"b\""),
      ("hello world"):byte(1, 5), utf8.char(72, 233, 8364), #utf8.char(8364))

-- 2. tables and sort
math.randomseed(42)
local t = {}
for i = 1, N do t[i] = math.random(1, 1000000) end
table.sort(t)
print("sorted", t[1], t[N // 2], t[N], math.random(100), string.format("%.12f", math.random()))
local recs = {}
for i = 1, N // 4 do recs[i] = {id = i, score = (i * 7919) % 1009, name = words[i % 8 + 1]} end
table.sort(recs, function(a, b)
  if a.score ~= b.score then return a.score > b.score end
  return a.id < b.id
end)
for i = 1, 5 do io.write(recs[i].id, ":", recs[i].name, ":", recs[i].score, " ") end
print()
local moved = table.move(t, 1, 10, 1, {})
print("concat", table.concat(moved, ",", 1, 5), select("#", table.unpack(moved)))

-- 3. closures
local function counter(step)
  local c = 0
  return function() c = c + step; return c end
end
local fs = {}
for i = 1, 100 do fs[i] = counter(i) end
local acc = 0
for _ = 1, N // 100 do for i = 1, 100 do acc = acc + fs[i]() end end
print("closures", acc)

-- 4. (no coroutines: Lua 5.4 yields with longjmp, which this wasm32-wasi
-- build lacks, see lua_wasi.h; a yield would end the program.)  Varargs,
-- metatables and string buffers instead.
local function sum(...)
  local s = 0
  for i = 1, select("#", ...) do s = s + select(i, ...) end
  return s
end
local vec = {}
vec.__index = vec
vec.__add = function(a, b) return setmetatable({x = a.x + b.x, y = a.y + b.y}, vec) end
vec.__tostring = function(v) return string.format("(%g, %g)", v.x, v.y) end
local acc2 = setmetatable({x = 0, y = 0}, vec)
for i = 1, N do acc2 = acc2 + setmetatable({x = i, y = i / 8}, vec) end
local buf = {}
for i = 1, N // 10 do buf[#buf + 1] = sum(i, i * 2, i * 3) end
print("meta", tostring(acc2), sum(table.unpack(buf, 1, 50)), #table.concat(buf, ";"))

-- 5. floats
local x, h = 0.0, 0.0
for i = 1, N do x = x + 1 / i; h = h + math.sqrt(i) / (i + 0.5) end
print(string.format("floats %.10f %.6e %g %.3f %.17g %10.4f", x, h, x / 3, -h, 0.1 + 0.2, 1e6 / 7))
print(1 / 3, 2 ^ 53, 10 / 4, 7 // 2, 7.5 // 2, -7 % 3, 5.5 % -2, 2 ^ -1074, 1e308 * 10, math.pi, 1e15, 1e16, -0.0)
print(math.maxinteger, math.mininteger, math.maxinteger + 1 == math.mininteger, 3 | 5, 0xff ~ 0x0f, 1 << 62,
      math.tointeger(3.0), math.floor(-3.5), math.ceil(-3.5), math.fmod(-7, 3), math.abs(-2 ^ 63), 7 // 0.0)

-- 6. a file in the preopened directory, written and read back
local f = assert(io.open(out, "w"))
for i = 1, N // 10 do f:write(string.format("%d,%s,%.2f\n", i, words[i % 8 + 1], i / 7)) end
f:close()
local lines, total = 0, 0.0
for line in io.lines(out) do
  local _, _, val = line:match("^(%d+),(%a+),([%d.]+)$")
  lines = lines + 1
  total = total + tonumber(val)
end
f = assert(io.open(out, "rb"))
local size = f:seek("end")
f:close()
print("file", lines, size, string.format("%.2f", total))
