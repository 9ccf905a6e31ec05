-- gen_servers.lua: realistic Nova server-detail bodies (about 2.5 KB each),
-- shaped like the api-ref "List Servers Detailed" example. Used by the
-- benchmark harness and the decoder benchmark.
local M = {}

local function uuid(n, salt)
  return ("%08x-%04x-4%03x-a%03x-%012x"):format(n, salt % 65536, n % 4096, (n * 7) % 4096, n * 2654435761 % 281474976710656)
end
M.uuid = uuid

function M.server(i)
  local id = uuid(i, 17)
  return ([[{"id":"%s","name":"server-%06d","status":"ACTIVE","tenant_id":"6f70656e737461636b20342065766572","user_id":"fake","metadata":{"role":"web","owner":"team-%d"},"hostId":"2091634baaccdc4c5a1d57069c833e402921df696b7f970791b12ec6","image":{"id":"70a599e0-31e7-49b7-b260-868f441e862b","links":[{"href":"http://openstack.example.com/6f70656e737461636b20342065766572/images/70a599e0-31e7-49b7-b260-868f441e862b","rel":"bookmark"}]},"flavor":{"id":"1","links":[{"href":"http://openstack.example.com/6f70656e737461636b20342065766572/flavors/1","rel":"bookmark"}]},"created":"2013-09-03T04:01:32Z","updated":"2013-09-03T04:01:32Z","addresses":{"private":[{"addr":"192.168.%d.%d","version":4,"OS-EXT-IPS-MAC:mac_addr":"aa:bb:cc:dd:ee:ff","OS-EXT-IPS:type":"fixed"}]},"accessIPv4":"","accessIPv6":"","links":[{"href":"http://openstack.example.com/v2/6f70656e737461636b20342065766572/servers/%s","rel":"self"},{"href":"http://openstack.example.com/6f70656e737461636b20342065766572/servers/%s","rel":"bookmark"}],"OS-DCF:diskConfig":"AUTO","progress":0,"OS-EXT-AZ:availability_zone":"nova","config_drive":"","key_name":null,"OS-SRV-USG:launched_at":"2013-09-23T13:37:00.880302","OS-SRV-USG:terminated_at":null,"OS-EXT-SRV-ATTR:host":"compute","OS-EXT-SRV-ATTR:instance_name":"instance-%08x","OS-EXT-SRV-ATTR:hypervisor_hostname":"fake-mini","OS-EXT-SRV-ATTR:reservation_id":"r-ov3q80zj","OS-EXT-SRV-ATTR:launch_index":0,"OS-EXT-SRV-ATTR:hostname":"server-%06d","OS-EXT-SRV-ATTR:kernel_id":"","OS-EXT-SRV-ATTR:ramdisk_id":"","OS-EXT-SRV-ATTR:root_device_name":"/dev/sda","OS-EXT-SRV-ATTR:user_data":"IyEvYmluL2Jhc2gKL2Jpbi9zdQplY2hvICJJIGFtIGluIHlvdSEiCg==","OS-EXT-STS:task_state":null,"OS-EXT-STS:vm_state":"active","OS-EXT-STS:power_state":1,"os-extended-volumes:volumes_attached":[{"id":"volume_id1","delete_on_termination":false},{"id":"volume_id2","delete_on_termination":false}],"host_status":"UP","locked":false,"locked_reason":null,"description":null,"tags":["tag1","tag2"],"trusted_image_certificates":null,"server_groups":[],"security_groups":[{"name":"default"}]}]]):format(
      id, i, i % 97, (i // 256) % 256, i % 256, id, id, i, i)
end

--- One page of servers/detail: items first..last, with a next link when more follow.
function M.page(first, last, total, base)
  local parts = {}
  for i = first, last do parts[#parts + 1] = M.server(i) end
  local links = ""
  if last < total then
    links = ([=[,"servers_links":[{"href":"%s/servers/detail?limit=%d&marker=%s","rel":"next"}]]=]):format(
      base or "http://127.0.0.1/compute/v2.1", last - first + 1, uuid(last, 17))
  end
  return '{"servers":[' .. table.concat(parts, ",") .. "]" .. links .. "}"
end

return M
