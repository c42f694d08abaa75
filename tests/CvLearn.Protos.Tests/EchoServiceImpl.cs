using CvLearn.Protos.Rpc;
using CvLearn.Protos.Testing;
using Google.Protobuf;

namespace CvLearn.Protos.Tests;

/// <summary>The echo service of echo.proto, instrumented so tests can see what the server observed.</summary>
internal sealed class EchoServiceImpl
{
    /// <summary>Completed with true when a handler observed its call being cancelled (deadline or client cancel).</summary>
    public TaskCompletionSource<bool> HandlerSawCancellation { get; private set; } = NewTcs();

    /// <summary>Completed when a delayed Echo handler started waiting (so a deadline can only end it by cancellation).</summary>
    public TaskCompletionSource<bool> DelayedEchoStarted { get; private set; } = NewTcs();

    public void ResetObservations()
    {
        HandlerSawCancellation = NewTcs();
        DelayedEchoStarted = NewTcs();
    }

    public GrpcServiceBinder Bind() =>
        new GrpcServiceBinder(EchoReflection.Descriptor.FindTypeByName<Google.Protobuf.Reflection.ServiceDescriptor>("EchoService"))
            .Unary<EchoRequest, EchoReply>("Echo", EchoAsync)
            .ServerStreaming<EchoRequest, EchoReply>("ServerStream", ServerStreamAsync)
            .Unary<FailRequest, EchoReply>("Fail", FailAsync)
            .Unary<EchoRequest, EchoReply>("Metadata", MetadataAsync);

    private async Task<EchoReply> EchoAsync(EchoRequest request, ServerCallContext context)
    {
        if (request.DelayMs > 0)
        {
            DelayedEchoStarted.TrySetResult(true);
            try
            {
                await Task.Delay(request.DelayMs, context.CancellationToken);
            }
            catch (OperationCanceledException)
            {
                HandlerSawCancellation.TrySetResult(true);
                throw;
            }
        }

        return new EchoReply
        {
            Text = request.Text,
            Payload = request.PadBytes > 0 ? ByteString.CopyFrom(new byte[request.PadBytes]) : request.Payload,
        };
    }

    private async Task ServerStreamAsync(EchoRequest request, IServerStreamWriter<EchoReply> writer, ServerCallContext context)
    {
        try
        {
            for (int i = 0; i < request.Count; i++)
            {
                await writer.WriteAsync(new EchoReply { Text = request.Text, Index = i });
                if (request.DelayMs > 0)
                {
                    await Task.Delay(request.DelayMs, context.CancellationToken);
                }
            }
        }
        catch (Exception) when (context.CancellationToken.IsCancellationRequested)
        {
            HandlerSawCancellation.TrySetResult(true);
            throw;
        }
    }

    private static Task<EchoReply> FailAsync(FailRequest request, ServerCallContext context)
    {
        if (request.Code < 0)
        {
            throw new InvalidOperationException("secret internal detail " + request.Text);
        }

        throw new RpcException((StatusCode)request.Code, request.Text);
    }

    private static Task<EchoReply> MetadataAsync(EchoRequest request, ServerCallContext context)
    {
        context.ResponseTrailers.Add("x-echo-trailer", request.Text);
        Metadata.Entry? entry = context.RequestHeaders.Get(request.Text);
        string text = entry is null ? "<missing>" : entry.IsBinary ? Convert.ToHexString(entry.ValueBytes!) : entry.Value!;
        return Task.FromResult(new EchoReply { Text = text });
    }

    private static TaskCompletionSource<bool> NewTcs() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
