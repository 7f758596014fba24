#!/usr/bin/env node
// A proxyless gRPC client on grpc-js-xds, for sailplane's end-to-end test.
//
//   GRPC_XDS_BOOTSTRAP=bootstrap.json node client.js xds:///reviews:9080 \
//     [--count N] [--md key=value]... [--deadline-ms MS] [--stdin]
//
// It dials the target through xDS once and makes --count sequential
// UnaryCalls of grpc.testing.TestService with the given metadata, printing
// one JSON line per call:
//
//   {"server":"v1","code":0,"status":"OK","ms":3.2}
//   {"server":"","code":14,"status":"UNAVAILABLE","ms":1.1,"details":"..."}
//
// With --stdin the channel stays open and each input line is one batch,
// {"count":N,"metadata":{"k":"v"},"deadlineMs":MS}; after a batch's calls
// it prints {"done":N}. The Go test drives one channel through live
// configuration changes that way, as an application would see them.
'use strict';

const path = require('path');
const readline = require('readline');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
require('@grpc/grpc-js-xds').register();

function usage(msg) {
  process.stderr.write(`client.js: ${msg}\nusage: client.js xds:///host:port [--count N] [--md k=v]... [--deadline-ms MS] [--stdin]\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { target: '', count: 1, metadata: {}, deadlineMs: 10000, stdin: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case '--count': opts.count = Number(value()); break;
      case '--deadline-ms': opts.deadlineMs = Number(value()); break;
      case '--stdin': opts.stdin = true; break;
      case '--md': {
        const kv = value();
        const eq = kv.indexOf('=');
        if (eq <= 0) usage(`--md wants key=value, got ${kv}`);
        opts.metadata[kv.slice(0, eq)] = kv.slice(eq + 1);
        break;
      }
      default:
        if (a.startsWith('--') || opts.target) usage(`unexpected argument ${a}`);
        opts.target = a;
    }
  }
  if (!opts.target) usage('no target');
  if (!Number.isInteger(opts.count) || opts.count < 0) usage('--count wants a whole number');
  return opts;
}

const statusNames = Object.fromEntries(Object.entries(grpc.status).map(([k, v]) => [v, k]));

function callOnce(client, md, deadlineMs) {
  const metadata = new grpc.Metadata();
  for (const [k, v] of Object.entries(md || {})) metadata.add(k, v);
  const start = process.hrtime.bigint();
  return new Promise((resolve) => {
    client.UnaryCall({}, metadata, { deadline: Date.now() + deadlineMs }, (err, resp) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      const code = err ? err.code : grpc.status.OK;
      const out = { server: err ? '' : resp.server_id, code, status: statusNames[code] || String(code), ms };
      if (err) out.details = err.details;
      resolve(out);
    });
  });
}

async function batch(client, count, md, deadlineMs) {
  for (let i = 0; i < count; i++) {
    process.stdout.write(JSON.stringify(await callOnce(client, md, deadlineMs)) + '\n');
  }
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const def = protoLoader.loadSync(path.join(__dirname, 'test.proto'), { keepCase: true, defaults: true });
  const TestService = grpc.loadPackageDefinition(def).grpc.testing.TestService;
  const client = new TestService(opts.target, grpc.credentials.createInsecure());
  if (!opts.stdin) {
    await batch(client, opts.count, opts.metadata, opts.deadlineMs);
    client.close();
    return;
  }
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line.trim()) continue;
    let req;
    try {
      req = JSON.parse(line);
    } catch (e) {
      process.stderr.write(`client.js: bad batch ${JSON.stringify(line)}: ${e.message}\n`);
      process.exit(2);
    }
    await batch(client, req.count ?? 1, req.metadata ?? opts.metadata, req.deadlineMs ?? opts.deadlineMs);
    process.stdout.write(JSON.stringify({ done: req.count ?? 1 }) + '\n');
  }
  client.close();
}

// The xDS client behind the channel keeps its ADS stream (and so the
// event loop) alive after the channel closes: exit once stdout is flushed.
main().then(() => process.stdout.write('', () => process.exit(0)), (e) => {
  process.stderr.write(`client.js: ${e.stack || e}\n`);
  process.exit(1);
});
