using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace CvLearn.Core.Optim;

/// <summary>
/// One update rule's arithmetic on one element (or one vector of elements) of the parameter buffer: the new weight
/// from the weight and its gradient, updating the rule's state (up to two buffers as long as the parameters) at that
/// element. A struct, so that the loops of <see cref="ElementwiseUpdate"/> compile to one specialized loop per rule,
/// with nothing called per element. The loop takes the state buffers' references once and passes them in, so they
/// stay in registers (read from the struct's fields at every element, momentum's and nesterov's fused steps were
/// ~10% slower).
/// The vector and scalar forms must perform the same operations in the same order (no fused multiply-add in one
/// and not the other), so a result never depends on whether an element fell in the vector loop or the tail.
/// </summary>
public interface IElementUpdate
{
    /// <summary>The rule's first and second state buffers (null when it has fewer).</summary>
    float[]? State0 { get; }

    /// <inheritdoc cref="State0"/>
    float[]? State1 { get; }

    /// <summary>New weights of elements i..i+Count; <paramref name="s0"/>, <paramref name="s1"/> are the starts of the state buffers.</summary>
    Vector<float> Update(Vector<float> weight, Vector<float> grad, ref float s0, ref float s1, nuint i);

    /// <summary>New weight of one element; <paramref name="s0"/>, <paramref name="s1"/> are that element's state.</summary>
    float Update(float weight, float grad, ref float s0, ref float s1);
}

/// <summary>
/// The passes every rule shares: its plain step, and its fused step (<see cref="IFusedUpdateRule"/>: the L2 penalty's
/// gradient λ·w on the weight segments, the update, and the running average of the new weights, in one pass over
/// the parameters instead of three).
/// </summary>
internal static class ElementwiseUpdate
{
    /// <summary>w[i] = rule(w[i], dw[i]) for every element.</summary>
    public static void Step<TRule>(TRule rule, Span<float> w, ReadOnlySpan<float> dw) where TRule : struct, IElementUpdate =>
        Run<TRule, Off, Off>(rule, w, dw, 0, w.Length, 0, default, 0);

    /// <summary>
    /// The fused step: gradient dw + l2·w on the <paramref name="weights"/> segments (dw elsewhere), the rule, then
    /// average += (1 − decay)·(w − average) when <paramref name="average"/> is not empty. Arguments are checked by the caller.
    /// </summary>
    public static void StepFused<TRule>(TRule rule, Span<float> w, ReadOnlySpan<float> dw, ReadOnlySpan<ParameterSegment> weights, float l2,
        Span<float> average, float averageDecay) where TRule : struct, IElementUpdate
    {
        float a = 1 - averageDecay;
        int cursor = 0;
        foreach (var segment in weights)
        {
            Run(rule, w, dw, cursor, segment.Offset, 0, average, a);
            Run(rule, w, dw, segment.Offset, segment.Offset + segment.Length, l2, average, a);
            cursor = segment.Offset + segment.Length;
        }
        Run(rule, w, dw, cursor, w.Length, 0, average, a);
    }

    private static void Run<TRule>(TRule rule, Span<float> w, ReadOnlySpan<float> dw, int from, int to, float l2, Span<float> average, float a)
        where TRule : struct, IElementUpdate
    {
        if (to <= from) return;
        // Each combination gets its own compiled loop, without the branches of the others.
        switch (l2 != 0, !average.IsEmpty)
        {
            case (false, false): Run<TRule, Off, Off>(rule, w, dw, from, to, l2, average, a); break;
            case (true, false): Run<TRule, On, Off>(rule, w, dw, from, to, l2, average, a); break;
            case (false, true): Run<TRule, Off, On>(rule, w, dw, from, to, l2, average, a); break;
            default: Run<TRule, On, On>(rule, w, dw, from, to, l2, average, a); break;
        }
    }

    private interface IFlag { static abstract bool IsOn { get; } }
    private readonly struct On : IFlag { public static bool IsOn => true; }
    private readonly struct Off : IFlag { public static bool IsOn => false; }

    private static void Run<TRule, TPenalty, TAverage>(TRule rule, Span<float> w, ReadOnlySpan<float> dw, int from, int to, float l2, Span<float> average, float a)
        where TRule : struct, IElementUpdate
        where TPenalty : struct, IFlag
        where TAverage : struct, IFlag
    {
        ref float x = ref MemoryMarshal.GetReference(w);
        ref float g = ref MemoryMarshal.GetReference(dw);
        ref float e = ref MemoryMarshal.GetReference(average);
        // A buffer the rule does not have is a null reference: its arithmetic never reads it (nor the offsets from it
        // the scalar tail passes). Those it has are as long as the parameters (sized by BeginStep).
        ref float s0 = ref rule.State0 is { } state0 ? ref MemoryMarshal.GetArrayDataReference(state0) : ref Unsafe.NullRef<float>();
        ref float s1 = ref rule.State1 is { } state1 ? ref MemoryMarshal.GetArrayDataReference(state1) : ref Unsafe.NullRef<float>();
        int i = from;
        if (Vector.IsHardwareAccelerated)
        {
            var vL2 = new Vector<float>(l2);
            var vA = new Vector<float>(a);
            for (; i <= to - Vector<float>.Count; i += Vector<float>.Count)
            {
                var u = (nuint)i;
                var weight = Vector.LoadUnsafe(ref x, u);
                var grad = Vector.LoadUnsafe(ref g, u);
                if (TPenalty.IsOn) grad += weight * vL2;
                weight = rule.Update(weight, grad, ref s0, ref s1, u);
                weight.StoreUnsafe(ref x, u);
                if (TAverage.IsOn)
                {
                    var avg = Vector.LoadUnsafe(ref e, u);
                    (avg + vA * (weight - avg)).StoreUnsafe(ref e, u);
                }
            }
        }
        for (; i < to; i++)
        {
            float grad = dw[i];
            if (TPenalty.IsOn) grad += w[i] * l2;
            float weight = rule.Update(w[i], grad, ref Unsafe.Add(ref s0, i), ref Unsafe.Add(ref s1, i));
            w[i] = weight;
            if (TAverage.IsOn) average[i] += a * (weight - average[i]);
        }
    }
}
