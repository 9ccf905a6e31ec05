// pkgcloud.js: the benchmark's pkgcloud 2.2.0 client (node, bench/node_modules).
// Same scenarios and output as clients/ostack.lua where pkgcloud has the
// call: auth, get, list, delete, script. pkgcloud's OpenStack provider has no
// Glance v2 image service (its compute getImages() reads Nova's /images
// proxy), so images/upload/download are not run. getServers() fetches one
// page: the list walks the pages itself with marker=<last id>, which is
// what a pkgcloud user has to write.
//
// usage: node bench/clients/pkgcloud.js SCENARIO CLOUD [args]   (see ostack.lua)
'use strict';
const tStart = process.hrtime.bigint();
const cStart = process.cpuUsage();
const fs = require('fs');
const path = require('path');
const pkgcloud = require(path.join(__dirname, '..', 'node_modules', 'pkgcloud'));

const [scenario, cloud, ...rest] = process.argv.slice(2);
const fixture = JSON.parse(fs.readFileSync('bench/fixture-data/fixture.json', 'utf8'));

const client = pkgcloud.compute.createClient({
  provider: 'openstack',
  username: 'bench',
  password: 'bench-secret',
  tenantName: 'bench',
  domainName: 'Default',
  projectDomainName: 'Default',
  keystoneAuthVersion: 'v3',
  authUrl: `${fixture.host}/${cloud.replace(/^bench-/, '')}/identity`,
  region: 'RegionOne',
});

const now = () => process.hrtime.bigint();
const secs = (a, b) => Number(b - a) / 1e9;
const cpuSince = (c0) => { const u = process.cpuUsage(c0); return (u.user + u.system) / 1e6; };
const p = (fn, ...args) => new Promise((resolve, reject) => fn.call(client, ...args, (err, v) => (err ? reject(err) : resolve(v))));

function uuid(n, salt) { // bench/gen_servers.lua's uuid()
  const h = (v, w) => v.toString(16).padStart(w, '0');
  const big = (BigInt(n) * 2654435761n) % 281474976710656n;
  return `${h(n, 8)}-${h(salt % 65536, 4)}-4${h(n % 4096, 3)}-a${h((n * 7) % 4096, 3)}-${big.toString(16).padStart(12, '0')}`;
}

async function main() {
  await p(client.auth);
  const connect = secs(tStart, now());
  const report = (t0, c0, fields) => {
    console.log(JSON.stringify(Object.assign({ wall: secs(t0, now()), cpu: cpuSince(c0), connect }, fields)));
  };
  const t0 = now();
  const c0 = process.cpuUsage();
  if (scenario === 'auth') {
    report(tStart, { user: 0, system: 0 }, { n: 1 });
  } else if (scenario === 'get') {
    const ids = fs.readFileSync(rest[0], 'utf8').split(/\s+/).filter(Boolean);
    const n = Number(rest[1]);
    const t1 = now();
    const c1 = process.cpuUsage();
    let ok = 0;
    for (let i = 0; i < n; i++) {
      const s = await p(client.getServer, ids[i % ids.length]);
      if (s.id && s.name && s.status) ok++;
    }
    report(t1, c1, { n: ok });
  } else if (scenario === 'list') {
    let n = 0;
    let marker;
    for (;;) {
      const page = await p(client.getServers, marker ? { marker } : {});
      if (page.length === 0) break;
      for (const s of page) if (s.id && s.name && s.status) n++;
      marker = page[page.length - 1].id;
    }
    report(t0, c0, { n });
  } else if (scenario === 'delete') {
    const n = Number(rest[0]);
    const concurrency = Number(rest[1]);
    let next = 1;
    const worker = async () => {
      while (next <= n) {
        const i = next++;
        await p(client.destroyServer, uuid(i, 99));
      }
    };
    const workers = [];
    for (let w = 0; w < Math.max(1, concurrency); w++) workers.push(worker());
    await Promise.all(workers);
    report(t0, c0, { n });
  } else if (scenario === 'script') {
    // the one-command script: authenticate, list flavors, print their names
    for (const f of await p(client.getFlavors)) console.log(f.name);
  } else {
    throw new Error(`pkgcloud cannot run scenario ${scenario}`);
  }
}

main().catch((err) => { console.error(err && err.stack ? err.stack : err); process.exit(1); });
