-- Functional: runs last (busted sorts the spec files): nothing named with
-- this run's prefix may be left on the cloud. Whatever is found is listed
-- in the failure and deleted, so that a failing run still leaves the
-- shared cloud clean.
local H = require "spec.functional.helpers"

describe("functional: cleanup", function()
  it("leaves no server, volume, snapshot, image, flavor, keypair, group, type, namespace, project or network of this run", function()
    local found = H.sweep(false, false)
    if #found > 0 then
      local remaining = H.sweep(true, false)
      error(("left behind by this run (%s), now deleted:\n  %s%s"):format(H.PREFIX, table.concat(found, "\n  "),
        #remaining > #found and ("\nstill failing:\n  " .. table.concat(remaining, "\n  ", #found + 1)) or ""))
    end
  end)
end)
