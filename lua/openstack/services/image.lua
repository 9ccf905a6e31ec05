--- Image (Glance v2): resources as data, proxy methods as data, and the
-- calls that are Glance's own written by hand: JSON-patch updates, custom
-- properties, tags, members, metadefs, version and store information. The
-- data transfers (upload, download, create_image, import) live in
-- openstack.services.image.transfer.
--
-- The image endpoint is Glance's unversioned root, so every path starts
-- with /v2/. Glance has no microversions.
-- @module openstack.services.image
local resource = require "openstack.resource"
local proxy = require "openstack.proxy"
local errors = require "openstack.errors"
local json = require "openstack.json"

local null = json.null
local esc = proxy.escape_segment

local R = {}

R.Image = resource.define {
  name = "Image", base_path = "/v2/images", resources_key = "images",
  allow = "create get update delete list", update_method = "PATCH",
  open_attrs = true, -- custom properties are flat keys of the image
  attrs = {
    id = { "id", type = "string" }, name = { "name", type = "string" }, status = "status",
    visibility = { "visibility", type = "string" }, checksum = "checksum",
    container_format = { "container_format", type = "string" }, disk_format = { "disk_format", type = "string" },
    min_disk = { "min_disk", type = "integer" }, min_ram = { "min_ram", type = "integer" },
    size = "size", virtual_size = "virtual_size", tags = { "tags", type = "list" },
    created_at = "created_at", updated_at = "updated_at", file = "file", schema = "schema",
    locations = { "locations", type = "list" }, direct_url = "direct_url", stores = "stores",
    owner = { "owner", type = "string" }, is_protected = { "protected", type = "boolean" },
    is_hidden = { "os_hidden", type = "boolean" }, hash_algo = "os_hash_algo", hash_value = "os_hash_value",
    -- well-known properties (flat keys like any custom property)
    kernel_id = "kernel_id", ramdisk_id = "ramdisk_id", architecture = "architecture",
    os_distro = "os_distro", os_version = "os_version", needs_config_drive = "img_config_drive",
    hypervisor_type = "hypervisor_type", has_auto_disk_config = "auto_disk_config",
    needs_secure_boot = "os_secure_boot", is_hw_vif_multiqueue_enabled = "hw_vif_multiqueue_enabled",
    is_hw_boot_menu_enabled = "hw_boot_menu", instance_uuid = "instance_uuid", description = "description",
  },
  query = {
    "name", "visibility", "member_status", "owner", "status", "size_min", "size_max", "tag",
    "created_at", "updated_at", "protected", "os_hidden", "sort", "sort_key", "sort_dir",
    "id", "container_format", "disk_format",
    tags = "tag", is_protected = "protected", is_hidden = "os_hidden",
  },
}

-- The image schema's own attributes: everything else is a custom property.
local BASE = {}
for _, k in ipairs({ "id", "name", "status", "visibility", "protected", "os_hidden", "checksum",
  "os_hash_algo", "os_hash_value", "owner", "size", "virtual_size", "min_ram", "min_disk", "created_at",
  "updated_at", "tags", "disk_format", "container_format", "direct_url", "locations", "self", "file",
  "schema", "stores" }) do BASE[k] = true end

-- Glance answers 403 "Attribute ... is read-only" for these.
local READ_ONLY = {}
for _, k in ipairs({ "status", "checksum", "os_hash_algo", "os_hash_value", "size", "virtual_size",
  "created_at", "updated_at", "direct_url", "self", "file", "schema" }) do READ_ONLY[k] = true end

local VISIBILITY = { public = true, private = true, shared = true, community = true }

R.Member = resource.define {
  name = "Member", base_path = "/v2/images/{image_id}/members", resources_key = "members",
  id_key = "member_id", name_key = "member_id", paginated = false, allow = "create get update delete list",
  attrs = {
    member_id = "member_id", image_id = "image_id", status = { "status", type = "string" },
    created_at = "created_at", updated_at = "updated_at", schema = "schema",
  },
}

R.MetadefNamespace = resource.define {
  name = "MetadefNamespace", base_path = "/v2/metadefs/namespaces", resources_key = "namespaces",
  id_key = "namespace", name_key = "namespace", allow = "create get update delete list",
  attrs = {
    namespace = { "namespace", type = "string" }, display_name = { "display_name", type = "string" },
    description = { "description", type = "string" }, visibility = { "visibility", type = "string" },
    owner = "owner", created_at = "created_at", updated_at = "updated_at",
    is_protected = { "protected", type = "boolean" },
    resource_type_associations = { "resource_type_associations", type = "list" },
    properties = { "properties", type = "object" }, objects = { "objects", type = "list" },
    tags = { "tags", type = "list" }, schema = "schema",
  },
  query = { "resource_types", "visibility", "sort_key", "sort_dir" },
}

R.MetadefResourceType = resource.define {
  name = "MetadefResourceType", base_path = "/v2/metadefs/resource_types", resources_key = "resource_types",
  id_key = "name", paginated = false, allow = "list",
  attrs = { name = "name", created_at = "created_at", updated_at = "updated_at" },
}

R.MetadefResourceTypeAssociation = resource.define {
  name = "MetadefResourceTypeAssociation", base_path = "/v2/metadefs/namespaces/{namespace_name}/resource_types",
  resources_key = "resource_type_associations", id_key = "name", paginated = false,
  allow = "create delete list",
  attrs = {
    name = { "name", type = "string" }, prefix = { "prefix", type = "string" },
    properties_target = { "properties_target", type = "string" },
    created_at = "created_at", updated_at = "updated_at",
  },
}

R.Store = resource.define {
  name = "Store", base_path = "/v2/info/stores", detail_path = "/v2/info/stores/detail",
  resources_key = "stores", paginated = false, allow = "list",
  attrs = {
    id = "id", description = "description", is_default = "default", type = "type",
    weight = "weight", properties = "properties",
  },
}

R.ImportInfo = resource.define {
  name = "ImportInfo", base_path = "/v2/info/import", allow = "get",
  attrs = { import_methods = "import-methods" },
}

R.Version = resource.define {
  name = "Version", base_path = "/", allow = "list",
  attrs = { id = "id", status = "status", links = "links" },
}

-- ---------------------------------------------------------------- helpers

local H = {} -- shared with openstack.services.image.transfer
H.R, H.BASE, H.READ_ONLY = R, BASE, READ_ONLY
H.PATCH_TYPE = "application/openstack-images-v2.1-json-patch"

--- The options table of a hand-written method, with its keys checked.
function H.options(fname, opts, allowed)
  if opts == nil then return {} end
  errors.check_arg(fname, "options", opts, "table", 3)
  for k in pairs(opts) do
    if not allowed[k] then
      local names = {}
      for name in pairs(allowed) do names[#names + 1] = name end
      table.sort(names)
      errors.raise("InvalidArgument", ("%s: unknown option '%s' (allowed: %s)")
        :format(fname, tostring(k), table.concat(names, ", ")), { argument = k }, 4)
    end
  end
  return opts
end

function H.string_arg(fname, argname, v)
  if type(v) ~= "string" or v == "" then
    errors.raise("InvalidArgument", ("%s: argument '%s' must be a non-empty string, got %s")
      :format(fname, argname, type(v) == "string" and "an empty string" or type(v)), { argument = argname }, 4)
  end
  return v
end

--- A custom property value: strings as they are, numbers and booleans as
-- their text (Glance stores strings), JSON null (remove, in updates).
local function property_value(fname, k, v)
  local t = type(v)
  if t == "string" or v == null then return v end
  if t == "number" or t == "boolean" then return tostring(v) end
  errors.raise("InvalidArgument", ("%s: custom property '%s' must be a string, got %s"):format(fname, k, t),
    { argument = k }, 5)
end

--- attrs (friendly or wire names, custom properties flat) -> wire table;
-- declared attributes are type-checked, read-only ones refused.
function H.image_wire(fname, attrs)
  local wire = resource.to_wire(R.Image, attrs, fname)
  for k, v in pairs(wire) do
    if READ_ONLY[k] then
      errors.raise("InvalidArgument", ("%s: attribute '%s' is read-only"):format(fname, R.Image.friendly_of[k] or k),
        { argument = k }, 4)
    end
    if not R.Image.attrs[R.Image.friendly_of[k] or k] then wire[k] = property_value(fname, k, v) end
  end
  local vis = wire.visibility
  if vis ~= nil and vis ~= null and not VISIBILITY[vis] then
    errors.raise("InvalidArgument", ("%s: visibility must be public, private, shared or community, got '%s'")
      :format(fname, tostring(vis)), { argument = "visibility" }, 4)
  end
  return wire
end

local function same(a, b)
  if a == b then return true end
  if type(a) == "table" and type(b) == "table" then return json.encode(a) == json.encode(b) end
  return false
end

local function pointer(k)
  return "/" .. k:gsub("~", "~0"):gsub("/", "~1")
end

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys)
  return keys
end

--- JSON-patch operations turning `old` into `old` + `new` (wire tables):
-- add (absent), replace (different), remove (custom property set to null),
-- nothing for equal values.
function H.patch_ops(old, new)
  local ops = json.array()
  for _, k in ipairs(sorted_keys(new)) do
    local v, before = new[k], rawget(old, k)
    if k ~= "id" then
      if v == null and not BASE[k] then
        ops[#ops + 1] = { op = "remove", path = pointer(k) }
      elseif before == nil then
        ops[#ops + 1] = { op = "add", path = pointer(k), value = v }
      elseif not same(before, v) then
        ops[#ops + 1] = { op = "replace", path = pointer(k), value = v }
      end
    end
  end
  return ops
end

function H.image_path(self, fname, image, suffix)
  local id = resource.id_of(R.Image, image, fname, "image")
  return "/v2/images/" .. esc(id) .. (suffix or ""), id
end

--- Sends a JSON patch; returns the updated image.
function H.patch(self, fname, id, ops)
  local resp = self:_request("PATCH", "/v2/images/" .. esc(id), {
    json = ops, content_type = H.PATCH_TYPE, expect_body = true,
  })
  return resource.wrap(R.Image, resp.body, self)
end

local function namespace_id(fname, ns)
  return resource.id_of(R.MetadefNamespace, ns, fname, "namespace")
end

local function image_id(fname, image)
  return resource.id_of(R.Image, image, fname, "image")
end

local MEMBER_STATUS = { accepted = true, rejected = true, pending = true }

-- update_member: Glance knows three statuses.
local function check_member(body, wire)
  if wire.status ~= nil and not MEMBER_STATUS[wire.status] then
    errors.raise("InvalidArgument", ("update_member: status must be accepted, rejected or pending, got '%s'")
      :format(tostring(wire.status)), { argument = "status" }, 5)
  end
  return body
end

-- ---------------------------------------------------------------- methods as data

local methods = {
  get_image = { op = "get", resource = R.Image },
  find_image = { op = "find", resource = R.Image },
  delete_image = { op = "delete", resource = R.Image },
  wait_for_image = { op = "wait", resource = R.Image, defaults = { status = "active", failures = { "killed" } } },
  metadef_resource_types = { op = "list", resource = R.MetadefResourceType },
  get_metadef_namespace = { op = "get", resource = R.MetadefNamespace },
  create_metadef_namespace = { op = "create", resource = R.MetadefNamespace },
  delete_metadef_namespace = { op = "delete", resource = R.MetadefNamespace },
  stores = { op = "list", resource = R.Store },
  -- members, in openstacksdk's order (member, image): the image is the path
  -- parent, taken from the member object when not given
  members = { op = "list", resource = R.Member, sig = { "parent" } },
  get_member = { op = "get", resource = R.Member, sig = { "res", "parent" } },
  find_member = { op = "find", resource = R.Member, sig = { "name_or_id", "parent" } },
  update_member = { op = "update", resource = R.Member, sig = { "res", "parent", "attrs" }, prepare = check_member },
  remove_member = { op = "delete", resource = R.Member, sig = { "res", "parent" } },
}

-- ---------------------------------------------------------------- hand-written

local custom = {}

--- images{name=, status=, tag={"a","b"}, sort_key=, ..., properties={os_distro="ubuntu"}}:
-- every documented filter; custom-property filters go in `properties`.
-- Follows Glance's "next" links lazily.
function custom:images(query)
  local fname = "images"
  if query ~= nil then errors.check_arg(fname, "query", query, "table", 2) end
  local q, extra = {}, nil
  for k, v in pairs(query or {}) do
    if k == "properties" then
      errors.check_arg(fname, "properties", v, "table", 2)
      extra = {}
      for pk, pv in pairs(v) do
        if type(pk) ~= "string" then
          errors.raise("InvalidResourceQuery", fname .. ": property filter names must be strings", nil, 2)
        end
        if R.Image.query[pk] then
          errors.raise("InvalidResourceQuery", ("%s: '%s' is a regular filter, not a custom property"):format(fname, pk),
            { argument = pk }, 2)
        end
        if type(pv) ~= "string" and type(pv) ~= "number" and type(pv) ~= "boolean" then
          errors.raise("InvalidResourceQuery", ("%s: property filter '%s' must be a string, got %s")
            :format(fname, pk, type(pv)), { argument = pk }, 2)
        end
        extra[pk] = tostring(pv)
      end
    else
      q[k] = v
    end
  end
  return self:_list(R.Image, q, { extra_query = extra }, fname)
end

--- create_image{name=, disk_format=, container_format=, ..., filename= | data= | image_url=}:
-- see openstack.services.image.transfer (create, upload, import, wait).
-- (defined there)

--- update_image(image, {name=, min_ram=, custom_key="v", old_key=json.null}):
-- one JSON-patch PATCH computed from the image given (an object is its old
-- state; a bare id means every key is an "add", which Glance treats as a
-- replace). Nothing changed: no request.
function custom:update_image(image, attrs)
  local fname = "update_image"
  local id = image_id(fname, image)
  errors.check_arg(fname, "attrs", attrs, "table", 2)
  local wire = H.image_wire(fname, attrs)
  local old = type(image) == "table" and image or {}
  local ops = H.patch_ops(old, wire)
  if #ops == 0 then
    if resource.is_instance(image, R.Image) then return image end
    return resource.wrap(R.Image, type(image) == "table" and image or { id = id }, self)
  end
  return H.patch(self, fname, id, ops)
end

--- get_image_properties(image) -> {key = value} of the custom properties only.
function custom:get_image_properties(image)
  local fname = "get_image_properties"
  local img = self:_get(R.Image, image_id(fname, image), {}, fname)
  local props = {}
  for k, v in pairs(img) do
    if not BASE[k] then props[k] = v end
  end
  return props
end

--- update_image_properties(image, {updated={k="v"}, removed={"k2"}}):
-- reads the image, then one PATCH: "add" for new keys, "replace" for
-- existing ones, "remove" for removed keys the image has. Returns the image.
function custom:update_image_properties(image, changes)
  local fname = "update_image_properties"
  local id = image_id(fname, image)
  changes = H.options(fname, changes, { updated = true, removed = true })
  local updated, removed = changes.updated or {}, changes.removed or {}
  errors.check_arg(fname, "updated", updated, "table", 2)
  errors.check_arg(fname, "removed", removed, "table", 2)
  for k, v in pairs(updated) do
    if type(k) ~= "string" then
      errors.raise("InvalidArgument", fname .. ": property names must be strings", { argument = "updated" }, 2)
    end
    if v == null then
      errors.raise("InvalidArgument", ("%s: property '%s': put it in 'removed' to remove it"):format(fname, k),
        { argument = k }, 2)
    end
    property_value(fname, k, v)
  end
  for i, k in ipairs(removed) do
    if type(k) ~= "string" then
      errors.raise("InvalidArgument", ("%s: removed[%d] must be a string, got %s"):format(fname, i, type(k)),
        { argument = "removed" }, 2)
    end
  end
  local current = self:_get(R.Image, id, {}, fname)
  local ops = json.array()
  for _, k in ipairs(sorted_keys(updated)) do
    ops[#ops + 1] = { op = rawget(current, k) == nil and "add" or "replace", path = pointer(k),
      value = property_value(fname, k, updated[k]) }
  end
  for _, k in ipairs(removed) do
    if rawget(current, k) ~= nil then ops[#ops + 1] = { op = "remove", path = pointer(k) } end
  end
  if #ops == 0 then return current end
  return H.patch(self, fname, id, ops)
end

--- deactivate_image(image): admins only; downloads are refused until reactivated.
function custom:deactivate_image(image)
  self:_request("POST", H.image_path(self, "deactivate_image", image, "/actions/deactivate"), { accept = "" })
end

function custom:reactivate_image(image)
  self:_request("POST", H.image_path(self, "reactivate_image", image, "/actions/reactivate"), { accept = "" })
end

--- add_tag(image, tag) / remove_tag(image, tag)
function custom:add_tag(image, tag)
  local path = H.image_path(self, "add_tag", image, "/tags/")
  self:_request("PUT", path .. esc(H.string_arg("add_tag", "tag", tag)), { accept = "" })
end

function custom:remove_tag(image, tag)
  local path = H.image_path(self, "remove_tag", image, "/tags/")
  self:_request("DELETE", path .. esc(H.string_arg("remove_tag", "tag", tag)), { accept = "" })
end

-- ---- members: the owner shares (add_member), the member accepts
-- (update_member(own_project, image, {status="accepted"})).

local function member_id(fname, member)
  if type(member) == "table" then
    local v = rawget(member, "member_id") or rawget(member, "member") or rawget(member, "id")
    if v ~= nil then return tostring(v) end
  end
  return H.string_arg(fname, "member", member)
end

--- add_member(image, project_id) -> Member (status "pending")
function custom:add_member(image, member)
  local fname = "add_member"
  local path = H.image_path(self, fname, image, "/members")
  local resp = self:_request("POST", path, { json = { member = member_id(fname, member) }, expect_body = true })
  return resource.wrap(R.Member, resp.body, self)
end

-- ---- metadefs

--- metadef_namespaces{resource_types="OS::Nova::Flavor" | {...}, visibility=, sort_key=, sort_dir=, limit=}
function custom:metadef_namespaces(query)
  local fname = "metadef_namespaces"
  if query ~= nil then errors.check_arg(fname, "query", query, "table", 2) end
  local q = {}
  for k, v in pairs(query or {}) do q[k] = v end
  if type(q.resource_types) == "table" then q.resource_types = table.concat(q.resource_types, ",") end
  return self:_list(R.MetadefNamespace, q, {}, fname)
end

-- What a namespace PUT carries: Glance replaces the record with the body,
-- so the fields not being changed are sent as they are.
local NAMESPACE_WRITABLE = { "namespace", "display_name", "description", "visibility", "protected" }

--- update_metadef_namespace(namespace, {display_name=, description=, namespace= (rename), ...}):
-- reads the namespace, then PUTs it whole with the changes (a PUT
-- replaces: a field left out would be cleared).
function custom:update_metadef_namespace(namespace, attrs)
  local fname = "update_metadef_namespace"
  local ns = namespace_id(fname, namespace)
  errors.check_arg(fname, "attrs", attrs, "table", 2)
  local wire = resource.to_wire(R.MetadefNamespace, attrs, fname)
  local current = self:_get(R.MetadefNamespace, ns, {}, fname)
  local body = {}
  for _, k in ipairs(NAMESPACE_WRITABLE) do body[k] = rawget(current, k) end
  for k, v in pairs(wire) do body[k] = v end
  local resp = self:_request("PUT", "/v2/metadefs/namespaces/" .. esc(ns), { json = body, expect_body = true })
  return resource.wrap(R.MetadefNamespace, resp.body, self)
end

function custom:metadef_resource_type_associations(namespace)
  local fname = "metadef_resource_type_associations"
  return self:_list(R.MetadefResourceTypeAssociation, nil, { parent = namespace_id(fname, namespace) }, fname)
end

--- create_metadef_resource_type_association(namespace, {name=, prefix=, properties_target=})
function custom:create_metadef_resource_type_association(namespace, attrs)
  local fname = "create_metadef_resource_type_association"
  return (self:_create(R.MetadefResourceTypeAssociation, attrs, { parent = namespace_id(fname, namespace) }, fname))
end

function custom:delete_metadef_resource_type_association(association, namespace, opts)
  local fname = "delete_metadef_resource_type_association"
  return self:_delete(R.MetadefResourceTypeAssociation, association,
    { parent = namespace_id(fname, namespace), opts = opts or {} }, fname)
end

-- ---- service information

--- get_image_service_version() -> Version{id="v2.N", status="CURRENT", links}:
-- the highest CURRENT entry of the root's version document (GET / answers 300).
function custom:get_image_service_version()
  local resp = self:_request("GET", "/", { expect_body = true })
  local best
  for _, v in ipairs(type(resp.body) == "table" and resp.body.versions or {}) do
    if type(v) == "table" and tostring(v.status):upper() == "CURRENT" and type(v.id) == "string" then
      if not best or proxy.compare_versions((v.id:gsub("^v", "")), (best.id:gsub("^v", ""))) > 0 then best = v end
    end
  end
  if not best then return nil end
  return resource.wrap(R.Version, best, self)
end

--- get_import_info() -> ImportInfo{import_methods = {value = {"glance-direct", ...}}}
function custom:get_import_info()
  local resp = self:_request("GET", "/v2/info/import", { expect_body = true })
  return resource.wrap(R.ImportInfo, resp.body, self)
end

require("openstack.services.image.transfer").install(custom, H)

return proxy.service {
  name = "image", service_type = "image", resources = R, methods = methods, custom = custom,
}
