-- count_servers.lua: run by the embedding example; counts the servers in a
-- status (first argument, default ACTIVE) and returns the count and names.
local status = ... or "ACTIVE"
local names = {}
for s in conn.compute:servers { status = status } do names[#names + 1] = s.name end
return #names, table.concat(names, ",")
