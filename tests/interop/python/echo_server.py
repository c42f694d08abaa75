"""Python grpcio (an implementation we did not write) as a SERVER called by our C# client.

Usage: echo_server.py --descriptors echo.pb
Binds 127.0.0.1:0, prints "PORT <n>", then serves until stdin is closed. Prints "EVENT <what>"
lines when a handler observes cancellation, so the C# test can check the server side too.
The Unimplemented method is deliberately not registered.
"""
import argparse
import sys
import time
from concurrent import futures

import grpc

import echo_messages


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--descriptors", required=True)
    args = p.parse_args()
    EchoRequest, EchoReply, FailRequest = echo_messages.load(args.descriptors)

    def echo(request, context):
        if request.text == "time_remaining":
            return EchoReply(text="%.3f" % context.time_remaining())
        deadline = time.monotonic() + request.delay_ms / 1000.0
        if request.delay_ms:
            print("EVENT echo-started", flush=True)
        while time.monotonic() < deadline:
            if not context.is_active():
                print("EVENT echo-cancelled", flush=True)
                return EchoReply()
            time.sleep(0.01)
        payload = b"\x00" * request.pad_bytes if request.pad_bytes else request.payload
        return EchoReply(text=request.text, payload=payload)

    def server_stream(request, context):
        # grpcio stops pulling from the generator once the RPC is cancelled, so the generator may never
        # run again: observe the end of the RPC with a termination callback instead.
        state = {"completed": False}

        def on_termination():
            if not state["completed"]:
                print("EVENT stream-cancelled", flush=True)

        context.add_callback(on_termination)
        for i in range(request.count):
            if not context.is_active():
                return
            yield EchoReply(text=request.text, index=i)
            if request.delay_ms:
                time.sleep(request.delay_ms / 1000.0)
        state["completed"] = True

    def fail(request, context):
        context.set_trailing_metadata((("x-fail-detail", "code-%d" % request.code),))
        context.abort(echo_messages.status_code_from_number(request.code), request.text)

    def metadata(request, context):
        context.set_trailing_metadata((("x-echo-trailer", request.text),))
        for key, value in context.invocation_metadata():
            if key == request.text:
                return EchoReply(text=value.hex().upper() if isinstance(value, bytes) else value)
        return EchoReply(text="<missing>")

    def uu(fn, req):
        return grpc.unary_unary_rpc_method_handler(
            fn, request_deserializer=req.FromString, response_serializer=EchoReply.SerializeToString)

    handlers = {
        "Echo": uu(echo, EchoRequest),
        "Fail": uu(fail, FailRequest),
        "Metadata": uu(metadata, EchoRequest),
        "ServerStream": grpc.unary_stream_rpc_method_handler(
            server_stream, request_deserializer=EchoRequest.FromString,
            response_serializer=EchoReply.SerializeToString),
    }
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(echo_messages.SERVICE, handlers),))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print("PORT %d" % port, flush=True)
    sys.stdin.read()  # the test closes stdin (or dies) to stop us
    server.stop(grace=1).wait()


if __name__ == "__main__":
    main()
