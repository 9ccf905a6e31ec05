-- fixture.lua: writes the static fixture cloud the benchmark serves with
-- nginx on 127.0.0.1 (see doc/bench.md). Everything lands in OUT
-- (bench/fixture-data): the bodies under OUT/www, nginx.conf, clouds.yaml and
-- the URL lists curl replays. Server pages are written once per (cloud,
-- count, port) and reused while a stamp file says they are current.
--
-- usage: lua5.4 bench/fixture.lua OUT PORT SLOW_PORT SHM IMAGES IMAGE_BYTES IMAGE_MD5 IMAGE_SHA512 CLOUD=COUNT...
--   PORT        nginx's port; SLOW_PORT: the 20 ms delete upstream (slow_server.py)
--   SHM         a tmpfs directory for image uploads/downloads (nginx root for image data)
--   IMAGES      how many Glance image records (listed 25 to a page, Glance's default)
--   IMAGE_*     the big image's size and digests (its data is SHM/image.bin)
--   CLOUD=COUNT a cloud name and how many servers it lists (c10k=10000 c100k=100000)
package.path = "bench/?.lua;" .. package.path
local gen = require "gen_servers"

local OUT, PORT, SLOW_PORT, SHM = arg[1], tonumber(arg[2]), tonumber(arg[3]), arg[4]
local NIMAGES, IMAGE_BYTES, IMAGE_MD5, IMAGE_SHA512 = tonumber(arg[5]), tonumber(arg[6]), arg[7], arg[8]
assert(OUT and PORT and SLOW_PORT and SHM and NIMAGES and IMAGE_BYTES and IMAGE_MD5 and IMAGE_SHA512,
  "usage: fixture.lua OUT PORT SLOW_PORT SHM IMAGES IMAGE_BYTES IMAGE_MD5 IMAGE_SHA512 CLOUD=COUNT...")
local CLOUDS = {}
for i = 9, #arg do
  local name, count = arg[i]:match("^([%w]+)=(%d+)$")
  assert(name, "bad cloud spec " .. arg[i])
  CLOUDS[#CLOUDS + 1] = { name = name, servers = tonumber(count) }
end
-- the delete cloud: its DELETEs go through nginx to slow_server.py (20 ms each)
CLOUDS[#CLOUDS + 1] = { name = "slow", servers = 0 }

local HOST = ("http://127.0.0.1:%d"):format(PORT)
local TOKEN = "gAAAAABbench-token-0123456789abcdef0123456789abcdef0123456789abcdef"
local PAGE = 1000          -- Nova's default (and maximum) page: osapi_max_limit
local IMAGE_PAGE = 25      -- Glance's default page: limit_param_default
local GET_SERVERS = 500    -- distinct ids served by GET /servers/{id}

local function sh(cmd) assert(os.execute(cmd), cmd) end
local function write(path, data)
  local f = assert(io.open(path, "wb"))
  f:write(data)
  f:close()
end
local function read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local d = f:read("a")
  f:close()
  return d
end

sh(("mkdir -p %q/www"):format(OUT))

-- ------------------------------------------------------------------ documents

local function identity_version(cloud)
  return ([[{"id":"v3.14","status":"stable","updated":"2020-04-07T00:00:00Z","links":[{"rel":"self","href":"%s/%s/identity/v3/"}],"media-types":[{"base":"application/json","type":"application/vnd.openstack.identity-v3+json"}]}]])
    :format(HOST, cloud)
end

local function nova_version(cloud, id, status, max, min)
  return ([[{"id":"%s","status":"%s","version":"%s","min_version":"%s","updated":"2013-07-23T11:33:21Z","links":[{"rel":"self","href":"%s/%s/compute/%s/"},{"rel":"describedby","type":"text/html","href":"http://docs.openstack.org/"}],"media-types":[{"base":"application/json","type":"application/vnd.openstack.compute+json;version=2.1"}]}]])
    :format(id, status, max, min, HOST, cloud, id)
end

local function glance_versions(cloud)
  local parts = {}
  for i, v in ipairs({ "v2.16", "v2.15", "v2.9", "v2.7", "v2.6", "v2.5", "v2.4", "v2.3", "v2.2", "v2.1", "v2.0" }) do
    parts[#parts + 1] = ([[{"id":"%s","status":"%s","links":[{"rel":"self","href":"%s/%s/image/v2/"}]}]])
      :format(v, i == 1 and "CURRENT" or "SUPPORTED", HOST, cloud)
  end
  return '{"versions":[' .. table.concat(parts, ",") .. "]}"
end

local function catalog(cloud)
  local function svc(id, type_, name, url)
    return ([[{"id":"%s","type":"%s","name":"%s","endpoints":[{"id":"%s-public","interface":"public","region":"RegionOne","region_id":"RegionOne","url":"%s"},{"id":"%s-internal","interface":"internal","region":"RegionOne","region_id":"RegionOne","url":"%s"}]}]])
      :format(id, type_, name, id, url, id, url)
  end
  return "[" .. table.concat({
    svc("0a1d", "identity", "keystone", ("%s/%s/identity"):format(HOST, cloud)),
    svc("0b2e", "compute", "nova", ("%s/%s/compute/v2.1"):format(HOST, cloud)),
    svc("0c3f", "image", "glance", ("%s/%s/image"):format(HOST, cloud)),
  }, ",") .. "]"
end

local function token(cloud)
  return ([[{"token":{"methods":["password"],"user":{"domain":{"id":"default","name":"Default"},"id":"8d4a9a4e5c0b4f3a9c1e2d3f4a5b6c7d","name":"bench","password_expires_at":null},"audit_ids":["3T2dc1CGQxyJsHdDu1xkcw"],"expires_at":"2099-12-31T23:59:59.000000Z","issued_at":"2024-01-01T00:00:00.000000Z","project":{"domain":{"id":"default","name":"Default"},"id":"6f70656e737461636b20342065766572","name":"bench"},"is_domain":false,"roles":[{"id":"51cc68287d524c759f47c811e6463340","name":"member"},{"id":"9fe2ff9ee4384b1894a90878d3e92bab","name":"reader"}],"catalog":%s}}]])
    :format(catalog(cloud))
end

local function flavors()
  local parts = {}
  local sizes = { { "m1.nano", 128, 1, 1 }, { "m1.micro", 192, 1, 1 }, { "m1.tiny", 512, 1, 1 }, { "m1.small", 2048, 20, 1 },
    { "m1.medium", 4096, 40, 2 }, { "m1.large", 8192, 80, 4 }, { "m1.xlarge", 16384, 160, 8 }, { "c1.large", 8192, 40, 8 },
    { "r1.large", 32768, 40, 4 }, { "g1.large", 16384, 80, 8 } }
  for i, s in ipairs(sizes) do
    parts[#parts + 1] = ([[{"id":"%d","name":"%s","ram":%d,"disk":%d,"vcpus":%d,"swap":0,"OS-FLV-EXT-DATA:ephemeral":0,"OS-FLV-DISABLED:disabled":false,"rxtx_factor":1.0,"os-flavor-access:is_public":true,"description":null,"extra_specs":{},"links":[{"rel":"self","href":"%s/c/compute/v2.1/flavors/%d"},{"rel":"bookmark","href":"%s/c/compute/flavors/%d"}]}]])
      :format(i, s[1], s[2], s[3], s[4], HOST, i, HOST, i)
  end
  return '{"flavors":[' .. table.concat(parts, ",") .. "]}"
end

local function image_id(i) return gen.uuid(i, 4242) end
local UPLOAD_ID = gen.uuid(1, 7777)
local DOWNLOAD_ID = gen.uuid(2, 7777)

local function image_record(id, name, size, md5, sha512, status)
  return ([[{"id":"%s","name":"%s","status":"%s","visibility":"public","protected":false,"os_hidden":false,"checksum":%s,"os_hash_algo":%s,"os_hash_value":%s,"owner":"6f70656e737461636b20342065766572","size":%s,"virtual_size":null,"min_ram":0,"min_disk":1,"disk_format":"qcow2","container_format":"bare","created_at":"2023-05-10T09:12:44Z","updated_at":"2023-05-10T09:12:51Z","tags":["bench","linux"],"hw_disk_bus":"scsi","hw_scsi_model":"virtio-scsi","hw_qemu_guest_agent":"yes","os_distro":"ubuntu","os_version":"22.04","os_type":"linux","architecture":"x86_64","stores":"file","self":"/v2/images/%s","file":"/v2/images/%s/file","schema":"/v2/schemas/image"}]])
    :format(id, name, status, md5 and ('"' .. md5 .. '"') or "null", sha512 and '"sha512"' or "null",
      sha512 and ('"' .. sha512 .. '"') or "null", size and tostring(size) or "null", id, id)
end

local function fake_hex(n, len)
  local s = ("%016x"):format((n * 0x9E3779B97F4A7C15) & 0x7fffffffffffffff)
  return (s:rep(len // 16 + 1)):sub(1, len)
end

-- ------------------------------------------------------------------ per-cloud files

local stamp_path = OUT .. "/stamp.txt"
local stamp = read(stamp_path) or ""
local new_stamp = {}

local function dir(p) sh(("mkdir -p %q"):format(p)) end

for _, c in ipairs(CLOUDS) do
  local root = OUT .. "/www/" .. c.name
  dir(root .. "/identity")
  dir(root .. "/compute")
  dir(root .. "/image")
  write(root .. "/identity/versions.json", '{"versions":{"values":[' .. identity_version(c.name) .. "]}}")
  write(root .. "/identity/v3.json", '{"version":' .. identity_version(c.name) .. "}")
  write(root .. "/token.json", token(c.name))
  write(root .. "/compute/versions.json", '{"versions":[' .. nova_version(c.name, "v2.0", "SUPPORTED", "", "") .. ","
    .. nova_version(c.name, "v2.1", "CURRENT", "2.93", "2.1") .. "]}")
  write(root .. "/compute/v2.1.json", '{"version":' .. nova_version(c.name, "v2.1", "CURRENT", "2.93", "2.1") .. "}")
  write(root .. "/image/versions.json", glance_versions(c.name))
  write(root .. "/flavors.json", flavors())
  write(root .. "/empty-servers.json", '{"servers":[]}')
  write(root .. "/empty-images.json", '{"images":[],"first":"/v2/images","schema":"/v2/schemas/images"}')

  -- servers/detail pages, named by the marker that asks for them
  local key = ("%s servers=%d port=%d"):format(c.name, c.servers, PORT)
  new_stamp[#new_stamp + 1] = key
  if c.servers > 0 and not stamp:find(key, 1, true) then
    io.stderr:write(("fixture: writing %d servers for %s ...\n"):format(c.servers, c.name))
    sh(("rm -rf %q && mkdir -p %q"):format(root .. "/servers", root .. "/servers"))
    local base = ("%s/%s/compute/v2.1"):format(HOST, c.name)
    local urls = {}
    local first = 1
    while first <= c.servers do
      local last = math.min(first + PAGE - 1, c.servers)
      local marker = first == 1 and "" or gen.uuid(first - 1, 17)
      write(("%s/servers/p-%s.json"):format(root, marker), gen.page(first, last, c.servers, base))
      urls[#urls + 1] = base .. "/servers/detail" .. (marker ~= "" and ("?limit=%d&marker=%s"):format(PAGE, marker) or "")
      first = last + 1
    end
    write(("%s/curl-list-%s.txt"):format(OUT, c.name), table.concat(urls, "\n") .. "\n")
  end
  if c.servers > 0 then
    -- GET /servers/{id}: the first GET_SERVERS servers
    dir(root .. "/server")
    local ids = {}
    for i = 1, math.min(GET_SERVERS, c.servers) do
      local id = gen.uuid(i, 17)
      ids[#ids + 1] = id
      if not stamp:find(key, 1, true) or not read(("%s/server/%s.json"):format(root, id)) then
        write(("%s/server/%s.json"):format(root, id), '{"server":' .. gen.server(i) .. "}")
      end
    end
    write(("%s/server-ids-%s.txt"):format(OUT, c.name), table.concat(ids, "\n") .. "\n")
  end
end

-- Glance images (in c10k): NIMAGES records, 25 to a page, "next" relative to the root
do
  local root = OUT .. "/www/c10k"
  local key = ("images=%d port=%d"):format(NIMAGES, PORT)
  new_stamp[#new_stamp + 1] = key
  if not stamp:find(key, 1, true) then
    sh(("rm -rf %q && mkdir -p %q"):format(root .. "/images", root .. "/images"))
    local urls = {}
    local first = 1
    while first <= NIMAGES do
      local last = math.min(first + IMAGE_PAGE - 1, NIMAGES)
      local marker = first == 1 and "" or image_id(first - 1)
      local parts = {}
      for i = first, last do
        parts[#parts + 1] = image_record(image_id(i), ("image-%05d"):format(i), 1073741824 + i, fake_hex(i, 32),
          fake_hex(i * 3, 128), "active")
      end
      local next_ = last < NIMAGES and (',"next":"/v2/images?marker=%s"'):format(image_id(last)) or ""
      write(("%s/images/p-%s.json"):format(root, marker),
        '{"images":[' .. table.concat(parts, ",") .. '],"first":"/v2/images","schema":"/v2/schemas/images"' .. next_ .. "}")
      urls[#urls + 1] = ("%s/c10k/image/v2/images"):format(HOST) .. (marker ~= "" and ("?marker=" .. marker) or "")
      first = last + 1
    end
    write(OUT .. "/curl-images.txt", table.concat(urls, "\n") .. "\n")
  end
  -- the image records the transfer scenarios use
  dir(root .. "/imagerec")
  write(("%s/imagerec/%s.json"):format(root, DOWNLOAD_ID),
    image_record(DOWNLOAD_ID, "bench-download", IMAGE_BYTES, IMAGE_MD5, IMAGE_SHA512, "active"))
  write(("%s/imagerec/%s.json"):format(root, UPLOAD_ID),
    image_record(UPLOAD_ID, "bench-upload", nil, nil, nil, "queued"))
end
-- the stamp keeps what earlier runs wrote too (a --quick run skips c100k)
for line in stamp:gmatch("[^\n]+") do
  local known = false
  for _, k in ipairs(new_stamp) do known = known or k == line end
  if not known then new_stamp[#new_stamp + 1] = line end
end
write(stamp_path, table.concat(new_stamp, "\n") .. "\n")

-- ------------------------------------------------------------------ nginx.conf

local function esc_nginx(s) -- for a single-quoted nginx string: no ' and no $ in our JSON
  assert(not s:find("[%$']"), "nginx string with $ or '")
  return s
end

local function cloud_locations(c)
  local n = c.name
  local L = {}
  local function add(s) L[#L + 1] = s end
  add(([[
    # ---- cloud %s
    location ~ ^/%s/identity/?$ { try_files /%s/identity/versions.json =404; }
    location ~ ^/%s/identity/v3/?$ { try_files /%s/identity/v3.json =404; }
    location = /%s/identity/v3/auth/tokens {
      add_header X-Subject-Token %s always;
      add_header X-Openstack-Request-Id req-bench-auth always;
      return 201 '%s';
    }
    location ~ ^/%s/compute/?$ { try_files /%s/compute/versions.json =404; }
    location ~ ^/%s/compute/v2\.1/?$ { try_files /%s/compute/v2.1.json =404; }
    location = /%s/compute/v2.1/flavors/detail { try_files /%s/flavors.json =404; }
    location ~ ^/%s/image/?$ { try_files /%s/image/versions.json =404; }
    location ~ ^/%s/image/versions$ { try_files /%s/image/versions.json =404; }
]]):format(n, n, n, n, n, n, TOKEN, esc_nginx(token(n)), n, n, n, n, n, n, n, n, n, n))
  if c.servers > 0 then
    add(([[
    location = /%s/compute/v2.1/servers/detail {
      add_header X-Openstack-Request-Id req-bench-list always;
      try_files /%s/servers/p-$arg_marker.json /%s/empty-servers.json;
    }
    location ~ ^/%s/compute/v2\.1/servers/(?<sid>[0-9a-f-]+)$ {
      add_header X-Openstack-Request-Id req-bench-get always;
      try_files /%s/server/$sid.json =404;
    }
]]):format(n, n, n, n, n))
  end
  if n == "slow" then
    add(([[
    location ~ ^/slow/compute/v2\.1/servers/[0-9a-f-]+$ {
      proxy_pass http://slow_upstream;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
]]):format())
  end
  if n == "c10k" then
    add(([[
    location = /c10k/image/v2/images {
      if ($request_method = POST) {
        add_header Location %s/c10k/image/v2/images/%s always;
        return 201 '%s';
      }
      try_files /c10k/images/p-$arg_marker.json /c10k/empty-images.json;
    }
    location ~ ^/c10k/image/v2/images/(?<iid>[0-9a-f-]+)$ { try_files /c10k/imagerec/$iid.json =404; }
    location ~ ^/c10k/image/v2/images/(?<iid>[0-9a-f-]+)/file$ {
      # image data lives on tmpfs: uploads are written there (WebDAV PUT),
      # downloads are read from there
      root %s/www;
      dav_methods PUT;
      create_full_put_path on;
      client_max_body_size 0;
      default_type application/octet-stream;
      add_header Content-MD5 %s;
    }
]]):format(HOST, UPLOAD_ID, esc_nginx(image_record(UPLOAD_ID, "bench-upload", nil, nil, nil, "queued")), SHM, IMAGE_MD5))
  end
  return table.concat(L)
end

local locations = {}
for _, c in ipairs(CLOUDS) do locations[#locations + 1] = cloud_locations(c) end

write(OUT .. "/nginx.conf", ([[
# generated by bench/fixture.lua: the static fixture cloud (see doc/bench.md)
user root;
worker_processes 1;
pid %s/nginx.pid;
error_log %s/nginx-error.log warn;
events { worker_connections 1024; }
http {
  access_log %s;
  types { application/json json; }
  default_type application/json;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_timeout 300s;
  keepalive_requests 1000000;
  client_body_temp_path %s/client-body;
  proxy_temp_path %s/proxy;
  fastcgi_temp_path %s/fastcgi;
  uwsgi_temp_path %s/uwsgi;
  scgi_temp_path %s/scgi;
  upstream slow_upstream {
    server 127.0.0.1:%d;
    keepalive 64;
  }
  server {
    listen 127.0.0.1:%d;
    root %s/www;
    server_tokens off;
%s
  }
}
]]):format(SHM, SHM, os.getenv("BENCH_ACCESS_LOG") or "off", SHM, SHM, SHM, SHM, SHM, SLOW_PORT, PORT,
  OUT, table.concat(locations)))

-- ------------------------------------------------------------------ clouds.yaml

local clouds = { "clouds:" }
for _, c in ipairs(CLOUDS) do
  clouds[#clouds + 1] = ([[
  bench-%s:
    auth_type: password
    auth:
      auth_url: %s/%s/identity/v3
      username: bench
      password: bench-secret
      project_name: bench
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionOne
    interface: public
    identity_api_version: 3]]):format(c.name, HOST, c.name)
end
write(OUT .. "/clouds.yaml", table.concat(clouds, "\n") .. "\n")
sh(("chmod 600 %q"):format(OUT .. "/clouds.yaml")) -- it holds a (fixture) password

-- facts the harness and clients read
write(OUT .. "/fixture.json", ([[{"port":%d,"host":"%s","token":"%s","upload_id":"%s","download_id":"%s","images":%d,"image_bytes":%d,"image_md5":"%s","image_sha512":"%s","shm":"%s"}]])
  :format(PORT, HOST, TOKEN, UPLOAD_ID, DOWNLOAD_ID, NIMAGES, IMAGE_BYTES, IMAGE_MD5, IMAGE_SHA512, SHM) .. "\n")
