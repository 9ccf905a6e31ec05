-- upload_image.lua: uploads a disk image file to Glance with a progress
-- line, waits until the image is active, then verifies that what Glance
-- stored is the file: Glance's os_hash_value (sha512 here) or checksum (md5)
-- against the local file's digest (sha512sum/md5sum), or, with
-- --verify-download, by downloading the image back and comparing it byte
-- for byte (the SDK checks the download against Glance's digests too).
-- The file is streamed through a reader function, so memory stays flat
-- whatever its size; --plain uses create_image{filename=...} instead (no
-- progress line). A failed check exits with status 1 (the image is kept
-- for inspection unless --delete-on-mismatch).
--
-- usage: ostack-lua --os-cloud NAME examples/upload_image.lua FILE [--name NAME]
--          [--disk-format raw|qcow2|...] [--container-format bare]
--          [--visibility private|shared|community|public] [--property KEY=VALUE]...
--          [--plain] [--verify-download] [--delete-on-mismatch]
--   --name          image name (default: the file name without its extension)
--   --disk-format   default: from the extension (.qcow2, .raw, .img=raw, .iso, .vmdk, .vhd, .vdi), else raw
-- example: ostack-lua --os-cloud local-demo examples/upload_image.lua cirros.img --name cirros --property os_distro=cirros
-- The cloud comes from --os-cloud / OS_CLOUD / OS_* (ostack-lua's `conn`).
local options = { container_format = "bare", visibility = "private", properties = {} }
local file
local i = 1
while arg and arg[i] do
  local a = arg[i]
  if a == "--plain" then options.plain = true
  elseif a == "--verify-download" then options.verify_download = true
  elseif a == "--delete-on-mismatch" then options.delete_on_mismatch = true
  elseif a == "--property" and arg[i + 1] then
    local k, v = arg[i + 1]:match("^([^=]+)=(.*)$")
    if not k then io.stderr:write("upload_image.lua: --property takes KEY=VALUE\n") os.exit(2) end
    options.properties[k] = v
    i = i + 1
  elseif (a == "--name" or a == "--disk-format" or a == "--container-format" or a == "--visibility")
      and arg[i + 1] then
    options[a:sub(3):gsub("-", "_")] = arg[i + 1]; i = i + 1
  elseif a:sub(1, 2) ~= "--" and not file then file = a
  else
    io.stderr:write("upload_image.lua: unknown or incomplete argument ", a, "\n")
    os.exit(2)
  end
  i = i + 1
end
if not file then
  io.stderr:write("usage: upload_image.lua FILE [--name NAME] [--disk-format FMT] [--plain] [--verify-download]\n")
  os.exit(2)
end
local f = io.open(file, "rb")
if not f then
  io.stderr:write("upload_image.lua: cannot read ", file, "\n")
  os.exit(2)
end
local size = f:seek("end")
f:seek("set")
local base = file:match("([^/]+)$")
local ext = base:match("%.([%w]+)$")
local FORMATS = { qcow2 = "qcow2", raw = "raw", img = "raw", iso = "iso", vmdk = "vmdk", vhd = "vhd", vdi = "vdi" }
options.name = options.name or base:gsub("%.[%w]+$", "")
options.disk_format = options.disk_format or FORMATS[ext and ext:lower() or ""] or "raw"
conn = conn or require("openstack").connect()
local image_service = conn.image

local function mib(n) return n / (1024 * 1024) end
local started = require("openstack.core").now()
local sent, last_shown = 0, -1
local tty = os.getenv("TERM") and os.getenv("TERM") ~= "dumb"
local function show_progress(final)
  local pct = size > 0 and math.floor(sent * 100 / size) or 100
  if not final and pct == last_shown then return end
  last_shown = pct
  local elapsed = math.max(require("openstack.core").now() - started, 0.001)
  local line = ("uploading %s: %.1f / %.1f MiB (%d%%) %.1f MiB/s"):format(base, mib(sent), mib(size), pct,
    mib(sent) / elapsed)
  if tty then io.stderr:write("\r", line, "   ", final and "\n" or "") elseif final then io.stderr:write(line, "\n") end
  io.stderr:flush()
end

local attrs = {
  name = options.name, disk_format = options.disk_format, container_format = options.container_format,
  visibility = options.visibility, properties = options.properties,
}
if options.plain then
  f:close()
  attrs.filename = file
  io.stderr:write(("uploading %s (%.1f MiB) with create_image{filename=...}\n"):format(base, mib(size)))
else
  -- the reader: 1 MiB at a time, nil at the end
  attrs.data = function()
    local chunk = f:read(1024 * 1024)
    if chunk then
      sent = sent + #chunk
      show_progress(false)
    else
      f:close()
    end
    return chunk
  end
end
attrs.timeout = 3600
local image = image_service:create_image(attrs) -- creates, uploads, waits for "active"
if not options.plain then show_progress(true) end
print(("image %s (%s) is %s: %d bytes, %s/%s"):format(image.name, image.id, image.status, image.size,
  image.disk_format, image.container_format))

-- Verification ---------------------------------------------------------------
local function shell_quote(s) return "'" .. s:gsub("'", [['\'']]) .. "'" end
local function local_digest(tool)
  local p = io.popen(tool .. " " .. shell_quote(file) .. " 2>/dev/null")
  local out = p and p:read("l")
  if p then p:close() end
  return out and out:match("^(%x+)")
end

local ok, how
if options.verify_download then
  local check = assert(io.open(file, "rb"))
  local offset, same = 0, true
  image_service:download_image(image, { output = function(chunk)
    if same and check:read(#chunk) ~= chunk then same = false end
    offset = offset + #chunk
  end })
  same = same and offset == size and check:read(1) == nil
  check:close()
  ok, how = same, ("downloaded %d bytes and compared them with %s"):format(offset, file)
else
  local algo = image.os_hash_algo ~= require("openstack.json").null and image.os_hash_algo or nil
  local expected, digest
  if algo and image.os_hash_value then
    expected, digest = image.os_hash_value, local_digest(algo .. "sum")
  end
  if not digest then algo, expected, digest = "md5", image.checksum, local_digest("md5sum") end
  ok = digest ~= nil and digest == expected
  how = ok and ("%s of %s matches Glance's: %s"):format(algo, base, digest)
    or ("%s of %s is %s, Glance has %s"):format(algo, base, digest or "(not computed)", tostring(expected))
end
print((ok and "verified: " or "MISMATCH: ") .. how)
if not ok then
  if options.delete_on_mismatch then
    image_service:delete_image(image)
    print("deleted " .. image.id)
  end
  os.exit(1, true)
end
