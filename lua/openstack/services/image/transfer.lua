--- Image data transfers: create_image (create + upload or import + wait),
-- upload_image, upload_image_data, stage_image, import_image and
-- download_image. Bodies stream through the core in both directions (a
-- file path, a Lua reader function or a file handle up; a file path, a
-- writer function, an iterator or a string down), so memory stays flat
-- whatever the image size. Downloads are checked against the image
-- record's checksum (md5) and os_hash_value (os_hash_algo), the
-- Content-MD5 header and the byte counts; a download to a path only ever
-- appears under that path once it has passed those checks.
-- @module openstack.services.image.transfer
local resource = require "openstack.resource"
local proxy = require "openstack.proxy"
local errors = require "openstack.errors"
local json = require "openstack.json"

local null = json.null
local esc = proxy.escape_segment

local M = {}

-- Glance's os_hash_algo (a Python hashlib name) -> OpenSSL digest name.
local OPENSSL_DIGEST = {
  md5 = "md5", sha1 = "sha1", sha224 = "sha224", sha256 = "sha256", sha384 = "sha384", sha512 = "sha512",
  sha3_224 = "sha3-224", sha3_256 = "sha3-256", sha3_384 = "sha3-384", sha3_512 = "sha3-512",
  blake2b = "blake2b512", blake2s = "blake2s256",
}

local IMPORT_METHODS = { ["glance-direct"] = true, ["web-download"] = true, ["copy-image"] = true,
  ["glance-download"] = true }

local READ_CHUNK = 64 * 1024

local function has(v) return v ~= nil and v ~= null and v ~= "" end

-- ---------------------------------------------------------------- request bodies

--- Fails (before any request) when path cannot be read as a file.
local function check_readable(fname, path)
  if type(path) ~= "string" or path == "" then
    errors.raise("InvalidArgument", ("%s: filename must be a path, got %s"):format(fname, type(path)),
      { argument = "filename" }, 4)
  end
  local f, err = io.open(path, "rb")
  if not f then
    errors.raise("InvalidArgument", ("%s: cannot read the upload file %s"):format(fname, err),
      { argument = "filename" }, 4)
  end
  local c, rerr = f:read(1)
  f:close()
  if c == nil and rerr then
    errors.raise("InvalidArgument", ("%s: cannot read the upload file %s: %s"):format(fname, path, rerr),
      { argument = "filename" }, 4)
  end
end

--- The request options carrying the body: body_file, body or reader.
local function body_of(fname, filename, data)
  if filename ~= nil and data ~= nil then
    errors.raise("InvalidArgument", fname .. ": give filename or data, not both", { argument = "data" }, 4)
  end
  if filename ~= nil then
    check_readable(fname, filename)
    return { body_file = filename }
  end
  local t = type(data)
  if t == "string" then return { body = data } end
  local read
  if t == "function" then
    read = data
  elseif io.type(data) == "file" then
    read = function() return data:read(READ_CHUNK) end
  else
    errors.raise("InvalidArgument", ("%s: data must be a string, a reader function or an open file, got %s")
      :format(fname, io.type(data) or t), { argument = "data" }, 4)
  end
  -- the core ends the body at the first empty chunk: skip those
  return { reader = function()
    while true do
      local chunk = read()
      if chunk == nil then return nil end
      if type(chunk) ~= "string" then
        errors.raise("InvalidArgument", ("%s: the data reader must return strings (nil at the end), got %s")
          :format(fname, type(chunk)), { argument = "data" })
      end
      if #chunk > 0 then return chunk end
    end
  end }
end

local function put_data(self, path, src)
  local opts = { content_type = "application/octet-stream", accept = "" }
  for k, v in pairs(src) do opts[k] = v end
  return self:_request("PUT", path, opts)
end

local function check_type(fname, name, v, want)
  if v ~= nil and type(v) ~= want then
    errors.raise("InvalidArgument", ("%s: option '%s' must be a %s, got %s"):format(fname, name, want, type(v)),
      { argument = name }, 4)
  end
  return v
end

local function string_list(fname, name, v)
  errors.check_arg(fname, name, v, "table", 4)
  local out = json.array()
  for i, s in ipairs(v) do
    if type(s) ~= "string" then
      errors.raise("InvalidArgument", ("%s: %s[%d] must be a string, got %s"):format(fname, name, i, type(s)),
        { argument = name }, 4)
    end
    out[i] = s
  end
  return out
end

--- POST /v2/images/{id}/import body and headers from the options.
local function import_request(fname, opts)
  local method = opts.method or "glance-direct"
  if not IMPORT_METHODS[method] then
    errors.raise("InvalidArgument", ("%s: method must be glance-direct, web-download, copy-image or glance-download, got '%s'")
      :format(fname, tostring(method)), { argument = "method" }, 4)
  end
  local m = { name = method }
  if method == "web-download" then
    if type(opts.uri) ~= "string" or opts.uri == "" then
      errors.raise("InvalidArgument", fname .. ": web-download needs uri (the image's URL)", { argument = "uri" }, 4)
    end
    m.uri = opts.uri
  elseif opts.uri ~= nil then
    errors.raise("InvalidArgument", fname .. ": uri is only for the web-download method", { argument = "uri" }, 4)
  end
  if method == "glance-download" then
    if type(opts.glance_image_id) ~= "string" or type(opts.glance_region) ~= "string" then
      errors.raise("InvalidArgument", fname .. ": glance-download needs glance_image_id and glance_region",
        { argument = "glance_image_id" }, 4)
    end
    m.glance_image_id, m.glance_region = opts.glance_image_id, opts.glance_region
    m.glance_service_interface = check_type(fname, "glance_service_interface", opts.glance_service_interface, "string")
  end
  local body = { method = m }
  if opts.stores ~= nil then body.stores = string_list(fname, "stores", opts.stores) end
  body.all_stores = check_type(fname, "all_stores", opts.all_stores, "boolean")
  body.all_stores_must_succeed = check_type(fname, "all_stores_must_succeed", opts.all_stores_must_succeed, "boolean")
  local headers
  if opts.store ~= nil then
    headers = { ["X-Image-Meta-Store"] = check_type(fname, "store", opts.store, "string") }
  end
  return body, headers
end

local IMPORT_OPTIONS = { method = true, uri = true, stores = true, all_stores = true, all_stores_must_succeed = true,
  store = true, glance_image_id = true, glance_region = true, glance_service_interface = true }

-- ---------------------------------------------------------------- download checks

local B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

--- Content-MD5: RFC 1864 says base64; Glance sends the hex checksum.
local function md5_hex(v)
  v = tostring(v):gsub("%s", "")
  if v:match("^%x+$") and #v == 32 then return v:lower() end
  local bits, out = 0, {}
  local acc = 0
  for c in v:gmatch("[^=]") do
    local i = B64:find(c, 1, true)
    if not i then return v:lower() end
    acc, bits = (acc << 6) | (i - 1), bits + 6
    if bits >= 8 then
      bits = bits - 8
      out[#out + 1] = ("%02x"):format((acc >> bits) & 0xff)
    end
  end
  return table.concat(out)
end

local function check_download(fname, id, resp, info, verify, algo)
  local result = { status = resp.status, bytes = resp.bytes or 0, digests = resp.digests or {}, verified = {} }
  local got = result.bytes
  local cl = tonumber(resp.headers and resp.headers["content-length"])
  if cl and cl ~= got then
    errors.raise("InvalidResponse", ("%s: image %s: received %d bytes, but Content-Length said %d")
      :format(fname, id, got, cl), { expected = cl, actual = got }, 3)
  end
  if not verify or resp.status == 204 then return result end
  if math.type(info.size) == "integer" and info.size ~= got then
    errors.raise("InvalidResponse", ("%s: image %s: received %d bytes, but the image's size is %d")
      :format(fname, id, got, info.size), { expected = info.size, actual = got }, 3)
  end
  local d = result.digests
  local function compare(label, expected, actual)
    expected = tostring(expected):lower()
    if actual == nil then return end
    if expected ~= actual then
      errors.raise("ChecksumMismatch", ("%s: image %s: %s mismatch: expected %s, got %s")
        :format(fname, id, label, expected, actual), { expected = expected, actual = actual, check = label }, 4)
    end
    result.verified[#result.verified + 1] = label
  end
  local header_md5 = resp.headers and resp.headers["content-md5"]
  if has(header_md5) then compare("Content-MD5", md5_hex(header_md5), d.md5) end
  if has(info.checksum) then compare("checksum", info.checksum, d.md5) end
  if algo and has(info.os_hash_value) then compare("os_hash_value", info.os_hash_value, d[algo]) end
  return result
end

-- ---------------------------------------------------------------- the methods

function M.install(custom, H)
  local R = H.R

  local function image_path(fname, image, suffix)
    return H.image_path(nil, fname, image, suffix)
  end

  --- import_image(image, {method="glance-direct"|"web-download"|"copy-image"|"glance-download",
  -- uri=, stores={...}, all_stores=, all_stores_must_succeed=, store=}) -> the image
  -- (202: the import runs in the background; wait_for_image follows it).
  function custom:import_image(image, opts)
    local fname = "import_image"
    opts = H.options(fname, opts, IMPORT_OPTIONS)
    local path, id = image_path(fname, image, "/import")
    local body, headers = import_request(fname, opts)
    self:_request("POST", path, { json = body, headers = headers, accept = "" })
    if resource.is_instance(image, R.Image) then return image end
    return resource.wrap(R.Image, { id = id }, self)
  end

  --- stage_image(image, {filename= | data=}): PUT .../stage (glance-direct import, step 1).
  function custom:stage_image(image, opts)
    local fname = "stage_image"
    opts = H.options(fname, opts, { filename = true, data = true })
    local path = image_path(fname, image, "/stage")
    put_data(self, path, body_of(fname, opts.filename, opts.data))
  end

  --- upload_image_data(image, {filename= | data=}): PUT .../file of an existing (queued) image.
  function custom:upload_image_data(image, opts)
    local fname = "upload_image_data"
    opts = H.options(fname, opts, { filename = true, data = true })
    local path = image_path(fname, image, "/file")
    put_data(self, path, body_of(fname, opts.filename, opts.data))
  end

  -- The parts of create_image/upload_image arguments that are not image attributes.
  local CREATE_SPECIAL = { filename = true, data = true, wait = true, timeout = true, interval = true,
    image_url = true, import_data = true, use_import = true, stores = true, all_stores = true,
    all_stores_must_succeed = true, store = true, properties = true, kernel = true, ramdisk = true }

  local function split(fname, attrs, allowed)
    errors.check_arg(fname, "attrs", attrs, "table", 3)
    local special, plain = {}, {}
    for k, v in pairs(attrs) do
      if allowed[k] then special[k] = v else plain[k] = v end
    end
    if special.properties ~= nil then
      errors.check_arg(fname, "properties", special.properties, "table", 3)
      for k, v in pairs(special.properties) do
        if plain[k] ~= nil then
          errors.raise("InvalidArgument", ("%s: '%s' is given twice (in properties too)"):format(fname, tostring(k)),
            { argument = k }, 3)
        end
        plain[k] = v
      end
    end
    for _, k in ipairs({ "kernel", "ramdisk" }) do
      if special[k] ~= nil then
        if plain[k .. "_id"] ~= nil then
          errors.raise("InvalidArgument", ("%s: give %s or %s_id, not both"):format(fname, k, k), { argument = k }, 3)
        end
        plain[k .. "_id"] = resource.id_of(R.Image, special[k], fname, k)
      end
    end
    return special, plain
  end

  -- POST, then the data step; a failed data step deletes the new record
  -- (it would stay "queued" forever), then re-raises.
  local function create_then(self, fname, wire, step)
    local img = self:_create(R.Image, wire, {}, fname)
    if step then
      local ok, err = pcall(step, img)
      if not ok then
        pcall(self._delete, self, R.Image, img, { opts = {} }, fname)
        error(err, 0)
      end
    end
    return img
  end

  --- create_image{name=, disk_format=, container_format=, visibility=, min_disk=, ...,
  --   <custom property>="v", properties={...},
  --   filename=PATH | data=string|reader|file, use_import=false, stores=, all_stores=,
  --   image_url=URL, import_data=true, kernel=, ramdisk=, wait=, timeout=3600, interval=2}
  -- Creates the record; with data, uploads it (PUT .../file, or stage +
  -- glance-direct import with use_import=true); with image_url, imports it
  -- (web-download) or, import_data=false, adds it as a location. With data
  -- or a URL it then waits for "active" (wait=false to skip) and returns the
  -- fresh image. A missing or unreadable file fails before any request.
  function custom:create_image(attrs)
    local fname = "create_image"
    local special, plain = split(fname, attrs, CREATE_SPECIAL)
    local has_data = special.filename ~= nil or special.data ~= nil
    local url = special.image_url
    if has_data and url ~= nil then
      errors.raise("InvalidArgument", fname .. ": give filename/data or image_url, not both", { argument = "image_url" }, 2)
    end
    if url ~= nil then H.string_arg(fname, "image_url", url) end
    for _, k in ipairs({ "wait", "import_data", "use_import" }) do check_type(fname, k, special[k], "boolean") end
    for _, k in ipairs({ "timeout", "interval" }) do check_type(fname, k, special[k], "number") end
    local src = has_data and body_of(fname, special.filename, special.data) or nil
    local import_opts = {
      stores = special.stores, all_stores = special.all_stores,
      all_stores_must_succeed = special.all_stores_must_succeed, store = special.store,
    }
    if has_data then
      -- openstacksdk's defaults: the cloud's image_format (qcow2), bare (ovf for vhd)
      if plain.disk_format == nil then
        local cfg = self._conn and self._conn.config or {}
        plain.disk_format = cfg.image_format or "qcow2"
      end
      if plain.container_format == nil then plain.container_format = plain.disk_format == "vhd" and "ovf" or "bare" end
    end
    local wire = H.image_wire(fname, plain)
    local importing = (has_data and special.use_import) or (url ~= nil and special.import_data ~= false)
    if not importing then
      for k in pairs(import_opts) do
        errors.raise("InvalidArgument", ("%s: %s applies to imports only (use_import=true or image_url)")
          :format(fname, k), { argument = k }, 2)
      end
    end
    local step
    if has_data and special.use_import then
      step = function(img)
        put_data(self, image_path(fname, img, "/stage"), src)
        import_opts.method = "glance-direct"
        self:import_image(img, import_opts)
      end
    elseif has_data then
      step = function(img) put_data(self, image_path(fname, img, "/file"), src) end
    elseif url ~= nil and special.import_data ~= false then
      step = function(img)
        import_opts.method, import_opts.uri = "web-download", url
        self:import_image(img, import_opts)
      end
    elseif url ~= nil then
      step = function(img)
        H.patch(self, fname, img.id, json.array({
          { op = "add", path = "/locations/-", value = { url = url, metadata = json.object() } },
        }))
      end
    end
    local img = create_then(self, fname, wire, step)
    local wait = special.wait
    if wait == nil then wait = step ~= nil end
    if not wait then return img end
    return self:wait_for_status(img, {
      status = "active", failures = { "killed" }, wait = special.timeout or 3600, interval = special.interval or 2,
      -- a failed import puts the image back to "queued" and names the stores
      callback = importing and function(_, current)
        local failed = rawget(current, "os_glance_failed_import")
        if has(failed) then
          errors.raise("ResourceFailure", ("%s: the import of image %s failed (stores: %s)")
            :format(fname, tostring(current.id), tostring(failed)), { resource = current }, 2)
        end
      end or nil,
    })
  end

  --- upload_image{name=, container_format=, disk_format=, filename=PATH | data=..., ...}:
  -- POST then PUT .../file (application/octet-stream). Both formats are
  -- required (InvalidRequest before any request). Returns the image as
  -- created (status as of the POST).
  function custom:upload_image(attrs)
    local fname = "upload_image"
    local special, plain = split(fname, attrs, { filename = true, data = true, properties = true })
    for _, k in ipairs({ "container_format", "disk_format" }) do
      if plain[k] == nil then
        errors.raise("InvalidRequest", ("%s: %s is required (both container_format and disk_format are)")
          :format(fname, k), { argument = k }, 2)
      end
    end
    if special.filename == nil and special.data == nil then
      errors.raise("InvalidRequest", fname .. ": filename or data is required", { argument = "data" }, 2)
    end
    local src = body_of(fname, special.filename, special.data)
    local wire = H.image_wire(fname, plain)
    return create_then(self, fname, wire, function(img)
      put_data(self, image_path(fname, img, "/file"), src)
    end)
  end

  --- download_image(image, {output=PATH | function(chunk), stream=false, verify=true, chunk_size=65536})
  --   output=PATH: streams to PATH (via PATH.unverified), checks, renames; returns
  --     {path, bytes, digests, verified, status}.
  --   output=function: each chunk as it arrives; checks at the end; returns the same table.
  --   stream=true: returns an iterator of chunks (the data is checked first,
  --     through an unlinked temporary file), usable in a generic for.
  --   neither: returns the data as a string, then that table.
  -- Checks: byte count against Content-Length and the image's size,
  -- Content-MD5, checksum (md5) and os_hash_value (os_hash_algo). When the
  -- image argument carries no checksum, the image is read first (GET).
  -- A mismatch raises ChecksumMismatch; nothing is left under PATH. An image
  -- without data (204) gives nil.
  function custom:download_image(image, opts)
    local fname = "download_image"
    opts = H.options(fname, opts, { output = true, stream = true, verify = true, chunk_size = true })
    local id = resource.id_of(R.Image, image, fname, "image")
    local output = opts.output
    if output ~= nil and not (type(output) == "string" and output ~= "") and type(output) ~= "function" then
      errors.raise("InvalidArgument", ("%s: output must be a file path or a writer function, got %s")
        :format(fname, type(output)), { argument = "output" }, 2)
    end
    check_type(fname, "stream", opts.stream, "boolean")
    check_type(fname, "verify", opts.verify, "boolean")
    if opts.stream and output ~= nil then
      errors.raise("InvalidArgument", fname .. ": stream=true returns an iterator; it takes no output",
        { argument = "stream" }, 2)
    end
    local chunk_size = opts.chunk_size or READ_CHUNK
    if math.type(chunk_size) ~= "integer" or chunk_size < 1 then
      errors.raise("InvalidArgument", fname .. ": chunk_size must be a positive integer", { argument = "chunk_size" }, 2)
    end
    local verify = opts.verify ~= false
    local info = type(image) == "table" and image or {}
    if verify and not (has(info.checksum) or has(info.os_hash_value)) then
      info = self:_get(R.Image, id, {}, fname)
    end
    local digests, algo = nil, nil
    if verify then
      -- one digest is enough, and each costs a pass over every byte: the
      -- strongest the image records (os_hash_value), else its md5 checksum
      local a = info.os_hash_algo
      if type(a) == "string" and has(info.os_hash_value) then algo = OPENSSL_DIGEST[a:lower()] end
      digests = { algo or "md5" }
    end
    local path = "/v2/images/" .. esc(id) .. "/file"
    local req = { accept = "application/octet-stream", digests = digests }

    if type(output) == "string" then
      local staging = output .. ".unverified"
      req.output = staging
      local resp = self:_request("GET", path, req) -- the core removes its partial file on failure
      local ok, result = pcall(check_download, fname, id, resp, info, verify, algo)
      if not ok or resp.status == 204 then
        os.remove(staging)
        if not ok then error(result, 0) end
        return nil
      end
      local moved, why = os.rename(staging, output)
      if not moved then
        os.remove(staging)
        errors.raise("TransportError", ("%s: could not move the download into place: %s"):format(fname, tostring(why)),
          nil, 2)
      end
      result.path = output
      return result
    elseif type(output) == "function" then
      req.output = output
      local resp = self:_request("GET", path, req)
      if resp.status == 204 then return nil end
      return check_download(fname, id, resp, info, verify, algo)
    elseif opts.stream then
      local tmp = os.tmpname()
      req.output = tmp
      local ok, resp = pcall(self._request, self, "GET", path, req)
      if not ok then
        os.remove(tmp)
        error(resp, 0)
      end
      local checked, result = pcall(check_download, fname, id, resp, info, verify, algo)
      if not checked then
        os.remove(tmp)
        error(result, 0)
      end
      local f = assert(io.open(tmp, "rb"))
      os.remove(tmp) -- unlinked: the data lives until the handle is closed
      local function iter()
        if io.type(f) ~= "file" then return nil end
        local chunk = f:read(chunk_size)
        if chunk == nil then f:close() end
        return chunk
      end
      local closer = setmetatable({}, { __close = function() if io.type(f) == "file" then f:close() end end })
      return iter, result, nil, closer
    else
      local parts = {}
      req.output = function(chunk) parts[#parts + 1] = chunk end
      local resp = self:_request("GET", path, req)
      if resp.status == 204 then return nil end
      local result = check_download(fname, id, resp, info, verify, algo)
      return table.concat(parts), result
    end
  end
end

return M
