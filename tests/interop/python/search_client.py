"""Python grpcio (an implementation we did not write) acting as a WORKER of the real cvlearn-master.

Usage: search_client.py --target 127.0.0.1:PORT --descriptors search.pb
The descriptor set holds cvlearn/v1/search.proto (written by the C# test from the descriptors compiled into
CvLearn.Protos; Debian's grpc_tools is too old to compile proto3 `optional`). Message classes are built from it at
run time, so there is no generated code. Calls Join, AcquireTrial, Heartbeat, ReportEpoch, CompleteTrial,
GetLeaderboard, GetTopCheckpoints, WatchLeaderboard and Leave, plus error cases, and prints one JSON object with
what it saw (the C# test asserts on it). Exits 0 when every call behaved as expected, 1 otherwise.
"""
import argparse
import json
import queue
import socket
import sys
import threading

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

PACKAGE = "cvlearn.v1"
SERVICE = PACKAGE + ".SearchService"
TIMEOUT = 15


def load(path):
    with open(path, "rb") as f:
        fds = descriptor_pb2.FileDescriptorSet.FromString(f.read())
    pool = descriptor_pool.DescriptorPool()
    for file_proto in fds.file:
        pool.Add(file_proto)

    def cls(name):
        desc = pool.FindMessageTypeByName(PACKAGE + "." + name)
        if hasattr(message_factory, "GetMessageClass"):
            return message_factory.GetMessageClass(desc)
        return message_factory.MessageFactory(pool).GetPrototype(desc)

    def enum_name(enum, number):
        return pool.FindEnumTypeByName(PACKAGE + "." + enum).values_by_number[number].name

    def enum_value(enum, name):
        return pool.FindEnumTypeByName(PACKAGE + "." + enum).values_by_name[name].number

    return cls, enum_name, enum_value


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--target", required=True)
    p.add_argument("--descriptors", required=True)
    p.add_argument("--name", default="python-grpcio")
    args = p.parse_args()
    cls, enum_name, enum_value = load(args.descriptors)
    out = {"grpc_version": grpc.__version__}
    channel = grpc.insecure_channel(args.target)
    grpc.channel_ready_future(channel).result(timeout=20)

    def unary(method, req, resp):
        return channel.unary_unary("/%s/%s" % (SERVICE, method),
                                   request_serializer=cls(req).SerializeToString,
                                   response_deserializer=cls(resp).FromString)

    join = unary("Join", "JoinRequest", "JoinResponse")
    acquire = unary("AcquireTrial", "AcquireTrialRequest", "AcquireTrialResponse")
    heartbeat = unary("Heartbeat", "HeartbeatRequest", "HeartbeatReply")
    report = unary("ReportEpoch", "EpochReport", "EpochReply")
    complete = unary("CompleteTrial", "TrialResult", "CompleteReply")
    leaderboard = unary("GetLeaderboard", "LeaderboardRequest", "Leaderboard")
    top = unary("GetTopCheckpoints", "TopCheckpointsRequest", "TopCheckpoints")
    leave = unary("Leave", "LeaveRequest", "LeaveReply")
    watch = channel.unary_stream("/%s/WatchLeaderboard" % SERVICE,
                                 request_serializer=cls("LeaderboardRequest").SerializeToString,
                                 response_deserializer=cls("Leaderboard").FromString)

    j = join(cls("JoinRequest")(worker_name=args.name, cores=2, threads=1, version="interop", hostname=socket.gethostname()), timeout=TIMEOUT)
    out["join"] = {"worker_id": j.worker_id, "experiment": j.experiment, "storage_hint": j.storage_hint,
                   "heartbeat_interval_ms": j.heartbeat_interval_ms, "lease_ms": j.lease_ms}

    a = acquire(cls("AcquireTrialRequest")(worker_id=j.worker_id), timeout=TIMEOUT)
    out["acquire_result"] = a.WhichOneof("result")
    if a.WhichOneof("result") != "trial":
        print(json.dumps(out))
        return 1
    t = a.trial
    out["trial"] = {"trial_id": t.trial_id, "experiment": t.experiment, "stage": t.stage, "index": t.index, "attempt": t.attempt,
                    "epochs": t.epochs, "checkpoint_prefix": t.checkpoint_prefix, "lease_deadline_unix_ms": t.lease_deadline_unix_ms,
                    "learning_rate": t.hyperparameters.learning_rate, "reg": t.hyperparameters.reg, "model": t.hyperparameters.model,
                    "optimizer": enum_name("Optimizer", t.hyperparameters.optimizer), "batch_size": t.hyperparameters.batch_size,
                    "has_dropout": t.hyperparameters.HasField("dropout"), "dataset": t.dataset.name,
                    "validation": t.dataset.validation}

    # Watch the leaderboard from now on: the first snapshot now, then one per change.
    snapshots = queue.Queue()
    stream = watch(cls("LeaderboardRequest")(top=0), timeout=60)

    def pump():
        try:
            for board in stream:
                snapshots.put(board)
        except grpc.RpcError as e:
            snapshots.put(e)

    threading.Thread(target=pump, daemon=True).start()
    first = snapshots.get(timeout=TIMEOUT)
    if isinstance(first, grpc.RpcError):
        raise first
    out["watch_first_status"] = [enum_name("TrialStatus", r.status) for r in first.rows if r.trial_id == t.trial_id]

    hb = heartbeat(cls("HeartbeatRequest")(worker_id=j.worker_id, trial_id=t.trial_id, attempt=t.attempt, epoch=1,
                                           epoch_fraction=0.5, running_loss=1.25), timeout=TIMEOUT)
    out["heartbeat"] = {"decision": enum_name("Decision", hb.decision), "lease_deadline_unix_ms": hb.lease_deadline_unix_ms}

    key = t.checkpoint_prefix + "val0.6250_ep01.ckpt"
    r = report(cls("EpochReport")(worker_id=j.worker_id, trial_id=t.trial_id, attempt=t.attempt, epoch=1, train_loss=1.1,
                                  train_acc=0.6, val_acc=0.625, val_acc_ema=0.625, learning_rate=t.hyperparameters.learning_rate,
                                  seconds=0.5, checkpoint_key=key, update_ratio=1e-3), timeout=TIMEOUT)
    out["report"] = {"decision": enum_name("Decision", r.decision), "lease_deadline_unix_ms": r.lease_deadline_unix_ms, "key": key}

    errors = {}

    def expect_error(label, fn):
        try:
            fn()
            errors[label] = "OK"
        except grpc.RpcError as e:
            errors[label] = e.code().name

    # While the trial runs: a checkpoint key outside the trial's prefix is refused.
    expect_error("report_outside_prefix", lambda: report(cls("EpochReport")(
        worker_id=j.worker_id, trial_id=t.trial_id, attempt=t.attempt, epoch=1, val_acc=0.5,
        checkpoint_key="elsewhere/trial-0099/val0.5000_ep01.ckpt"), timeout=TIMEOUT))

    complete(cls("TrialResult")(worker_id=j.worker_id, trial_id=t.trial_id, attempt=t.attempt,
                                status=enum_value("TrialStatus", "TRIAL_STATUS_COMPLETED"), best_val_acc=0.625,
                                best_checkpoint_key=key, epochs_done=t.epochs), timeout=TIMEOUT)
    # Idempotent for the same (trial_id, attempt).
    complete(cls("TrialResult")(worker_id=j.worker_id, trial_id=t.trial_id, attempt=t.attempt,
                                status=enum_value("TrialStatus", "TRIAL_STATUS_COMPLETED"), best_val_acc=0.625,
                                best_checkpoint_key=key, epochs_done=t.epochs), timeout=TIMEOUT)
    out["complete"] = "ok"

    # The watch stream reports the completion.
    watched = None
    while watched is None:
        board = snapshots.get(timeout=TIMEOUT)
        if isinstance(board, grpc.RpcError):
            raise board
        for row in board.rows:
            if row.trial_id == t.trial_id and enum_name("TrialStatus", row.status) == "TRIAL_STATUS_COMPLETED":
                watched = row
    out["watch_completed"] = {"best_val_acc": watched.best_val_acc, "checkpoint_key": watched.checkpoint_key}
    stream.cancel()

    lb = leaderboard(cls("LeaderboardRequest")(top=0), timeout=TIMEOUT)
    row = [x for x in lb.rows if x.trial_id == t.trial_id][0]
    out["leaderboard"] = {"experiment": lb.experiment, "total_trials": lb.total_trials, "rows": len(lb.rows),
                          "row": {"status": enum_name("TrialStatus", row.status), "best_val_acc": row.best_val_acc,
                                  "worker": row.worker, "checkpoint_key": row.checkpoint_key, "epochs_done": row.epochs_done,
                                  "val_acc_history": list(row.val_acc_history), "attempt": row.attempt},
                          "workers": [w.worker_name for w in lb.workers]}

    tc = top(cls("TopCheckpointsRequest")(k=3), timeout=TIMEOUT)
    out["top_checkpoints"] = {"storage": tc.storage,
                              "entries": [{"trial_id": e.trial_id, "checkpoint_key": e.checkpoint_key, "val_acc": e.val_acc,
                                           "epoch": e.epoch, "learning_rate": e.hyperparameters.learning_rate} for e in tc.entries]}

    expect_error("acquire_unknown_worker", lambda: acquire(cls("AcquireTrialRequest")(worker_id="no-such-worker"), timeout=TIMEOUT))
    expect_error("top_checkpoints_k0", lambda: top(cls("TopCheckpointsRequest")(k=0), timeout=TIMEOUT))
    out["errors"] = errors

    # A report about the finished attempt is stale: the answer is STOP.
    late = report(cls("EpochReport")(worker_id=j.worker_id, trial_id=t.trial_id, attempt=t.attempt, epoch=1, val_acc=0.5), timeout=TIMEOUT)
    out["late_report_decision"] = enum_name("Decision", late.decision)

    lv = leave(cls("LeaveRequest")(worker_id=j.worker_id, reason="interop done"), timeout=TIMEOUT)
    out["leave"] = {"requeued": lv.requeued}
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # noqa: BLE001 - report everything to the C# test
        print(json.dumps({"exception": "%s: %s" % (type(e).__name__, e)}))
        raise
