namespace CvLearn.Core.Optim;

/// <summary>
/// A first-order update rule over the model's flat parameter buffer (one call updates every parameter).
/// Kept apart from models and from the Solver, as in CS231n's optim.py.
/// </summary>
public interface IUpdateRule
{
    /// <summary>The name used on the command line and in configs: sgd, momentum, nesterov, adagrad, rmsprop, adam.</summary>
    string Name { get; }

    /// <summary>Number of steps taken so far (Adam's t).</summary>
    long Steps { get; }

    /// <summary>Updates <paramref name="w"/> in place from its gradient <paramref name="dw"/> with learning rate <paramref name="learningRate"/>.</summary>
    void Step(Span<float> w, ReadOnlySpan<float> dw, float learningRate);

    /// <summary>Internal state buffers (velocity, caches, moments) by name, for checkpoints: copies the caller owns.</summary>
    IReadOnlyDictionary<string, float[]> ExportState() => ExportState(static (_, length) => new float[length]);

    /// <summary>
    /// Like <see cref="ExportState()"/>, copying each buffer into the array <paramref name="allocate"/> returns for
    /// (buffer name, length) — exactly that long. A caller that checkpoints every epoch passes arrays it reuses: in
    /// a VM, fresh memory costs ~3 ms per MB on first touch, and Adam's state is twice the model.
    /// </summary>
    IReadOnlyDictionary<string, float[]> ExportState(Func<string, int, float[]> allocate);

    /// <summary>Restores state written by <see cref="ExportState"/> and the step count, so training resumes exactly.</summary>
    void ImportState(IReadOnlyDictionary<string, float[]> state, long steps);
}
