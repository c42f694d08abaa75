namespace CvLearn.Core.Optim;

/// <summary>
/// Common bookkeeping of the update rules: argument checks, the step counter, and named per-parameter state
/// buffers (velocity, caches, moments) that are sized lazily on the first <see cref="Step"/> (or by
/// <see cref="ImportState"/>) and then reused, so a step allocates nothing.
/// </summary>
public abstract class UpdateRuleBase : IUpdateRule
{
    private readonly string[] _stateNames;
    private float[][]? _state;

    /// <param name="name">Canonical rule name.</param>
    /// <param name="stateNames">Names of the state buffers, each as long as the parameter buffer.</param>
    protected UpdateRuleBase(string name, params string[] stateNames)
    {
        Name = name;
        _stateNames = stateNames;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public long Steps { get; private set; }

    /// <summary>Length of the parameter buffer the state is sized for, or -1 before the first step.</summary>
    public int Length { get; private set; } = -1;

    /// <inheritdoc />
    public void Step(Span<float> w, ReadOnlySpan<float> dw, float learningRate) => Update(w, dw, learningRate, BeginStep(w, dw, learningRate));

    /// <summary>Checks the arguments of a step, sizes the state and counts the step; returns its 1-based number t.</summary>
    protected long BeginStep(Span<float> w, ReadOnlySpan<float> dw, float learningRate)
    {
        if (w.Length != dw.Length)
            throw new ArgumentException($"{Name}: parameter buffer has {w.Length} elements but the gradient has {dw.Length}.");
        if (!float.IsFinite(learningRate) || learningRate < 0)
            throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, $"{Name}: the learning rate must be a finite non-negative number.");
        EnsureState(w.Length);
        return ++Steps;
    }

    /// <summary>Checks the extra arguments of <see cref="IFusedUpdateRule.StepFused"/> (before the step counts).</summary>
    protected void CheckFusedArguments(int length, ReadOnlySpan<ParameterSegment> weights, float l2, Span<float> average, float averageDecay)
    {
        int end = 0;
        foreach (var s in weights)
        {
            if (s.Offset < end || s.Length < 0 || s.Offset > length - s.Length)
                throw new ArgumentException($"{Name}: weight segments must be sorted, disjoint and inside the {length} parameters; got {s.Offset}..{s.Offset + s.Length} after {end}.", nameof(weights));
            end = s.Offset + s.Length;
        }
        if (!float.IsFinite(l2) || l2 < 0) throw new ArgumentOutOfRangeException(nameof(l2), l2, $"{Name}: the L2 strength must be a finite non-negative number.");
        if (!average.IsEmpty && average.Length != length)
            throw new ArgumentException($"{Name}: the weight average has {average.Length} elements but there are {length} parameters.", nameof(average));
        if (!(averageDecay is >= 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(averageDecay), averageDecay, $"{Name}: the average's decay must be in [0, 1].");
    }

    /// <summary>Sizes the state buffers for a parameter buffer of <paramref name="length"/> elements (zero-filled).</summary>
    public void EnsureState(int length)
    {
        if (length < 0) throw new ArgumentOutOfRangeException(nameof(length), length, "Length must be non-negative.");
        if (Length == length) return;
        if (Length >= 0)
            throw new ArgumentException($"{Name}: the state is sized for {Length} parameters but {length} were given; use one update rule per model.");
        var state = new float[_stateNames.Length][];
        for (int i = 0; i < state.Length; i++) state[i] = new float[length];
        _state = state;
        Length = length;
    }

    /// <inheritdoc />
    public IReadOnlyDictionary<string, float[]> ExportState() => ExportState(static (_, length) => new float[length]);

    /// <inheritdoc />
    public IReadOnlyDictionary<string, float[]> ExportState(Func<string, int, float[]> allocate)
    {
        ArgumentNullException.ThrowIfNull(allocate);
        var result = new Dictionary<string, float[]>(StringComparer.Ordinal);
        for (int i = 0; i < _stateNames.Length; i++)
        {
            if (_state is null)
            {
                result[_stateNames[i]] = [];
                continue;
            }
            var copy = allocate(_stateNames[i], _state[i].Length);
            if (copy.Length != _state[i].Length)
                throw new ArgumentException($"{Name}: the array given for state buffer '{_stateNames[i]}' has {copy.Length} elements, not {_state[i].Length}.", nameof(allocate));
            _state[i].CopyTo(copy, 0);
            result[_stateNames[i]] = copy;
        }
        return result;
    }

    /// <inheritdoc />
    public void ImportState(IReadOnlyDictionary<string, float[]> state, long steps)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (steps < 0) throw new ArgumentOutOfRangeException(nameof(steps), steps, $"{Name}: the step count cannot be negative.");
        foreach (var key in state.Keys)
            if (Array.IndexOf(_stateNames, key) < 0)
                throw new ArgumentException($"{Name}: unknown state buffer '{key}' (expected: {Describe(_stateNames)}); was the state exported by another rule?");
        int length = -1;
        foreach (var key in _stateNames)
        {
            if (!state.TryGetValue(key, out var buffer))
                throw new ArgumentException($"{Name}: state buffer '{key}' is missing (expected: {Describe(_stateNames)}).");
            if (length >= 0 && buffer.Length != length)
                throw new ArgumentException($"{Name}: state buffers have different lengths ({length} and {buffer.Length} for '{key}').");
            length = buffer.Length;
        }
        if (length > 0)
        {
            var copy = new float[_stateNames.Length][];
            for (int i = 0; i < copy.Length; i++) copy[i] = (float[])state[_stateNames[i]].Clone();
            _state = copy;
            Length = length;
        }
        else
        {
            // Empty buffers written before the first step (or a stateless rule): size lazily again.
            _state = null;
            Length = -1;
        }
        Steps = steps;
    }

    /// <summary>State buffer number <paramref name="index"/> (in constructor order), sized by now.</summary>
    protected float[] State(int index) => _state![index];

    /// <summary>Applies one update; <paramref name="t"/> is the 1-based step number, state is sized.</summary>
    protected abstract void Update(Span<float> w, ReadOnlySpan<float> dw, float learningRate, long t);

    private static string Describe(string[] names) => names.Length == 0 ? "none" : string.Join(", ", names);
}
