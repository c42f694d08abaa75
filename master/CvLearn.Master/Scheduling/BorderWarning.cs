using CvLearn.Master.Search;

namespace CvLearn.Master.Scheduling;

/// <summary>Which edge of a range.</summary>
public enum BorderEdge
{
    Low,
    High,
}

/// <summary>
/// CS231n: "if the best value is at the edge of the range, the optimum may lie beyond it". Raised for
/// <see cref="Parameter"/> after <see cref="Stage"/> when its best trial's value — or at least half of the top trials'
/// values — lies within the border zone of <see cref="Edge"/> of the range the stage sampled from.
/// <see cref="Value"/> is the best trial's value when <see cref="BestNearEdge"/>, else the top value closest to the edge.
/// <see cref="Extended"/> says whether the next stage's range reaches past that edge (false when the edge is already a
/// hard limit of the parameter, such as dropout 0, or when there is no next stage).
/// </summary>
public sealed record BorderWarning(
    string Parameter,
    int Stage,
    BorderEdge Edge,
    double Value,
    double RangeLow,
    double RangeHigh,
    bool BestNearEdge,
    int TopValuesNearEdge,
    int TopValues,
    bool Extended,
    bool HasNextStage)
{
    /// <summary>The edge value.</summary>
    public double EdgeValue => Edge == BorderEdge.Low ? RangeLow : RangeHigh;

    /// <summary>Human explanation with the consequence for the next stage.</summary>
    public string Message
    {
        get
        {
            string edge = Edge == BorderEdge.Low ? "lower" : "upper";
            string who = BestNearEdge
                ? $"{Parameter} best value {NumberFormat.Short(Value, 2)}" + (TopValuesNearEdge > 1 ? $" ({TopValuesNearEdge} of the {TopValues} top values)" : string.Empty) + " is"
                : $"{Parameter}: {TopValuesNearEdge} of the {TopValues} top values (closest {NumberFormat.Short(Value, 2)}) are";
            string head = $"{who} near the {edge} edge {NumberFormat.Short(EdgeValue, 2)} of stage {Stage}'s range "
                + $"{NumberFormat.Range(RangeLow, RangeHigh, 2)}: the optimum may lie beyond it";
            if (!HasNextStage) return head + "; this was the last stage: widen the range in the config and search again";
            return Extended
                ? head + $"; stage {Stage + 1} extends the range past that edge"
                : head + $"; {NumberFormat.Short(EdgeValue, 2)} is a hard limit of {Parameter}, so stage {Stage + 1} keeps that edge";
        }
    }

    /// <inheritdoc />
    public override string ToString() => Message;
}
