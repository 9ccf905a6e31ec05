--- The openstack module: `openstack.connect{...}` gives a connection whose
-- service proxies (`conn.compute`, `conn.block_store`, `conn.image`) cover
-- the OpenStack APIs; `openstack.json` is the codec the SDK itself uses.
-- @module openstack
local core = require "openstack.core"

local openstack = {
  version = core.version,
  --- The JSON null sentinel (compare with `==`).
  null = core.null,
  errors = require "openstack.errors",
  json = require "openstack.json",
}

--- Connect to a cloud: `connect()` (OS_CLOUD / OS_* environment),
-- `connect{cloud="name"}` (clouds.yaml), or `connect{auth={...}, region_name=...}`.
-- Any openstacksdk option may be given; explicit options beat the
-- environment, which beats the files.
function openstack.connect(args)
  return require("openstack.connection").new(args)
end

return openstack
