namespace CvLearn.Core.Optim;

/// <summary>
/// An update rule whose arithmetic is per element (all of ours): it supplies the step's <typeparamref name="TStep"/>
/// (its constants for this learning rate and step number, and its state arrays), and this class runs it as the plain
/// <see cref="IUpdateRule.Step"/> and as the fused <see cref="IFusedUpdateRule.StepFused"/>, both through the same
/// loops of <see cref="ElementwiseUpdate"/> — so the two are the same arithmetic, and every rule gets the fused pass.
/// </summary>
public abstract class ElementwiseRule<TStep> : UpdateRuleBase, IFusedUpdateRule where TStep : struct, IElementUpdate
{
    /// <inheritdoc cref="UpdateRuleBase(string, string[])"/>
    protected ElementwiseRule(string name, params string[] stateNames) : base(name, stateNames) { }

    /// <summary>The arithmetic of step <paramref name="t"/> (1-based) at <paramref name="learningRate"/>; the state is sized.</summary>
    private protected abstract TStep StepFor(float learningRate, long t);

    protected sealed override void Update(Span<float> w, ReadOnlySpan<float> dw, float learningRate, long t) =>
        ElementwiseUpdate.Step(StepFor(learningRate, t), w, dw);

    /// <inheritdoc />
    public void StepFused(Span<float> w, ReadOnlySpan<float> dw, float learningRate, ReadOnlySpan<ParameterSegment> weights, float l2,
        Span<float> average, float averageDecay)
    {
        CheckFusedArguments(w.Length, weights, l2, average, averageDecay);
        long t = BeginStep(w, dw, learningRate);
        ElementwiseUpdate.StepFused(StepFor(learningRate, t), w, dw, weights, l2, average, averageDecay);
    }
}
