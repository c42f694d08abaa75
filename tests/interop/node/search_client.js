// @grpc/grpc-js + @grpc/proto-loader (implementations we did not write) acting as a WORKER of the real cvlearn-master,
// loading protos/cvlearn/v1/search.proto directly. Usage: node search_client.js --target 127.0.0.1:PORT
// Calls Join, AcquireTrial, GetLeaderboard and an error case; prints one JSON object for the C# test.
'use strict';

const path = require('path');
const os = require('os');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const PROTO_ROOT = path.resolve(__dirname, '../../../protos');

function arg(name) {
  const i = process.argv.indexOf('--' + name);
  if (i < 0 || i + 1 >= process.argv.length) throw new Error('missing --' + name);
  return process.argv[i + 1];
}

function call(client, method, request) {
  return new Promise((resolve, reject) => {
    client[method](request, { deadline: new Date(Date.now() + 15000) }, (err, reply) => (err ? reject(err) : resolve(reply)));
  });
}

async function errorName(promise) {
  try {
    await promise;
    return 'OK';
  } catch (err) {
    return Object.keys(grpc.status).find((k) => grpc.status[k] === err.code) || String(err.code);
  }
}

async function main() {
  const def = protoLoader.loadSync('cvlearn/v1/search.proto', {
    includeDirs: [PROTO_ROOT], keepCase: true, longs: String, enums: String, defaults: true, oneofs: true,
  });
  const pkg = grpc.loadPackageDefinition(def);
  const client = new pkg.cvlearn.v1.SearchService(arg('target'), grpc.credentials.createInsecure());
  const out = {};

  const join = await call(client, 'Join', { worker_name: 'node-grpc-js', cores: os.cpus().length, threads: 1, hostname: os.hostname(), version: 'interop' });
  out.join = { worker_id: join.worker_id, experiment: join.experiment, lease_ms: join.lease_ms, heartbeat_interval_ms: join.heartbeat_interval_ms };

  const acquired = await call(client, 'AcquireTrial', { worker_id: join.worker_id });
  out.acquire_result = acquired.result;
  if (acquired.trial) {
    const t = acquired.trial;
    out.trial = {
      trial_id: t.trial_id, stage: t.stage, index: t.index, attempt: t.attempt, epochs: t.epochs, checkpoint_prefix: t.checkpoint_prefix,
      lease_deadline_unix_ms: t.lease_deadline_unix_ms, learning_rate: t.hyperparameters.learning_rate, model: t.hyperparameters.model,
      optimizer: t.hyperparameters.optimizer, dataset: t.dataset.name,
    };
  }

  const board = await call(client, 'GetLeaderboard', { top: 0 });
  const mine = board.rows.find((r) => out.trial && r.trial_id === out.trial.trial_id);
  out.leaderboard = {
    experiment: board.experiment, total_trials: board.total_trials, rows: board.rows.length,
    row: mine ? { status: mine.status, worker: mine.worker, attempt: mine.attempt } : null,
    workers: board.workers.map((w) => w.worker_name),
  };

  out.errors = {
    acquire_unknown_worker: await errorName(call(client, 'AcquireTrial', { worker_id: 'no-such-worker' })),
    complete_pending_status: out.trial ? await errorName(call(client, 'CompleteTrial', {
      worker_id: join.worker_id, trial_id: out.trial.trial_id, attempt: out.trial.attempt, status: 'TRIAL_STATUS_PENDING',
    })) : 'no trial',
  };

  const left = await call(client, 'Leave', { worker_id: join.worker_id, trial_id: out.trial ? out.trial.trial_id : '', attempt: out.trial ? out.trial.attempt : 0, reason: 'interop done' });
  out.leave = { requeued: left.requeued };
  client.close();
  console.log(JSON.stringify(out));
}

main().catch((err) => {
  console.log(JSON.stringify({ exception: String(err && err.stack ? err.stack : err) }));
  process.exit(1);
});
