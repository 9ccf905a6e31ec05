-- Functional: a server on a real Neutron network (ML2, ports bound by the
-- cloud's fakebind driver, no agents): addresses, interfaces, the network
-- actions that Nova dropped at 2.44 (still served at 2.43), floating IPs
-- and security groups. The Neutron objects are made with raw requests (the
-- SDK has no network proxy) and deleted in reverse order afterwards.
local H = require "spec.functional.helpers"

describe("functional: compute networking (Neutron)", function()
  local admin, fx
  local reg = H.registry()
  local each = H.registry()
  local net, subnet, ext, fip, sg, V

  local function neutron(method, path, body)
    return H.raw(admin, "network", method, "/v2.0" .. path, body and { json = body } or nil)
  end

  local function addresses(id)
    local s = H.server_raw(admin, id)
    local out = {}
    for label, list in pairs(s.addresses or {}) do
      for _, a in ipairs(list) do out[#out + 1] = { label = label, addr = a.addr, type = a["OS-EXT-IPS:type"] } end
    end
    return out, s
  end

  setup(function()
    admin, fx = H.admin(), H.fixtures()
    local physnet = H.PREFIX:gsub("%-", "") -- a flat physnet of our own (flat_networks = *)
    ext = neutron("POST", "/networks", { network = { name = H.name("net-ext"), ["router:external"] = true,
      ["provider:network_type"] = "flat", ["provider:physical_network"] = physnet } }).network
    reg:add("network " .. ext.id, function() H.delete_neutron(admin, "networks", ext.id) end)
    local ext_sub = neutron("POST", "/subnets", { subnet = { name = H.name("subnet-ext"), network_id = ext.id,
      ip_version = 4, cidr = "172.31.77.0/24", enable_dhcp = false } }).subnet
    reg:add("subnet " .. ext_sub.id, function() H.delete_neutron(admin, "subnets", ext_sub.id) end)
    net = neutron("POST", "/networks", { network = { name = H.name("net") } }).network
    reg:add("network " .. net.id, function() H.delete_neutron(admin, "networks", net.id) end)
    subnet = neutron("POST", "/subnets", { subnet = { name = H.name("subnet"), network_id = net.id,
      ip_version = 4, cidr = "10.77.0.0/24" } }).subnet
    reg:add("subnet " .. subnet.id, function() H.delete_neutron(admin, "subnets", subnet.id) end)
    local router = neutron("POST", "/routers", { router = { name = H.name("router"),
      external_gateway_info = { network_id = ext.id } } }).router
    reg:add("router " .. router.id, function()
      H.try(admin, "network", "PUT", "/v2.0/routers/" .. router.id .. "/remove_router_interface",
        { json = { subnet_id = subnet.id } })
      H.try(admin, "network", "PUT", "/v2.0/routers/" .. router.id,
        { json = { router = { external_gateway_info = H.json.object() } } })
      H.delete_neutron(admin, "routers", router.id)
    end)
    neutron("PUT", "/routers/" .. router.id .. "/add_router_interface", { subnet_id = subnet.id })
    fip = neutron("POST", "/floatingips", { floatingip = { floating_network_id = ext.id,
      description = H.name("fip") } }).floatingip
    reg:add("floating ip " .. fip.id, function() H.delete_neutron(admin, "floatingips", fip.id) end)
    sg = neutron("POST", "/security-groups", { security_group = { name = H.name("secgroup") } }).security_group
    reg:add("security group " .. sg.id, function() H.delete_neutron(admin, "security-groups", sg.id) end)
    V = H.boot(reg, { { name = H.name("srv-net"), networks = { { uuid = net.id } } } })[1]
  end)
  after_each(function() each:run() end)
  teardown(function() each:run(); reg:run() end)

  it("boots a server on a network given as a list ({uuid=, fixed_ip=})", function()
    local s = admin.compute:create_server { name = H.name("srv-net2"), flavor_id = fx.nano, image_id = fx.image,
      networks = { { uuid = net.id, fixed_ip = "10.77.0.50" } } }
    each:add("server " .. s.id, function() H.delete_server(admin, s.id) end)
    H.settle(admin, s.id, "ACTIVE")
    local ips = H.collect(admin.compute:server_ips(s.id))
    assert.equal(1, #ips)
    assert.equal("10.77.0.50", ips[1].address)
  end)

  it("lists the server's addresses, all and by network label", function()
    local ips = H.collect(admin.compute:server_ips(V.id))
    assert.equal(1, #ips)
    assert.equal(net.name, ips[1].network_label)
    assert.equal(4, ips[1].version)
    assert.truthy(ips[1].address:find("^10%.77%.0%."))
    local by_label = H.collect(admin.compute:server_ips(V.id, { network_label = net.name }))
    assert.equal(1, #by_label)
    assert.equal(ips[1].address, by_label[1].address)
    local e = H.error_of(function() return H.collect(admin.compute:server_ips(V.id, { network_label = "nope" })) end)
    assert.is_true(e:is("NotFound"))
  end)

  it("lists, attaches (by network and by port), gets and detaches interfaces", function()
    local list = H.collect(admin.compute:server_interfaces(V.id))
    assert.equal(1, #list)
    assert.equal(net.id, list[1].net_id)
    assert.equal("ACTIVE", list[1].port_state)
    local first = list[1].port_id
    -- attach a new port on the network
    local iface = admin.compute:create_server_interface(V.id, { net_id = net.id })
    assert.is_string(iface.port_id)
    assert.equal(net.id, iface.net_id)
    local got = admin.compute:get_server_interface(iface.port_id, { server = V.id })
    assert.equal(iface.port_id, got.port_id)
    assert.is_string(got.mac_addr)
    assert.equal(2, #H.collect(admin.compute:server_interfaces(V.id)))
    assert.is_nil(admin.compute:delete_server_interface(iface.port_id, { server = V.id }))
    H.wait("interface to be detached", function()
      return #H.collect(admin.compute:server_interfaces(V.id)) == 1
    end, 30)
    -- attach an existing port
    local port = neutron("POST", "/ports", { port = { network_id = net.id, name = H.name("port") } }).port
    each:add("port " .. port.id, function() H.delete_neutron(admin, "ports", port.id) end)
    local p = admin.compute:create_server_interface(V.id, { port_id = port.id })
    assert.equal(port.id, p.port_id)
    assert.equal(2, #H.collect(admin.compute:server_interfaces(V.id)))
    admin.compute:delete_server_interface(p, { server = V.id })
    H.wait("port interface to be detached", function()
      local l = H.collect(admin.compute:server_interfaces(V.id))
      return #l == 1 and l[1].port_id == first
    end, 30)
    local e = H.error_of(admin.compute.create_server_interface, admin.compute, V.id, { net_id = net.id, port_id = port.id })
    assert.is_true(e:is("InvalidArgument"))
  end)

  -- addFixedIp/removeFixedIp are gone from 2.44 (404): the SDK caps them at
  -- 2.43, where Nova still serves them against Neutron
  it("adds and removes a fixed IP on the server's network (capped at 2.43)", function()
    assert.is_nil(admin.compute:add_fixed_ip_to_server(V.id, net.id))
    local two = H.wait("a second fixed IP", function()
      local a = addresses(V.id)
      return #a == 2 and a, #a
    end, 30)
    local extra
    for _, a in ipairs(two) do if a.addr ~= V.addresses[net.name][1].addr then extra = a.addr end end
    assert.is_string(extra)
    assert.is_nil(admin.compute:remove_fixed_ip_from_server(V.id, extra))
    H.wait("the fixed IP to go", function()
      local a = addresses(V.id)
      return #a == 1, #a
    end, 30)
  end)

  it("associates and disassociates a floating IP (capped at 2.43)", function()
    assert.is_nil(admin.compute:add_floating_ip_to_server(V.id, fip.floating_ip_address))
    local f = neutron("GET", "/floatingips/" .. fip.id).floatingip
    assert.is_string(f.port_id)
    H.wait("the floating IP in the server's addresses", function()
      for _, a in ipairs(addresses(V.id)) do
        if a.addr == fip.floating_ip_address then return a.type == "floating" end
      end
    end, 30)
    assert.is_nil(admin.compute:remove_floating_ip_from_server(V.id, fip.floating_ip_address))
    f = neutron("GET", "/floatingips/" .. fip.id).floatingip
    assert.equal(H.null, f.port_id)
  end)

  it("answers NotFound to fixed-IP actions at 2.44 (removed there)", function()
    local e = H.error_of(admin.compute.add_fixed_ip_to_server, admin.compute, V.id, net.id, { microversion = "2.44" })
    assert.is_true(e:is("NotFound"))
  end)

  it("adds and removes a security group by name", function()
    admin.compute:add_security_group_to_server(V.id, sg.name)
    local s = admin.compute:get_server(V.id)
    assert.is_not_nil(H.any(s.security_groups, function(g) return g.name == sg.name end))
    admin.compute:remove_security_group_from_server(V.id, { name = sg.name })
    s = admin.compute:get_server(V.id)
    assert.is_nil(H.any(s.security_groups or {}, function(g) return g.name == sg.name end))
  end)

  it("adds a security group given by id (Nova resolves ids too)", function()
    admin.compute:add_security_group_to_server(V.id, sg.id)
    local s = admin.compute:get_server(V.id)
    assert.is_not_nil(H.any(s.security_groups, function(g) return g.name == sg.name end))
    admin.compute:remove_security_group_from_server(V.id, sg.id)
  end)
end)
