-- Cloud configuration the way openstacksdk / os-client-config resolves it:
-- clouds.yaml and secure.yaml, OS_* environment variables and the arguments
-- given to openstack.connect, merged into one normalised table per cloud.
local errors = require "openstack.errors"
local yaml = require "openstack.yaml"

local config = {}

local function fail(message, fields)
  errors.raise("ConfigError", message, fields)
end

--- Auth types accepted in `auth_type` (after aliases are applied).
config.AUTH_TYPES = {
  "password", "v2password", "v3password", "token", "v2token", "v3token",
  "v3applicationcredential", "admin_token", "none",
}
local AUTH_TYPE_ALIASES = { noauth = "none", token_endpoint = "admin_token" }

-- Settings that belong in `auth` even when given at the top level.
local AUTH_KEYS = {
  "auth_url", "username", "user_id", "password", "project_name", "project_id",
  "tenant_name", "tenant_id", "user_domain_name", "user_domain_id",
  "project_domain_name", "project_domain_id", "domain_name", "domain_id",
  "default_domain_id", "default_domain_name", "token", "auth_token", "passcode",
  "application_credential_id", "application_credential_secret",
  "application_credential_name", "system_scope", "trust_id",
}
local AUTH_RENAMES = {   -- old name -> openstacksdk name
  tenant_name = "project_name", tenant_id = "project_id", auth_token = "token",
}

-- Service names (and their aliases) that may prefix per-service settings
-- such as compute_api_version or volume_endpoint_override.
local SERVICES = {
  block_storage = "block_storage", block_store = "block_storage",
  volume = "block_storage", volumev2 = "block_storage", volumev3 = "block_storage",
  compute = "compute", identity = "identity", image = "image",
  network = "network", object_store = "object_store",
  orchestration = "orchestration", load_balancer = "load_balancer",
  dns = "dns", key_manager = "key_manager", placement = "placement",
  baremetal = "baremetal", baremetal_introspection = "baremetal_introspection",
  shared_file_system = "shared_file_system", share = "shared_file_system",
  sharev2 = "shared_file_system", workflow = "workflow",
  clustering = "clustering", accelerator = "accelerator",
  container_infrastructure_management = "container_infrastructure_management",
  container_infra = "container_infrastructure_management",
  message = "message", database = "database",
}
-- Per-service settings, longest first so that suffix matching is greedy.
local SERVICE_SETTINGS = {
  "default_microversion", "status_code_retries", "endpoint_override",
  "connect_retries", "endpoint_type", "service_type", "service_name",
  "api_version", "region_name", "interface", "endpoint",
}
local SETTING_RENAMES = { endpoint_type = "interface", endpoint = "endpoint_override" }

local INTERFACES = { public = true, internal = true, admin = true }

-- Environment variables (without OS_) that describe credentials: when one is
-- set and no cloud is named, the environment is the cloud ("envvars").
local ENV_AUTH = {
  "AUTH_URL", "AUTH_TYPE", "USERNAME", "USER_ID", "PASSWORD", "TOKEN",
  "AUTH_TOKEN", "PROJECT_NAME", "PROJECT_ID", "TENANT_NAME", "TENANT_ID",
  "USER_DOMAIN_NAME", "USER_DOMAIN_ID", "PROJECT_DOMAIN_NAME",
  "PROJECT_DOMAIN_ID", "DOMAIN_NAME", "DOMAIN_ID", "DEFAULT_DOMAIN",
  "DEFAULT_DOMAIN_ID", "DEFAULT_DOMAIN_NAME", "APPLICATION_CREDENTIAL_ID",
  "APPLICATION_CREDENTIAL_SECRET", "APPLICATION_CREDENTIAL_NAME",
  "SYSTEM_SCOPE", "TRUST_ID", "PASSCODE",
}
-- Other settings read from the environment when it is used.
local ENV_OTHER = {
  "REGION_NAME", "INTERFACE", "ENDPOINT_TYPE", "CACERT", "CERT", "KEY",
  "INSECURE", "VERIFY", "DEBUG", "API_TIMEOUT", "CONNECT_RETRIES",
  "STATUS_CODE_RETRIES", "IDENTITY_API_VERSION", "ENDPOINT",
}
for service in pairs(SERVICES) do
  for _, setting in ipairs { "API_VERSION", "ENDPOINT_OVERRIDE", "INTERFACE",
                             "DEFAULT_MICROVERSION" } do
    ENV_OTHER[#ENV_OTHER + 1] = service:upper() .. "_" .. setting
  end
end

-- Small helpers -------------------------------------------------------------

local function is_map(v)
  return type(v) == "table" and v ~= yaml.null and v[1] == nil
end

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = tostring(k) end
  table.sort(keys)
  return keys
end

--- True for keys whose values must never be shown: anything naming a
-- password, secret or token.
function config.is_secret(key)
  if type(key) ~= "string" then return false end
  key = key:lower()
  return key:find("password", 1, true) ~= nil or key:find("secret", 1, true) ~= nil
    or key:find("token", 1, true) ~= nil
end

--- A copy of `t` with the value of every secret key (see `is_secret`), at
-- any depth, replaced by "<redacted>". For logging and tostring.
function config.redact(t)
  local seen = {}
  local function copy(v)
    if type(v) ~= "table" or v == yaml.null then return v end
    if seen[v] then return seen[v] end
    local out = {}
    seen[v] = out
    for k, x in pairs(v) do
      out[k] = config.is_secret(k) and "<redacted>" or copy(x)
    end
    return out
  end
  return copy(t)
end

-- A value as it may appear in an error message.
local function show(key, value)
  if config.is_secret(key) then return "<redacted>" end
  if type(value) == "string" then return ("'%s'"):format(value) end
  return tostring(value)
end

local function quote_shell(s)
  return "'" .. s:gsub("'", [['\'']]) .. "'"
end

local function basename(path) return path:match("([^/]*)$") end

-- Layers: one table of settings per source, all in openstacksdk's names ------

-- Copy with dashes in keys turned into underscores and nulls dropped, as
-- openstacksdk's normalize_keys does. Underscore spellings win over dashed.
local function normalize_keys(t, depth)
  depth = depth or 0
  if depth > 50 then fail("configuration is nested too deeply") end
  local out, canonical = {}, {}
  for k, v in pairs(t) do
    if v ~= yaml.null then
      local key = type(k) == "string" and k:gsub("-", "_") or k
      if type(v) == "table" and v ~= yaml.null then v = normalize_keys(v, depth + 1) end
      if out[key] == nil or key == k then
        out[key] = v
        canonical[key] = key == k
      elseif not canonical[key] then
        out[key] = v
      end
    end
  end
  return out
end

-- "volumev3_api_version" -> "block_storage", "api_version" (official names).
local function split_service_key(key)
  if type(key) ~= "string" then return nil end
  for _, setting in ipairs(SERVICE_SETTINGS) do
    local n = #key - #setting - 1
    if n > 0 and key:sub(n + 1) == "_" .. setting and SERVICES[key:sub(1, n)] then
      return SERVICES[key:sub(1, n)], SETTING_RENAMES[setting] or setting
    end
  end
end

-- Per-service settings under the service's official name and setting:
-- volume_api_version -> block_storage_api_version, compute_endpoint ->
-- compute_endpoint_override, endpoint_type -> interface.
local function canonical_key(key)
  if key == "endpoint_type" then return "interface" end
  local service, setting = split_service_key(key)
  return service and service .. "_" .. setting or key
end

local function normalize_layer(t, source)
  if t == nil or t == yaml.null then return { auth = {} } end
  if not is_map(t) then fail(source .. " must be a mapping of settings") end
  local layer = normalize_keys(t)
  if layer.auth == nil then layer.auth = {} end
  if not is_map(layer.auth) then fail(source .. ": auth must be a mapping") end
  local auth = layer.auth

  if layer.auth_type == nil then layer.auth_type = layer.auth_plugin end
  layer.auth_plugin = nil
  if layer.default_domain ~= nil and layer.default_domain_id == nil then
    layer.default_domain_id = layer.default_domain
  end
  layer.default_domain = nil
  -- Credentials given at the top level move into auth; within one source
  -- the auth section wins.
  for _, key in ipairs(AUTH_KEYS) do
    if layer[key] ~= nil then
      if auth[key] == nil then auth[key] = layer[key] end
      layer[key] = nil
    end
  end
  for old, new in pairs(AUTH_RENAMES) do
    if auth[old] ~= nil then
      if auth[new] == nil then auth[new] = auth[old] end
      auth[old] = nil
    end
  end

  -- An official spelling wins over an alias; aliases in name order.
  local renamed = {}
  for key, value in pairs(layer) do
    local new = canonical_key(key)
    if new ~= key then renamed[#renamed + 1] = { key, new, value } end
  end
  table.sort(renamed, function(a, b) return a[1] < b[1] end)
  for _, r in ipairs(renamed) do layer[r[1]] = nil end
  for _, r in ipairs(renamed) do
    if layer[r[2]] == nil then layer[r[2]] = r[3] end
  end
  return layer
end

-- Later layers win; auth is merged key by key.
local function merge_layers(layers)
  local out = { auth = {} }
  for _, layer in ipairs(layers) do
    for k, v in pairs(layer) do
      if k == "auth" then
        for ak, av in pairs(v) do out.auth[ak] = av end
      else
        out[k] = v
      end
    end
  end
  return out
end

-- Like openstacksdk's merge_clouds: nested mappings merge, the rest is replaced.
local function deep_merge(base, over)
  local out = {}
  for k, v in pairs(base) do out[k] = v end
  for k, v in pairs(over) do
    if is_map(v) and is_map(out[k]) then
      out[k] = deep_merge(out[k], v)
    else
      out[k] = v
    end
  end
  return out
end

-- Environment -----------------------------------------------------------------

-- getenv for args.env or the process environment; empty means unset, as
-- openrc files often "unset" variables by setting them to "".
local function env_reader(args)
  local env = args.env
  return function(name)
    local v
    if env then v = env[name] else v = os.getenv(name) end
    if v == "" then return nil end
    return v
  end
end

-- The OS_* settings as a layer, and whether any of them are credentials.
local function env_layer(getenv)
  local layer, has_auth = {}, false
  for _, name in ipairs(ENV_AUTH) do
    local v = getenv("OS_" .. name)
    if v then layer[name:lower()], has_auth = v, true end
  end
  for _, name in ipairs(ENV_OTHER) do
    local v = getenv("OS_" .. name)
    if v then layer[name:lower()] = v end
  end
  return layer, has_auth
end

-- Files ---------------------------------------------------------------------

-- Candidate files, in search order: $override_var, then `explicit` or the
-- standard directories.
local function search_path(getenv, os_getenv, home, stem, explicit, override_var)
  local files = {}
  local override = os_getenv(override_var)
  if override then files[1] = override end
  if explicit then
    for _, f in ipairs(explicit) do files[#files + 1] = f end
    return files, override
  end
  local dirs = { "." }
  local xdg = getenv("XDG_CONFIG_HOME")
  if xdg then dirs[#dirs + 1] = xdg .. "/openstack" end
  if home then dirs[#dirs + 1] = home .. "/.config/openstack" end
  dirs[#dirs + 1] = "/etc/openstack"
  for _, dir in ipairs(dirs) do
    for _, ext in ipairs { ".yaml", ".yml", ".json" } do
      files[#files + 1] = dir .. "/" .. stem .. ext
    end
  end
  return files, override
end

local ENOENT, EACCES, EISDIR = 2, 13, 21

-- The first readable file of the list, parsed: data, path.
local function load_first(files, warnings)
  for _, path in ipairs(files) do
    local f, err, code = io.open(path, "rb")
    local text
    if f then
      text, err, code = f:read("a")
      f:close()
    end
    if text then
      local data = yaml.load(text, path)
      if data == yaml.null then data = {} end
      if not is_map(data) then
        fail(("%s: expected a mapping with a 'clouds' key"):format(path), { file = path })
      end
      return data, path
    elseif code == EACCES then
      warnings[#warnings + 1] = ("cannot read %s (permission denied); skipped"):format(path)
    elseif code ~= ENOENT and code ~= EISDIR then
      warnings[#warnings + 1] = ("cannot read %s (%s); skipped"):format(path, tostring(err))
    end
  end
end

local function holds_secrets(t, depth)
  if depth > 50 then return false end
  for k, v in pairs(t) do
    if config.is_secret(k) and (type(v) == "string" and v ~= "" or type(v) == "number") then
      return true
    end
    if type(v) == "table" and holds_secrets(v, depth + 1) then return true end
  end
  return false
end

-- The permission bits of a file: stat(2) through the core when it is
-- loaded (a process spawn costs ~5 ms, most of a cached connect), else the
-- stat command (GNU, then BSD).
local function file_mode(path)
  local ok, core = pcall(require, "openstack.core")
  if ok and core.file_mode then return core.file_mode(path) end
  local quoted = quote_shell(path)
  local pipe = io.popen(("stat -c %%a -- %s 2>/dev/null || stat -f %%Lp -- %s 2>/dev/null")
    :format(quoted, quoted))
  if not pipe then return nil end
  local mode = tonumber(pipe:read("a"):match("%d+") or "", 8)
  pipe:close()
  return mode
end

local function check_mode(path, data, warnings)
  if not holds_secrets(data, 0) then return end
  local mode = file_mode(path)
  if mode and mode & 0x24 ~= 0 then   -- group or others may read (0o044)
    warnings[#warnings + 1] = ("%s at %s is readable by others (mode %04o) and holds secrets; chmod 600 it")
      :format(basename(path), path, mode)
  end
end

-- Normalising and checking the merged settings -----------------------------------

local TRUE = { ["true"] = true, yes = true, on = true, ["1"] = true }
local FALSE = { ["false"] = true, no = true, off = true, ["0"] = true }

local function boolean(where, key, v)
  if type(v) == "boolean" then return v end
  local s = type(v) == "string" and v:lower() or (math.type(v) == "integer" and tostring(v))
  if s and TRUE[s] then return true end
  if s and FALSE[s] then return false end
  local hint = key == "verify" and type(v) == "string" and " (a CA bundle goes in cacert)" or ""
  fail(("%s: %s must be true or false, got %s%s"):format(where, key, show(key, v), hint), { key = key })
end

local function integer(where, key, v)
  local n = math.tointeger(type(v) == "string" and tonumber(v) or v)
  if not n or n < 0 then
    fail(("%s: %s must be a non-negative integer, got %s"):format(where, key, show(key, v)), { key = key })
  end
  return n
end

-- Numbers become strings the way Python's str() writes them ("3", "2.1",
-- "3.0"), as openstacksdk stringifies numeric settings.
local function text(where, key, v)
  if type(v) == "number" then return tostring(v) end
  if type(v) ~= "string" then
    fail(("%s: %s must be a string, got %s"):format(where, key, type(v)), { key = key })
  end
  return v
end

local function interface(where, key, v)
  local s = type(v) == "string" and v:lower():gsub("url$", "")
  if not INTERFACES[s] then
    fail(("%s: %s must be public, internal or admin, got %s"):format(where, key, show(key, v)), { key = key })
  end
  return s
end

local function expand_home(path, home)
  if home and path:sub(1, 2) == "~/" then return home .. path:sub(2) end
  return path
end

local SETTING_TYPES = {
  api_version = text, default_microversion = text, endpoint_override = text,
  service_type = text, service_name = text, region_name = text,
  interface = interface, status_code_retries = integer, connect_retries = integer,
}

local function normalize_settings(c, where, home)
  for key, v in pairs(c) do
    local _, setting = split_service_key(key)
    if setting then c[key] = SETTING_TYPES[setting](where, key, v) end
  end
  for _, key in ipairs { "region_name", "cacert", "cert", "key" } do
    if c[key] ~= nil then c[key] = text(where, key, c[key]) end
  end
  for _, key in ipairs { "cacert", "cert", "key" } do
    if c[key] then c[key] = expand_home(c[key], home) end
  end
  if c.identity_api_version ~= nil then
    c.identity_api_version = text(where, "identity_api_version", c.identity_api_version)
  end
  c.interface = interface(where, "interface", c.interface or "public")
  for _, key in ipairs { "connect_retries", "status_code_retries" } do
    if c[key] ~= nil then c[key] = integer(where, key, c[key]) end
  end
  if c.api_timeout ~= nil then
    local t = tonumber(c.api_timeout)
    if not t or t <= 0 then
      fail(("%s: api_timeout must be a positive number, got %s"):format(where, show("api_timeout", c.api_timeout)),
        { key = "api_timeout" })
    end
    c.api_timeout = t
  end
  -- insecure is the stronger setting: insecure=true turns verification off.
  local verify = c.verify == nil or boolean(where, "verify", c.verify)
  local insecure = c.insecure ~= nil and boolean(where, "insecure", c.insecure)
  c.verify = verify and not insecure
  c.insecure = not c.verify
  c.debug = c.debug ~= nil and boolean(where, "debug", c.debug) or false
end

-- Scoping by domain, as openstacksdk's _handle_domain_id and openstackclient's
-- default domain do.
local function handle_domains(auth)
  local scoped = auth.project_id ~= nil or auth.project_name ~= nil
  if scoped then
    for _, kind in ipairs { "id", "name" } do
      local domain = auth["domain_" .. kind]
      if domain ~= nil then
        for _, who in ipairs { "user", "project" } do
          local key = who .. "_domain_" .. kind
          if auth[key] == nil then auth[key] = domain end
        end
        auth["domain_" .. kind] = nil
      end
    end
  end
  for _, kind in ipairs { "id", "name" } do
    local default = auth["default_domain_" .. kind]
    if default ~= nil then
      if (auth.username ~= nil) and auth.user_domain_id == nil and auth.user_domain_name == nil then
        auth["user_domain_" .. kind] = default
      end
      if auth.project_name ~= nil and auth.project_domain_id == nil and auth.project_domain_name == nil then
        auth["project_domain_" .. kind] = default
      end
      auth["default_domain_" .. kind] = nil
    end
  end
end

local REQUIRED = {
  password = { "auth_url", { "username", "user_id" }, "password" },
  v2password = { "auth_url", { "username", "user_id" }, "password" },
  v3password = { "auth_url", { "username", "user_id" }, "password" },
  token = { "auth_url", "token" },
  v2token = { "auth_url", "token" },
  v3token = { "auth_url", "token" },
  v3applicationcredential = { "auth_url", "application_credential_secret",
    { "application_credential_id", "application_credential_name" } },
  admin_token = { "token", "endpoint" },
  none = {},
}

local function resolve_auth(c, where)
  local auth = c.auth
  for k, v in pairs(auth) do
    if type(v) == "number" then auth[k] = tostring(v) end
  end

  local auth_type = c.auth_type
  if auth_type == nil or auth_type == "" then
    if auth.token then auth_type = "v3token"
    elseif auth.application_credential_secret or auth.application_credential_id then
      auth_type = "v3applicationcredential"
    else
      auth_type = "password"
    end
  end
  if type(auth_type) ~= "string" then
    fail(("%s: auth_type must be a string"):format(where), { key = "auth_type" })
  end
  auth_type = auth_type:lower()
  auth_type = AUTH_TYPE_ALIASES[auth_type] or auth_type
  if not REQUIRED[auth_type] then
    fail(("%s: unknown auth_type %s; valid auth types: %s")
      :format(where, show("auth_type", c.auth_type), table.concat(config.AUTH_TYPES, ", ")),
      { key = "auth_type" })
  end
  c.auth_type = auth_type
  if (auth_type == "none" or auth_type == "admin_token") and auth.endpoint == nil then
    auth.endpoint, c.endpoint = c.endpoint, nil
  end

  handle_domains(auth)

  for _, need in ipairs(REQUIRED[auth_type]) do
    local options = type(need) == "table" and need or { need }
    local found = false
    for _, key in ipairs(options) do
      local v = auth[key]
      if v ~= nil and type(v) ~= "string" then
        fail(("%s: auth.%s must be a string, got %s"):format(where, key, type(v)), { key = "auth." .. key })
      end
      if v ~= nil and v ~= "" then found = true end
    end
    if not found then
      local names = {}
      for i, key in ipairs(options) do names[i] = "auth." .. key end
      fail(("%s: %s is required for auth_type '%s'")
        :format(where, table.concat(names, " or "), auth_type), { key = names[1] })
    end
  end
  if auth_type == "v3applicationcredential" and not auth.application_credential_id
      and not (auth.username or auth.user_id) then
    fail(("%s: auth.username or auth.user_id is required with auth.application_credential_name")
      :format(where), { key = "auth.username" })
  end
end

-- Regions: a cloud may list its regions, each with settings of its own.
local function pick_region(cloud, requested, where)
  local regions = cloud.regions
  cloud.regions = nil
  if regions == nil then return nil end
  if type(regions) ~= "table" or regions == yaml.null or is_map(regions) and next(regions) then
    fail(where .. ": regions must be a list", { key = "regions" })
  end
  local names = {}
  for i, r in ipairs(regions) do
    if type(r) == "string" then
      regions[i] = { name = r }
    elseif not (is_map(r) and type(r.name) == "string") then
      fail(("%s: regions entry %d must be a name or a mapping with 'name' and 'values'"):format(where, i),
        { key = "regions" })
    end
    names[i] = regions[i].name
  end
  if #regions == 0 then return nil end
  if requested == nil then return regions[1] end
  for _, r in ipairs(regions) do
    if r.name == requested then return r end
  end
  fail(("%s: region %s is not one of its regions: %s")
    :format(where, show("region_name", requested), table.concat(names, ", ")), { key = "region_name" })
end

-- Loading -------------------------------------------------------------------

-- getenv for everything, getenv for OS_* (which load_envvars=false turns
-- off, selectors included), and the home directory.
local function environment(args)
  local getenv = env_reader(args)
  local os_getenv = args.load_envvars == false and function() end or getenv
  return getenv, os_getenv, args.home or getenv("HOME")
end

--- The clouds.yaml and the secure.yaml candidates, each a list of paths in
-- search order: $OS_CLIENT_CONFIG_FILE (resp. $OS_CLIENT_SECURE_FILE), then
-- `args.config_files` (resp. `args.secure_files`) if given, else for each
-- of ., $XDG_CONFIG_HOME/openstack, ~/.config/openstack and /etc/openstack
-- the names clouds.yaml, clouds.yml, clouds.json. The first readable wins.
-- @tparam[opt] table args as for `load` (env, home, config_files, secure_files)
-- @treturn {string,...} clouds files
-- @treturn {string,...} secure files
function config.search_paths(args)
  args = args or {}
  local getenv, os_getenv, home = environment(args)
  return search_path(getenv, os_getenv, home, "clouds", args.config_files, "OS_CLIENT_CONFIG_FILE"),
    search_path(getenv, os_getenv, home, "secure", args.secure_files, "OS_CLIENT_SECURE_FILE")
end

local SELECTORS = {
  cloud = true, env = true, config_files = true, secure_files = true,
  home = true, load_yaml_config = true, load_envvars = true,
}

-- The arguments as a layer: selectors removed, os_ prefixes stripped.
local function args_layer(args)
  local t = {}
  for k, v in pairs(args) do
    if not SELECTORS[k] then
      if type(k) == "string" then
        k = k:gsub("-", "_")
        if k:sub(1, 3) == "os_" and args[k:sub(4)] == nil then k = k:sub(4) end
      end
      t[k] = v
    end
  end
  return normalize_layer(t, "connection arguments")
end

--- Resolve the configuration of one cloud.
--
-- Which cloud: `args.cloud`, else OS_CLOUD, else the OS_* environment when
-- it holds credentials (cloud "envvars"), else `args` alone when they carry
-- auth settings or an auth_type, else the only cloud in clouds.yaml.
--
-- Layers, later ones winning: a named cloud is its clouds.yaml entry with
-- secure.yaml merged over it, then its region's `values`, then `args`; the
-- OS_* environment is not applied to a named cloud (as in openstacksdk).
-- Without a named cloud the layers are the OS_* environment, then `args`.
--
-- @tparam[opt] table args the table given to openstack.connect: `cloud`,
--   `region_name`, `auth = {...}`, any setting below, plus for tests and
--   embedding: `env` (table of environment variables used instead of the
--   process environment), `config_files` and `secure_files` (lists of paths
--   searched instead of the standard ones), `home` (instead of $HOME),
--   `load_yaml_config = false`, `load_envvars = false`.
-- @treturn table the settings: `cloud` (name or nil), `auth_type`, `auth`,
--   `region_name`, `interface`, `verify`, `insecure`, `debug`, `cacert`,
--   `cert`, `key`, `api_timeout`, `connect_retries`, `status_code_retries`,
--   `identity_api_version`, `<service>_<setting>` with the service's
--   official name, and any other key passed through untouched.
-- @treturn {string,...} warnings (insecure file modes, skipped files, ...)
-- @raise ConfigError naming the cloud and key at fault, never a secret value
function config.load(args)
  args = args or {}
  errors.check_arg("config.load", "args", args, "table")
  local warnings = {}
  local getenv, os_getenv, home = environment(args)

  -- clouds.yaml, with secure.yaml deep-merged over it.
  local data, path, secure_path = {}, nil, nil
  local searched = {}
  if args.load_yaml_config ~= false then
    local files, secure_files = config.search_paths(args)
    searched = files
    local override = os_getenv("OS_CLIENT_CONFIG_FILE")
    local f = override and io.open(override, "rb")
    if f then f:close() elseif override then
      warnings[#warnings + 1] = ("OS_CLIENT_CONFIG_FILE names %s, which cannot be read"):format(override)
    end
    local clouds_data
    clouds_data, path = load_first(files, warnings)
    local secure
    secure, secure_path = load_first(secure_files, warnings)
    if clouds_data then check_mode(path, clouds_data, warnings) end
    if secure then check_mode(secure_path, secure, warnings) end
    data = deep_merge(clouds_data or {}, secure or {})
    if path and data.clouds == nil then
      warnings[#warnings + 1] = ("%s has no 'clouds' key"):format(path)
    end
  end
  local clouds = data.clouds
  if clouds == nil or clouds == yaml.null then clouds = {} end
  if not is_map(clouds) then
    fail(("%s: 'clouds' must be a mapping of cloud names to settings"):format(path or secure_path),
      { file = path })
  end

  local env, env_has_auth = env_layer(os_getenv)
  local envvars_name = os_getenv("OS_CLOUD_NAME") or "envvars"
  local args_settings = args_layer(args)
  local name = args.cloud or os_getenv("OS_CLOUD")
  if name ~= nil and type(name) ~= "string" then
    fail("cloud must be a string naming a cloud", { key = "cloud" })
  end

  local layers, where, cloud_entry = {}, nil, nil
  if name == envvars_name and env_has_auth then
    if clouds[name] ~= nil then
      fail(("%s defines a cloud named '%s', which is also the name of the cloud from OS_* variables; rename one (OS_CLOUD_NAME)")
        :format(path, name), { cloud = name })
    end
    name = envvars_name
  elseif name ~= nil then
    cloud_entry = clouds[name]
    if cloud_entry == nil then
      local available = sorted_keys(clouds)
      local msg = ("cloud '%s' not found"):format(name)
      if path then
        msg = msg .. (" in %s; available clouds: %s"):format(path,
          #available > 0 and table.concat(available, ", ") or "none")
      else
        msg = msg .. ": no clouds.yaml found (searched " .. table.concat(searched, ", ") .. ")"
      end
      fail(msg, { cloud = name, file = path, available = available })
    end
  elseif env_has_auth then
    name = envvars_name
  elseif next(args_settings.auth) == nil and args_settings.auth_type == nil then
    local names = sorted_keys(clouds)
    if #names == 1 then
      name = names[1]
      cloud_entry = clouds[name]
    elseif #names > 1 then
      fail(("%s defines several clouds (%s); choose one with cloud=... or OS_CLOUD")
        :format(path or secure_path, table.concat(names, ", ")), { file = path, available = names })
    else
      fail("no cloud configuration found: set OS_CLOUD or OS_* variables, pass cloud=... or auth settings,"
        .. " or create clouds.yaml (searched " .. table.concat(searched, ", ") .. ")")
    end
  end

  if cloud_entry ~= nil then
    where = ("cloud '%s'"):format(name)
    if not is_map(cloud_entry) then fail(where .. " must be a mapping of settings", { cloud = name }) end
    local base = normalize_layer(cloud_entry, where)
    if base.cloud ~= nil and base.profile == nil then base.profile = base.cloud end
    base.cloud = nil
    if base.profile ~= nil then
      warnings[#warnings + 1] = ("%s uses vendor profile %s, which is not supported; its settings are not applied")
        :format(where, show("profile", base.profile))
    end
    local region = pick_region(base, args_settings.region_name or base.region_name, where)
    layers[1] = base
    if region then
      base.region_name = region.name
      layers[2] = normalize_layer(region.values, where .. " region '" .. region.name .. "'")
    end
  else
    where = name and ("cloud '%s' (OS_* environment)"):format(name) or "connection arguments"
    layers[1] = normalize_layer(env, "OS_* environment")
  end
  layers[#layers + 1] = args_settings

  local c = merge_layers(layers)
  c.regions = nil
  c.cloud = name
  resolve_auth(c, where)
  normalize_settings(c, where, home)
  if c.cacert and not c.verify then
    warnings[#warnings + 1] = ("%s: cacert is ignored because verification is off"):format(where)
  end
  return c, warnings
end

return config
