"""ML2 mechanism driver for an agent-less lab: binds every port on any host.

Registered as entry point neutron.ml2.mechanism_drivers:fakebind by the
ostack_fakebind-1.0.dist-info folder next to this file (the whole pylib folder
is on neutron-server's PYTHONPATH). Nothing is plugged anywhere: nova's
fake virt driver never looks at the VIF, it only needs binding:vif_type to be
something other than 'binding_failed'/'unbound'.
"""
from neutron_lib.api.definitions import portbindings
from neutron_lib import constants
from neutron_lib.plugins.ml2 import api


class FakeBindMechanismDriver(api.MechanismDriver):

    def initialize(self):
        pass

    @property
    def connectivity(self):
        return portbindings.CONNECTIVITY_L2

    def bind_port(self, context):
        for segment in context.segments_to_bind:
            context.set_binding(segment[api.ID], portbindings.VIF_TYPE_OVS,
                                {portbindings.CAP_PORT_FILTER: True,
                                 portbindings.OVS_HYBRID_PLUG: False},
                                status=constants.PORT_STATUS_ACTIVE)
            return

    def filter_hosts_with_segment_access(self, context, segments,
                                         candidate_hosts, agent_getter):
        return set(candidate_hosts)
