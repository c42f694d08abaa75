using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace CvLearn.Protos.Rpc;

/// <summary>
/// Binds typed handlers to the methods of one protobuf service, taken from the generated reflection
/// (e.g. <c>SearchReflection.Descriptor.Services[0]</c>), so method paths are never hand-typed:
/// the path of each method is <c>"/" + service.FullName + "/" + method.Name</c>
/// (PROTOCOL-HTTP2.md, Requests: Path → ":path" "/" Service-Name "/" {method name}).
/// Methods left unbound answer UNIMPLEMENTED.
/// </summary>
public sealed class GrpcServiceBinder
{
    private readonly Dictionary<string, ServerMethod> _methods = new(StringComparer.Ordinal);

    /// <summary>Creates a binder for <paramref name="service"/>.</summary>
    public GrpcServiceBinder(ServiceDescriptor service)
    {
        ArgumentNullException.ThrowIfNull(service);
        Service = service;
    }

    /// <summary>The bound service.</summary>
    public ServiceDescriptor Service { get; }

    internal IReadOnlyDictionary<string, ServerMethod> Methods => _methods;

    /// <summary>Binds a unary method by its proto name (e.g. "Join").</summary>
    /// <exception cref="ArgumentException">Unknown method, wrong kind, wrong message types, or bound twice.</exception>
    public GrpcServiceBinder Unary<TRequest, TResponse>(
        string methodName,
        Func<TRequest, ServerCallContext, Task<TResponse>> handler)
        where TRequest : IMessage<TRequest>, new()
        where TResponse : IMessage<TResponse>
    {
        ArgumentNullException.ThrowIfNull(handler);
        MethodDescriptor method = Resolve<TRequest, TResponse>(methodName, serverStreaming: false);
        Add(method, new UnaryServerMethod<TRequest, TResponse>(method, ParserOf<TRequest>(method.InputType), handler));
        return this;
    }

    /// <summary>Binds a server-streaming method by its proto name (e.g. "WatchLeaderboard").</summary>
    /// <exception cref="ArgumentException">Unknown method, wrong kind, wrong message types, or bound twice.</exception>
    public GrpcServiceBinder ServerStreaming<TRequest, TResponse>(
        string methodName,
        Func<TRequest, IServerStreamWriter<TResponse>, ServerCallContext, Task> handler)
        where TRequest : IMessage<TRequest>, new()
        where TResponse : IMessage<TResponse>
    {
        ArgumentNullException.ThrowIfNull(handler);
        MethodDescriptor method = Resolve<TRequest, TResponse>(methodName, serverStreaming: true);
        Add(method, new ServerStreamingServerMethod<TRequest, TResponse>(method, ParserOf<TRequest>(method.InputType), handler));
        return this;
    }

    /// <summary>The wire path of a method: <c>/package.Service/Method</c>.</summary>
    public static string PathOf(MethodDescriptor method) => "/" + method.Service.FullName + "/" + method.Name;

    internal static MessageParser<T> ParserOf<T>(MessageDescriptor descriptor)
        where T : IMessage<T>, new()
        => descriptor.Parser as MessageParser<T> ?? new MessageParser<T>(() => new T());

    private MethodDescriptor Resolve<TRequest, TResponse>(string methodName, bool serverStreaming)
    {
        MethodDescriptor? method = Service.FindMethodByName(methodName);
        if (method is null)
        {
            string known = string.Join(", ", Service.Methods.Select(m => m.Name));
            throw new ArgumentException($"Service {Service.FullName} has no method '{methodName}'. Known methods: {known}.", nameof(methodName));
        }

        if (method.IsClientStreaming)
        {
            throw new ArgumentException($"{Service.FullName}/{method.Name} is client-streaming, which this wire layer does not support.", nameof(methodName));
        }

        if (method.IsServerStreaming != serverStreaming)
        {
            string kind = method.IsServerStreaming ? "ServerStreaming" : "Unary";
            throw new ArgumentException($"{Service.FullName}/{method.Name} is {(method.IsServerStreaming ? "server-streaming" : "unary")}; bind it with {kind}<,>.", nameof(methodName));
        }

        CheckType(method, method.InputType, typeof(TRequest), "request");
        CheckType(method, method.OutputType, typeof(TResponse), "response");
        return method;
    }

    private static void CheckType(MethodDescriptor method, MessageDescriptor expected, Type actual, string role)
    {
        if (expected.ClrType != actual)
        {
            throw new ArgumentException(
                $"{method.Service.FullName}/{method.Name} takes {role} type {expected.FullName} ({expected.ClrType?.FullName}), but the handler uses {actual.FullName}.");
        }
    }

    private void Add(MethodDescriptor method, ServerMethod serverMethod)
    {
        string path = PathOf(method);
        if (!_methods.TryAdd(path, serverMethod))
        {
            throw new ArgumentException($"{path} is already bound.");
        }
    }
}

/// <summary>One bound method; runs the handler for a call whose headers were already validated.</summary>
internal abstract class ServerMethod(MethodDescriptor method)
{
    public MethodDescriptor Descriptor { get; } = method;

    /// <summary>Runs the call up to the handler's success; the caller sends OK or maps the exception.</summary>
    public abstract Task InvokeAsync(ServerCall call);
}

internal sealed class UnaryServerMethod<TRequest, TResponse>(
    MethodDescriptor method,
    MessageParser<TRequest> parser,
    Func<TRequest, ServerCallContext, Task<TResponse>> handler) : ServerMethod(method)
    where TRequest : IMessage<TRequest>
    where TResponse : IMessage<TResponse>
{
    public override async Task InvokeAsync(ServerCall call)
    {
        CancellationToken ct = call.Context.CancellationToken;
        TRequest request = await call.ReadSingleRequestAsync(parser, ct).ConfigureAwait(false);
        TResponse response = await handler(request, call.Context).ConfigureAwait(false);
        if (response is null)
        {
            throw new RpcException(StatusCode.Internal, $"The handler of {Descriptor.Name} returned no response message.");
        }

        await call.WriteMessageAsync(response, ct).ConfigureAwait(false);
    }
}

internal sealed class ServerStreamingServerMethod<TRequest, TResponse>(
    MethodDescriptor method,
    MessageParser<TRequest> parser,
    Func<TRequest, IServerStreamWriter<TResponse>, ServerCallContext, Task> handler) : ServerMethod(method)
    where TRequest : IMessage<TRequest>
    where TResponse : IMessage<TResponse>
{
    public override async Task InvokeAsync(ServerCall call)
    {
        TRequest request = await call.ReadSingleRequestAsync(parser, call.Context.CancellationToken).ConfigureAwait(false);
        await handler(request, new Writer(call), call.Context).ConfigureAwait(false);
    }

    private sealed class Writer(ServerCall call) : IServerStreamWriter<TResponse>
    {
        public Task WriteAsync(TResponse message, CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(message);
            if (!cancellationToken.CanBeCanceled)
            {
                return call.WriteMessageAsync(message, call.Context.CancellationToken);
            }

            return WriteLinkedAsync(message, cancellationToken);
        }

        private async Task WriteLinkedAsync(TResponse message, CancellationToken cancellationToken)
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, call.Context.CancellationToken);
            await call.WriteMessageAsync(message, linked.Token).ConfigureAwait(false);
        }
    }
}
