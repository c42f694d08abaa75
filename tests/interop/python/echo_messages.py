"""Loads the echo.proto message classes from a serialized FileDescriptorSet.

The descriptor set is written by the C# test from the descriptors compiled into CvLearn.Protos, so
no protoc / grpc_tools is needed here and there is no generated-code/runtime version coupling: any
python3-protobuf (3.x or 4.x) works.
"""
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

import grpc

PACKAGE = "cvlearn.testing"
SERVICE = PACKAGE + ".EchoService"


def load(descriptor_set_path):
    with open(descriptor_set_path, "rb") as f:
        fds = descriptor_pb2.FileDescriptorSet.FromString(f.read())
    pool = descriptor_pool.DescriptorPool()
    for file_proto in fds.file:
        pool.Add(file_proto)

    def message_class(name):
        desc = pool.FindMessageTypeByName(PACKAGE + "." + name)
        if hasattr(message_factory, "GetMessageClass"):
            return message_factory.GetMessageClass(desc)
        return message_factory.MessageFactory(pool).GetPrototype(desc)

    return message_class("EchoRequest"), message_class("EchoReply"), message_class("FailRequest")


def status_code_from_number(number):
    for code in grpc.StatusCode:
        if code.value[0] == number:
            return code
    raise ValueError("unknown gRPC status number %d" % number)
