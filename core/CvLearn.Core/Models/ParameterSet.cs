using System.Numerics;

namespace CvLearn.Core.Models;

/// <summary>What a parameter is for: decides initialization and whether regularization applies.</summary>
public enum ParameterRole
{
    /// <summary>A weight matrix or filter bank: initialized by the scheme (He/Xavier/gaussian), regularized.</summary>
    Weight,
    /// <summary>A bias: zero-initialized, never regularized.</summary>
    Bias,
    /// <summary>Batchnorm scale γ: initialized to one, not regularized.</summary>
    Scale,
    /// <summary>Batchnorm shift β: initialized to zero, not regularized.</summary>
    Shift,
}

/// <summary>A named view into the flat parameter (or state) buffer.</summary>
/// <param name="Name">Unique name, e.g. "fc1.W".</param>
/// <param name="Offset">First element in the flat buffer.</param>
/// <param name="Shape">Logical shape of the view.</param>
/// <param name="Role">What the parameter is for.</param>
/// <param name="FanIn">Inputs feeding one output unit (for He/Xavier initialization).</param>
/// <param name="FanOut">Outputs fed by one input unit.</param>
public sealed record ParameterInfo(string Name, int Offset, int[] Shape, ParameterRole Role, int FanIn, int FanOut)
{
    /// <summary>Element count.</summary>
    public int Length { get; } = Shape.Aggregate(1, (a, b) => a * b);
}

/// <summary>
/// All trainable parameters of a model in one flat buffer (as llm.c does), with a parallel gradient buffer and
/// named views. Update rules run over the whole buffer at once; checkpoints write it in one piece.
/// Non-trainable state (batchnorm running statistics) lives in a second flat buffer, <see cref="State"/>.
/// Usage: layers call <see cref="Add"/>/<see cref="AddState"/> in their constructors, the model calls
/// <see cref="Freeze"/> once, then views are valid.
/// </summary>
public sealed class ParameterSet<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly List<ParameterInfo> _parameters = new();
    private readonly List<ParameterInfo> _state = new();
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private int _count;
    private int _stateCount;
    private T[]? _values;
    private T[]? _grads;
    private T[]? _stateValues;

    /// <summary>Registers a trainable parameter; returns its view descriptor.</summary>
    public ParameterInfo Add(string name, int[] shape, ParameterRole role, int fanIn = 0, int fanOut = 0)
    {
        EnsureNotFrozen(name);
        var info = new ParameterInfo(name, _count, shape, role, fanIn, fanOut);
        _count += info.Length;
        _parameters.Add(info);
        return info;
    }

    /// <summary>Registers a non-trainable state buffer (e.g. running mean); returns its view descriptor.</summary>
    public ParameterInfo AddState(string name, int[] shape)
    {
        EnsureNotFrozen(name);
        var info = new ParameterInfo(name, _stateCount, shape, ParameterRole.Bias, 0, 0);
        _stateCount += info.Length;
        _state.Add(info);
        return info;
    }

    /// <summary>Allocates the flat buffers. No parameter may be added afterwards.</summary>
    public void Freeze()
    {
        if (IsFrozen) return;
        _values = new T[_count];
        _grads = new T[_count];
        _stateValues = new T[_stateCount];
    }

    public bool IsFrozen => _values is not null;

    /// <summary>Trainable parameters in registration order.</summary>
    public IReadOnlyList<ParameterInfo> Parameters => _parameters;

    /// <summary>State buffers in registration order.</summary>
    public IReadOnlyList<ParameterInfo> StateBuffers => _state;

    /// <summary>Total trainable element count.</summary>
    public int Count => _count;

    /// <summary>Total state element count.</summary>
    public int StateCount => _stateCount;

    /// <summary>The flat parameter buffer.</summary>
    public T[] Values => _values ?? throw NotFrozen();

    /// <summary>The flat gradient buffer, same layout as <see cref="Values"/>.</summary>
    public T[] Grads => _grads ?? throw NotFrozen();

    /// <summary>The flat state buffer.</summary>
    public T[] State => _stateValues ?? throw NotFrozen();

    public Span<T> Value(ParameterInfo p) => Values.AsSpan(p.Offset, p.Length);
    public Span<T> Grad(ParameterInfo p) => Grads.AsSpan(p.Offset, p.Length);
    public Span<T> StateOf(ParameterInfo p) => State.AsSpan(p.Offset, p.Length);

    /// <summary>Finds a parameter by name.</summary>
    public ParameterInfo Find(string name) =>
        _parameters.FirstOrDefault(p => p.Name == name) ?? _state.FirstOrDefault(p => p.Name == name)
        ?? throw new KeyNotFoundException($"No parameter named '{name}'.");

    public void ZeroGrads() => Grads.AsSpan().Clear();

    private void EnsureNotFrozen(string name)
    {
        if (IsFrozen) throw new InvalidOperationException($"Cannot add '{name}': the parameter set is frozen.");
        if (!_names.Add(name)) throw new ArgumentException($"Duplicate parameter name '{name}'.");
    }

    private static InvalidOperationException NotFrozen() => new("Call Freeze() before using the parameter buffers.");
}
