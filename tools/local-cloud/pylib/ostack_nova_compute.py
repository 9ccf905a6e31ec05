"""nova-compute launcher for the local cloud (start.sh runs this file).

The nova-compute console script comes only with the nova-compute package,
which drags in libvirt and qemu (nova-compute-kvm); python3-nova has the code.
Nova loads compute drivers only from nova.virt.<compute_driver>, so our
ostack_fakevirt (next to this file) is aliased into that namespace first.
"""
import sys

import nova.monkey_patch  # noqa: F401  eventlet first, as nova/cmd/__init__ does

import ostack_fakevirt

sys.modules['nova.virt.ostack_fakevirt'] = ostack_fakevirt

from nova.cmd.compute import main  # noqa: E402

if __name__ == '__main__':
    sys.argv[0] = 'nova-compute'
    sys.exit(main())
