--- Server actions (`POST /servers/{id}/action`) as method specs: the
-- action name, the body built from the arguments (checked first), the
-- microversion range, and how the answer becomes the return value.
-- @module openstack.services.compute.actions
local json = require "openstack.json"
local resource = require "openstack.resource"
local check = require "openstack.services.compute.check"
local R = require "openstack.services.compute.resources"

local null = json.null

local function action(name, extra)
  local spec = { op = "action", resource = R.Server, action = name, arg_name = "server" }
  for k, v in pairs(extra or {}) do spec[k] = v end
  return spec
end

-- The new image's id: the body from 2.45, else the Location header.
local function image_id(resp)
  local body = resp.body
  if type(body) == "table" and body.image_id ~= nil then return body.image_id end
  local location = resp.headers and resp.headers.location
  if location then return (location:match("([^/?]+)/*$")) end
  return nil
end

local function admin_pass(resp)
  local body = resp.body
  if type(body) == "table" then return body.adminPass end
  return nil
end

-- An options table that only some keys may appear in; returns a JSON
-- object of the given keys renamed to their wire names.
local function options(fname, opts, allowed)
  opts = check.opts(fname, opts)
  local out = json.object()
  for k, v in pairs(opts) do
    local wire = allowed[k]
    if wire == nil and k ~= "microversion" then
      local names = {}
      for name in pairs(allowed) do names[#names + 1] = name end
      table.sort(names)
      check.fail(fname, k, ("unknown option '%s' (allowed: %s)"):format(tostring(k), table.concat(names, ", ")))
    end
    if wire then out[wire] = v end
  end
  return out
end

--- An action whose value is null, or {field = ...} when that option is
-- given, which then needs min_mv.
local function optional_field_action(name, field, min_mv)
  return action(name, {
    body = function(fname, opts)
      local o = options(fname, opts, { [field] = field })
      if o[field] == nil then return null end
      check.string(fname, field, o[field])
      return o, { min_microversion = min_mv }
    end,
  })
end

local actions = {
  start_server = action("os-start"),
  stop_server = action("os-stop"),
  suspend_server = action("suspend"),
  resume_server = action("resume"),
  pause_server = action("pause"),
  unpause_server = action("unpause"),
  unrescue_server = action("unrescue"),
  shelve_server = action("shelve"),
  unlock_server = action("unlock"),
  confirm_server_resize = action("confirmResize"),
  revert_server_resize = action("revertResize"),
  restore_server = action("restore"),
  reset_server_network = action("resetNetwork"),
  inject_server_network_info = action("injectNetworkInfo"),

  --- lock_server(server, {locked_reason=...}): the reason needs 2.73.
  lock_server = optional_field_action("lock", "locked_reason", "2.73"),
  --- unshelve_server(server, {availability_zone=...}): the zone needs 2.77.
  unshelve_server = optional_field_action("unshelve", "availability_zone", "2.77"),
  --- migrate_server(server, {host=...}): cold migration; a host needs 2.56.
  migrate_server = optional_field_action("migrate", "host", "2.56"),

  reboot_server = action("reboot", {
    nargs = 1,
    body = function(fname, reboot_type)
      check.one_of(fname, "reboot_type", reboot_type, { "SOFT", "HARD" })
      return { type = reboot_type }
    end,
  }),

  reset_server_state = action("os-resetState", {
    nargs = 1,
    body = function(fname, state)
      check.one_of(fname, "state", state, { "active", "error" })
      return { state = state }
    end,
  }),

  change_server_password = action("changePassword", {
    nargs = 1,
    body = function(fname, new_password)
      return { adminPass = check.string(fname, "new_password", new_password) }
    end,
  }),

  resize_server = action("resize", {
    nargs = 1,
    body = function(fname, flavor)
      return { flavorRef = resource.id_of(R.Flavor, flavor, fname, "flavor") }
    end,
  }),

  --- rescue_server(server, {admin_pass=, image_ref=}) -> the admin password.
  rescue_server = action("rescue", {
    body = function(fname, opts)
      local o = options(fname, opts, { admin_pass = "adminPass", image_ref = "rescue_image_ref" })
      check.opt_string(fname, "admin_pass", o.adminPass)
      if o.rescue_image_ref ~= nil then o.rescue_image_ref = check.id(fname, "image_ref", o.rescue_image_ref) end
      return o
    end,
    result = admin_pass,
  }),

  --- evacuate_server(server, {host=, admin_pass=, force=}) -> the admin
  -- password (only before 2.14). force exists from 2.29 to 2.67.
  evacuate_server = action("evacuate", {
    body = function(fname, opts)
      local o = options(fname, opts, { host = "host", admin_pass = "adminPass", force = "force" })
      check.opt_string(fname, "host", o.host)
      check.opt_string(fname, "admin_pass", o.adminPass)
      if o.force ~= nil then
        if type(o.force) ~= "boolean" then
          check.fail(fname, "force", "option 'force' must be a boolean, got " .. type(o.force))
        end
        return o, { min_microversion = "2.29", max_microversion = "2.67" }
      end
      return o
    end,
    result = admin_pass,
  }),

  --- get_server_console_output(server, {length=N}) -> {output = "..."}.
  get_server_console_output = action("os-getConsoleOutput", {
    body = function(fname, opts)
      local o = options(fname, opts, { length = "length" })
      if o.length ~= nil then check.integer(fname, "length", o.length, -1) end
      return o
    end,
    result = function(resp) return resp.body end,
  }),

  --- create_server_image(server, name, {metadata=}) -> the new image's id.
  create_server_image = action("createImage", {
    nargs = 1,
    body = function(fname, name, opts)
      local o = options(fname, opts, { metadata = "metadata" })
      o.name = check.string(fname, "name", name)
      if o.metadata ~= nil then o.metadata = check.metadata(fname, "metadata", o.metadata) end
      return o
    end,
    result = image_id,
  }),

  --- backup_server(server, name, backup_type, rotation) -> the new image's id.
  backup_server = action("createBackup", {
    nargs = 3,
    body = function(fname, name, backup_type, rotation)
      return {
        name = check.string(fname, "name", name),
        backup_type = check.string(fname, "backup_type", backup_type),
        rotation = check.integer(fname, "rotation", rotation, 0),
      }
    end,
    result = image_id,
  }),

  --- rebuild_server(server, name, admin_password, {image=, preserve_ephemeral=,
  -- access_ipv4=, access_ipv6=, metadata=, personality=}) -> the Server.
  rebuild_server = action("rebuild", {
    nargs = 2,
    body = function(fname, name, admin_password, opts)
      local o = options(fname, opts, {
        image = "imageRef", preserve_ephemeral = "preserve_ephemeral", access_ipv4 = "accessIPv4",
        access_ipv6 = "accessIPv6", metadata = "metadata", personality = "personality",
        description = "description", key_name = "key_name",
      })
      o.name = check.string(fname, "name", name)
      o.adminPass = check.opt_string(fname, "admin_password", admin_password)
      if o.imageRef == nil then
        check.fail(fname, "image", "option 'image' is required (Nova rebuilds from an image)")
      end
      o.imageRef = check.id(fname, "image", o.imageRef)
      if o.preserve_ephemeral == nil then o.preserve_ephemeral = false end
      if type(o.preserve_ephemeral) ~= "boolean" then
        check.fail(fname, "preserve_ephemeral", "option 'preserve_ephemeral' must be a boolean")
      end
      check.opt_string(fname, "access_ipv4", o.accessIPv4)
      check.opt_string(fname, "access_ipv6", o.accessIPv6)
      if o.metadata ~= nil then o.metadata = check.metadata(fname, "metadata", o.metadata) end
      local limits = {}
      if o.personality ~= nil then
        if type(o.personality) ~= "table" then check.fail(fname, "personality", "option 'personality' must be a list") end
        limits.max_microversion = "2.56"
      end
      if o.description ~= nil then limits.min_microversion = "2.19" end
      if o.key_name ~= nil then limits.min_microversion = "2.54" end
      return o, limits
    end,
    result = function(resp, proxy)
      local body = resp.body
      if type(body) == "table" and type(body.server) == "table" then
        return resource.wrap(R.Server, body.server, proxy)
      end
      return nil
    end,
  }),

  add_fixed_ip_to_server = action("addFixedIp", {
    nargs = 1, max_microversion = "2.43",
    body = function(fname, network_id)
      return { networkId = check.id(fname, "network_id", network_id) }
    end,
  }),

  remove_fixed_ip_from_server = action("removeFixedIp", {
    nargs = 1, max_microversion = "2.43",
    body = function(fname, address)
      return { address = check.string(fname, "address", address) }
    end,
  }),

  add_floating_ip_to_server = action("addFloatingIp", {
    nargs = 1, max_microversion = "2.43",
    body = function(fname, address, opts)
      local o = options(fname, opts, { fixed_address = "fixed_address" })
      o.address = check.string(fname, "address", address)
      check.opt_string(fname, "fixed_address", o.fixed_address)
      return o
    end,
  }),

  remove_floating_ip_from_server = action("removeFloatingIp", {
    nargs = 1, max_microversion = "2.43",
    body = function(fname, address)
      return { address = check.string(fname, "address", address) }
    end,
  }),

  add_security_group_to_server = action("addSecurityGroup", {
    nargs = 1,
    body = function(fname, security_group)
      if type(security_group) == "table" and security_group.id == nil and type(security_group.name) == "string" then
        return { name = security_group.name }
      end
      return { name = check.id(fname, "security_group", security_group) }
    end,
  }),

  remove_security_group_from_server = action("removeSecurityGroup", {
    nargs = 1,
    body = function(fname, security_group)
      if type(security_group) == "table" and security_group.id == nil and type(security_group.name) == "string" then
        return { name = security_group.name }
      end
      return { name = check.id(fname, "security_group", security_group) }
    end,
  }),
}

return actions
