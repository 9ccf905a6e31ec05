--- JSON as the SDK speaks it: integers stay integers, `null` is a sentinel,
-- and empty arrays and objects stay distinct (`json.array()` / `json.object()`
-- mark a table; decoded arrays are marked already).
-- @module openstack.json
local core = require "openstack.core"

return {
  --- Decode a JSON text; raises InvalidArgument naming the byte offset.
  decode = core.json_decode,
  --- Encode a value; `{pretty=true}` indents. Object keys are sorted.
  encode = core.json_encode,
  null = core.null,
  --- Mark a table (new if nil) as a JSON array.
  array = core.json_array,
  --- Mark a table (new if nil) as a JSON object.
  object = core.json_object,
}
