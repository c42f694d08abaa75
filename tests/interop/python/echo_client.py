"""Python grpcio (an implementation we did not write) as a CLIENT of our C# server.

Usage: echo_client.py --target 127.0.0.1:PORT --descriptors echo.pb --case NAME
Prints "PASS NAME" and exits 0, or prints "FAIL NAME: why" and exits 1.
"""
import argparse
import sys
import time

import grpc

import echo_messages

UNICODE_MESSAGE = "bad arg: 100% sure, %41 stays, ünïcödé 日本 🚀"


def expect_error(fn, code, detail=None):
    try:
        fn()
    except grpc.RpcError as e:
        if e.code() != code:
            raise AssertionError("expected %s, got %s (%r)" % (code, e.code(), e.details()))
        if detail is not None and e.details() != detail:
            raise AssertionError("expected details %r, got %r" % (detail, e.details()))
        return e
    raise AssertionError("expected %s, but the call succeeded" % code)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--target", required=True)
    p.add_argument("--descriptors", required=True)
    p.add_argument("--case", required=True)
    p.add_argument("--timeout-ms", type=int, default=500, help="deadline of the 'deadline' case")
    args = p.parse_args()
    EchoRequest, EchoReply, FailRequest = echo_messages.load(args.descriptors)

    channel = grpc.insecure_channel(
        args.target, options=[("grpc.max_receive_message_length", 8 * 1024 * 1024)])
    grpc.channel_ready_future(channel).result(timeout=20)

    def unary(method, req_cls=EchoRequest):
        return channel.unary_unary(
            "/%s/%s" % (echo_messages.SERVICE, method),
            request_serializer=req_cls.SerializeToString,
            response_deserializer=EchoReply.FromString)

    stream = channel.unary_stream(
        "/%s/ServerStream" % echo_messages.SERVICE,
        request_serializer=EchoRequest.SerializeToString,
        response_deserializer=EchoReply.FromString)

    case = args.case
    if case == "unary":
        r = unary("Echo")(EchoRequest(text="hello from python"), timeout=20)
        assert r.text == "hello from python", r.text
    elif case == "unicode":
        text = "ünïcödé 日本語 🚀 %41"
        r = unary("Echo")(EchoRequest(text=text, payload=b"\x00\x01\xff"), timeout=20)
        assert r.text == text and r.payload == b"\x00\x01\xff", (r.text, r.payload)
    elif case == "server_stream":
        got = [m.index for m in stream(EchoRequest(text="s", count=500), timeout=30)]
        assert got == list(range(500)), got[:10]
    elif case == "stream_cancel":
        call = stream(EchoRequest(count=100000, delay_ms=5), timeout=60)
        for i in range(3):
            m = next(call)
            assert m.index == i, m.index
        call.cancel()
        expect_error(lambda: [m for m in call], grpc.StatusCode.CANCELLED)
    elif case == "error_status":
        expect_error(lambda: unary("Fail", FailRequest)(FailRequest(code=3, text=UNICODE_MESSAGE), timeout=20),
                     grpc.StatusCode.INVALID_ARGUMENT, UNICODE_MESSAGE)
        expect_error(lambda: unary("Fail", FailRequest)(FailRequest(code=5, text="no such trial"), timeout=20),
                     grpc.StatusCode.NOT_FOUND, "no such trial")
    elif case == "unknown_error":
        e = expect_error(lambda: unary("Fail", FailRequest)(FailRequest(code=-1, text="x"), timeout=20),
                         grpc.StatusCode.UNKNOWN)
        assert "secret" not in e.details(), e.details()
    elif case == "deadline":
        started = time.monotonic()
        expect_error(lambda: unary("Echo")(EchoRequest(delay_ms=120000), timeout=args.timeout_ms / 1000.0),
                     grpc.StatusCode.DEADLINE_EXCEEDED)
        assert time.monotonic() - started < 100, "deadline was not honoured"
    elif case == "unimplemented":
        expect_error(lambda: unary("Unimplemented")(EchoRequest(), timeout=20), grpc.StatusCode.UNIMPLEMENTED)
        expect_error(lambda: channel.unary_unary("/no.such.Service/Method")(b"", timeout=20),
                     grpc.StatusCode.UNIMPLEMENTED)
    elif case == "metadata":
        r, call = unary("Metadata").with_call(
            EchoRequest(text="x-interop"), metadata=(("x-interop", "value 1"),), timeout=20)
        assert r.text == "value 1", r.text
        trailers = dict(call.trailing_metadata())
        assert trailers.get("x-echo-trailer") == "x-interop", trailers
        r = unary("Metadata")(EchoRequest(text="x-blob-bin"), metadata=(("x-blob-bin", b"\x00\x01\xfe\xff"),), timeout=20)
        assert r.text == "0001FEFF", r.text
    elif case == "oversize_request":
        expect_error(lambda: unary("Echo")(EchoRequest(payload=b"\x07" * (2 * 1024 * 1024)), timeout=20),
                     grpc.StatusCode.RESOURCE_EXHAUSTED)
        r = unary("Echo")(EchoRequest(text="still fine"), timeout=20)
        assert r.text == "still fine"
    elif case == "large_response":
        r = unary("Echo")(EchoRequest(pad_bytes=3 * 1024 * 1024), timeout=30)
        assert len(r.payload) == 3 * 1024 * 1024, len(r.payload)
    elif case == "concurrent":
        futures = [unary("Echo").future(EchoRequest(text="c%d" % i, delay_ms=10), timeout=30) for i in range(40)]
        texts = [f.result().text for f in futures]
        assert texts == ["c%d" % i for i in range(40)], texts
    else:
        raise SystemExit("unknown case " + case)


if __name__ == "__main__":
    name = "?"
    try:
        name = sys.argv[sys.argv.index("--case") + 1]
        main()
    except Exception as e:  # noqa: BLE001 - report every failure as FAIL with its reason
        print("FAIL %s: %s: %s" % (name, type(e).__name__, e), flush=True)
        sys.exit(1)
    print("PASS " + name, flush=True)
