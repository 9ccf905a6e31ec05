-- Lists (or with --delete, deletes) everything on the local cloud that any
-- functional run named ft-<pid>-...: lua5.4 spec/functional/leftovers.lua [--delete]
-- Run from the repository root after `cmake --build build`.
package.path = "lua/?.lua;lua/?/init.lua;./?.lua;" .. package.path
package.cpath = "build/lib/?.so;" .. package.cpath
local H = require "spec.functional.helpers"
local found = H.sweep(arg[1] == "--delete", true)
for _, f in ipairs(found) do print(f) end
if #found == 0 then print("nothing left behind") end
