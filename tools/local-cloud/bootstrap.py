#!/usr/bin/python3
"""bootstrap.py: idempotent first-time content of the local cloud, run by start.sh.

usage: /usr/bin/python3 bootstrap.py identity | resources | network
  identity   roles, projects service+demo, user demo, service users, catalog
  resources  flavors (m1.nano id 42 ...) and the public image tiny-image
  network    shared network "private" + subnet 10.0.0.0/24 (needs neutron up)

Every step looks first and creates only what is missing, so reruns are safe.
Admin credentials and passwords come from the environment set by start.sh
(OS_AUTH_URL, OS_PASSWORD, OSTACK_DEMO_PASS, OSTACK_SERVICE_PASS, OSTACK_STATE).
Needs Debian's python3-openstacksdk, hence /usr/bin/python3.
"""
import os
import sys

import openstack

HOST = os.environ.get("OSTACK_HOSTIP", "127.0.0.1")
REGION = os.environ.get("OS_REGION_NAME", "RegionOne")

# catalog: service name, type, port, path (public = internal = admin URL)
SERVICES = [
    ("glance", "image", 9292, ""),
    ("placement", "placement", 8778, ""),
    ("nova", "compute", 8774, "/v2.1"),
    # cinder v3 under both types: older clients look for volumev3, newer for block-storage
    ("cinderv3", "volumev3", 8776, "/v3/%(project_id)s"),
    ("cinder", "block-storage", 8776, "/v3/%(project_id)s"),
    ("neutron", "network", 9696, ""),
]
SERVICE_USERS = ("glance", "placement", "nova", "cinder", "neutron")

# name, ram MB, disk GB, vcpus, id (ids as in devstack, so tests may hard-code 42/84)
FLAVORS = [
    ("m1.nano", 64, 1, 1, "42"),
    ("m1.micro", 128, 1, 1, "84"),
    ("m1.tiny", 512, 1, 1, "1"),
    ("m1.small", 2048, 20, 1, "2"),
    ("m1.medium", 4096, 40, 2, "3"),
]
IMAGE = "tiny-image"
NETWORK, SUBNET, CIDR = "private", "private-subnet", "10.0.0.0/24"


def connect():
    return openstack.connect(
        auth_url=os.environ["OS_AUTH_URL"], username="admin",
        password=os.environ["OS_PASSWORD"], project_name="admin",
        user_domain_name="Default", project_domain_name="Default",
        region_name=REGION, identity_api_version="3")


def identity(conn):
    # Everything is listed once up front: find_*() first GETs the name as an id,
    # and keystone logs a traceback for each of those 404s.
    idn = conn.identity
    roles = {r.name: r for r in idn.roles()}
    projects = {p.name: p for p in idn.projects(domain_id="default")}
    users = {u.name: u for u in idn.users(domain_id="default")}
    services = {s.name: s for s in idn.services()}
    endpoints = {(e.service_id, e.interface) for e in idn.endpoints()}
    grants = {(a.user["id"], a.scope["project"]["id"], a.role["id"])
              for a in idn.role_assignments()
              if a.user and a.scope and "project" in a.scope}

    def role(name):
        if name not in roles:
            roles[name] = idn.create_role(name=name)
        return roles[name]

    def project(name, desc):
        if name not in projects:
            projects[name] = idn.create_project(name=name, domain_id="default", description=desc)
        return projects[name]

    def user(name, password):
        if name not in users:
            users[name] = idn.create_user(name=name, password=password, domain_id="default")
        return users[name]

    def grant(proj, usr, rol):
        if (usr.id, proj.id, rol.id) not in grants:
            idn.assign_project_role_to_user(proj, usr, rol)

    demo, demo_u = project("demo", "Demo project"), user("demo", os.environ["OSTACK_DEMO_PASS"])
    grant(demo, demo_u, role("member"))
    grant(demo, demo_u, role("reader"))
    svc = project("service", "Service project")
    for name in SERVICE_USERS:
        # "service" role: keystonemiddleware accepts their service tokens
        u = user(name, os.environ["OSTACK_SERVICE_PASS"])
        grant(svc, u, role("admin"))
        grant(svc, u, role("service"))
    for name, typ, port, path in SERVICES:
        s = services.get(name) or idn.create_service(name=name, type=typ)
        for iface in ("public", "internal", "admin"):
            if (s.id, iface) not in endpoints:
                idn.create_endpoint(service_id=s.id, interface=iface, region_id=REGION,
                                    url=f"http://{HOST}:{port}{path}")
    print("bootstrap identity: ok")


def resources(conn):
    for name, ram, disk, vcpus, fid in FLAVORS:
        if conn.compute.find_flavor(name) is None:
            conn.compute.create_flavor(name=name, ram=ram, disk=disk, vcpus=vcpus,
                                       id=fid, is_public=True)
    if conn.image.find_image(IMAGE) is None:
        path = os.path.join(os.environ["OSTACK_STATE"], "tiny-image.raw")
        with open(path, "wb") as f:
            f.write(b"\0" * 1024 * 1024)  # 1 MiB: the fake virt driver never boots it
        conn.image.create_image(name=IMAGE, filename=path, disk_format="raw",
                                container_format="bare", visibility="public",
                                allow_duplicates=True)
    print("bootstrap resources: ok")


def network(conn):
    net = conn.network.find_network(NETWORK)
    if net is None:
        # shared: every project (demo included) can boot servers on it
        net = conn.network.create_network(name=NETWORK, is_shared=True)
    if conn.network.find_subnet(SUBNET) is None:
        conn.network.create_subnet(name=SUBNET, network_id=net.id, ip_version=4,
                                   cidr=CIDR, gateway_ip="10.0.0.1")
    print("bootstrap network: ok")


if __name__ == "__main__":
    steps = {"identity": identity, "resources": resources, "network": network}
    if len(sys.argv) != 2 or sys.argv[1] not in steps:
        sys.exit(__doc__)
    steps[sys.argv[1]](connect())
