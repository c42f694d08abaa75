// @grpc/grpc-js (an implementation we did not write) as a CLIENT of our C# server.
// Usage: node echo_client.js --target 127.0.0.1:PORT --case NAME
// Prints "PASS NAME" and exits 0, or "FAIL NAME: why" and exits 1.
'use strict';

const path = require('path');
const assert = require('assert');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const PROTO_ROOT = path.resolve(__dirname, '../../../protos');
const UNICODE_MESSAGE = 'bad arg: 100% sure, %41 stays, ünïcödé 日本 🚀';

function arg(name) {
  const i = process.argv.indexOf('--' + name);
  if (i < 0 || i + 1 >= process.argv.length) throw new Error('missing --' + name);
  return process.argv[i + 1];
}

function unary(client, method, request, options = {}, metadata = new grpc.Metadata()) {
  return new Promise((resolve, reject) => {
    const deadline = new Date(Date.now() + (options.timeoutMs || 20000));
    let trailers = null;
    const call = client[method](request, metadata, { deadline }, (err, reply) => {
      if (err) reject(err); else resolve({ reply, trailers: () => trailers });
    });
    call.on('status', (s) => { trailers = s.metadata; });
  });
}

async function expectError(promise, code, details) {
  try {
    await promise;
  } catch (err) {
    assert.strictEqual(err.code, code, `expected code ${code}, got ${err.code} (${err.details})`);
    if (details !== undefined) assert.strictEqual(err.details, details);
    return err;
  }
  throw new Error(`expected code ${code}, but the call succeeded`);
}

function readStream(call) {
  return new Promise((resolve, reject) => {
    const got = [];
    call.on('data', (m) => got.push(m));
    call.on('error', reject);
    call.on('end', () => resolve(got));
  });
}

async function run(name, target) {
  const def = protoLoader.loadSync('cvlearn/testing/echo.proto', {
    includeDirs: [PROTO_ROOT], keepCase: true, longs: String, enums: String, defaults: true,
  });
  const pkg = grpc.loadPackageDefinition(def);
  const client = new pkg.cvlearn.testing.EchoService(target, grpc.credentials.createInsecure(), {
    'grpc.max_receive_message_length': 8 * 1024 * 1024,
  });
  const S = grpc.status;
  try {
    switch (name) {
      case 'unary': {
        const { reply } = await unary(client, 'Echo', { text: 'hello from node' });
        assert.strictEqual(reply.text, 'hello from node');
        break;
      }
      case 'unicode': {
        const text = 'ünïcödé 日本語 🚀 %41';
        const { reply } = await unary(client, 'Echo', { text, payload: Buffer.from([0, 1, 255]) });
        assert.strictEqual(reply.text, text);
        assert.deepStrictEqual([...reply.payload], [0, 1, 255]);
        break;
      }
      case 'server_stream': {
        const call = client.ServerStream({ text: 's', count: 500 }, { deadline: new Date(Date.now() + 30000) });
        const got = await readStream(call);
        assert.deepStrictEqual(got.map((m) => m.index), [...Array(500).keys()]);
        break;
      }
      case 'stream_cancel': {
        const call = client.ServerStream({ count: 100000, delay_ms: 5 });
        const result = await new Promise((resolve) => {
          let n = 0;
          call.on('data', (m) => {
            assert.strictEqual(m.index, n);
            n++;
            if (n === 3) call.cancel();
          });
          call.on('error', (err) => resolve(err));
          call.on('end', () => resolve(null));
        });
        assert.ok(result, 'stream ended normally although it was cancelled');
        assert.strictEqual(result.code, S.CANCELLED);
        break;
      }
      case 'error_status': {
        await expectError(unary(client, 'Fail', { code: 3, text: UNICODE_MESSAGE }), S.INVALID_ARGUMENT, UNICODE_MESSAGE);
        await expectError(unary(client, 'Fail', { code: 9, text: 'stage not ready' }), S.FAILED_PRECONDITION, 'stage not ready');
        break;
      }
      case 'deadline': {
        const started = Date.now();
        const timeoutMs = process.argv.includes('--timeout-ms') ? Number(arg('timeout-ms')) : 500;
        await expectError(unary(client, 'Echo', { delay_ms: 120000 }, { timeoutMs }), S.DEADLINE_EXCEEDED);
        assert.ok(Date.now() - started < 100000, 'deadline was not honoured');
        break;
      }
      case 'unimplemented': {
        await expectError(unary(client, 'Unimplemented', {}), S.UNIMPLEMENTED);
        break;
      }
      case 'metadata': {
        const md = new grpc.Metadata();
        md.set('x-interop', 'value 1');
        const { reply, trailers } = await unary(client, 'Metadata', { text: 'x-interop' }, {}, md);
        assert.strictEqual(reply.text, 'value 1');
        // The status event may fire after the callback; give it a turn.
        await new Promise((r) => setImmediate(r));
        assert.deepStrictEqual(trailers().get('x-echo-trailer'), ['x-interop']);
        const bin = new grpc.Metadata();
        bin.set('x-blob-bin', Buffer.from([0, 1, 254, 255]));
        const r2 = await unary(client, 'Metadata', { text: 'x-blob-bin' }, {}, bin);
        assert.strictEqual(r2.reply.text, '0001FEFF');
        break;
      }
      case 'oversize_request': {
        await expectError(unary(client, 'Echo', { payload: Buffer.alloc(2 * 1024 * 1024, 7) }), S.RESOURCE_EXHAUSTED);
        const { reply } = await unary(client, 'Echo', { text: 'still fine' });
        assert.strictEqual(reply.text, 'still fine');
        break;
      }
      default:
        throw new Error('unknown case ' + name);
    }
  } finally {
    client.close();
  }
}

let caseName = '?';
(async () => {
  try {
    caseName = arg('case');
    await run(caseName, arg('target'));
    console.log('PASS ' + caseName);
  } catch (err) {
    console.log(`FAIL ${caseName}: ${err && err.stack ? err.stack : err}`);
    process.exitCode = 1;
  }
})();
