using System.Text.Json.Nodes;

namespace CvLearn.Master.Search;

/// <summary>Whether a hyperparameter value is numeric (learning rate, batch size) or text (optimizer, model spec).</summary>
public enum ParamKind
{
    Number,
    Text,
}

/// <summary>
/// One hyperparameter value: a finite double (integers are stored exactly, e.g. batch size 128) or a string.
/// Value semantics: numbers compare by value, strings ordinally.
/// </summary>
public readonly struct ParamValue : IEquatable<ParamValue>
{
    private readonly double _number;
    private readonly string? _text;

    private ParamValue(double number, string? text)
    {
        _number = number;
        _text = text;
    }

    /// <summary>Kind of the value.</summary>
    public ParamKind Kind => _text is null ? ParamKind.Number : ParamKind.Text;

    /// <summary>True for numeric values.</summary>
    public bool IsNumber => _text is null;

    /// <summary>A numeric value; throws for NaN/infinity because no search parameter may take them.</summary>
    public static ParamValue Of(double number)
    {
        if (!double.IsFinite(number)) throw new ArgumentOutOfRangeException(nameof(number), number, "hyperparameter values must be finite");
        return new ParamValue(number, null);
    }

    /// <summary>A text value (optimizer name, model spec).</summary>
    public static ParamValue Of(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return new ParamValue(0, text);
    }

    /// <summary>The numeric value; throws when the value is text.</summary>
    public double AsNumber() => _text is null
        ? _number
        : throw new InvalidOperationException($"hyperparameter value \"{_text}\" is text, not a number");

    /// <summary>The text value; throws when the value is numeric.</summary>
    public string AsText() => _text ?? throw new InvalidOperationException($"hyperparameter value {NumberFormat.Short(_number)} is a number, not text");

    /// <summary>JSON form: a number or a string.</summary>
    public JsonNode ToJson() => _text is null ? JsonValue.Create(_number) : JsonValue.Create(_text);

    /// <inheritdoc />
    public bool Equals(ParamValue other) => _text is null
        ? other._text is null && _number.Equals(other._number)
        : string.Equals(_text, other._text, StringComparison.Ordinal);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is ParamValue other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => _text is null ? _number.GetHashCode() : StringComparer.Ordinal.GetHashCode(_text);

    /// <summary>Short display form: numbers via <see cref="NumberFormat.Short"/> with 4 digits, text verbatim.</summary>
    public override string ToString() => _text ?? NumberFormat.Short(_number, 4);

    public static bool operator ==(ParamValue left, ParamValue right) => left.Equals(right);

    public static bool operator !=(ParamValue left, ParamValue right) => !left.Equals(right);
}
