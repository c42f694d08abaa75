using System.Globalization;

namespace CvLearn.Core.Models;

/// <summary>
/// Hand-written parser for <see cref="ModelSpec"/> strings. Tracks the character position of every token so that
/// errors can point at it. Case-insensitive; spaces around tokens are ignored.
/// </summary>
internal static class ModelSpecParser
{
    private readonly record struct Token(string Text, int Position)
    {
        public bool Is(string value) => string.Equals(Text, value, StringComparison.OrdinalIgnoreCase);
    }

    public static ModelSpec Parse(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Trim().Length == 0) throw Error(spec, "the spec is empty.", 0, 0);

        var parts = Split(spec, 0, spec.Length, ',');
        var head = parts[0];
        int colon = head.Text.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            string hint = IsKnownKind(head.Text) ? $"'{head.Text}' needs a body after ':', e.g. {Example(head.Text)}" : $"'{head.Text}' is not a model spec: expected KIND:BODY with KIND one of knn, linear, fc, conv.";
            throw Error(spec, hint, head.Position, head.Text.Length);
        }
        var kind = new Token(head.Text[..colon].Trim(), head.Position);
        int bodyStart = head.Position + colon + 1;
        var body = new Token(head.Text[(colon + 1)..], bodyStart);
        var options = parts.Skip(1).ToArray();

        if (kind.Is("knn")) return ParseKnn(spec, body, options);
        if (kind.Is("linear")) return ParseLinear(spec, body, options);
        if (kind.Is("fc")) return ParseNetwork(spec, ModelKind.FullyConnected, body, options);
        if (kind.Is("conv")) return ParseNetwork(spec, ModelKind.Convolutional, body, options);
        throw Error(spec, $"unknown model kind '{kind.Text}' (expected knn, linear, fc or conv).", kind.Position, kind.Text.Length);
    }

    private static ModelSpec ParseKnn(string spec, Token body, Token[] options)
    {
        if (options.Length > 0) throw Error(spec, $"knn takes no options, got '{options[0].Text}'.", options[0].Position, options[0].Text.Length);
        var parts = Split(spec, body.Position, body.Text.Length, ':');
        if (parts.Length > 2) throw Error(spec, "knn takes K and an optional distance: knn:K[:l1|l2].", parts[2].Position, parts[2].Text.Length);
        int k = ParseSize(spec, parts[0], "K (the number of neighbours)");
        var metric = DistanceMetric.L2;
        if (parts.Length == 2)
        {
            if (parts[1].Is("l1")) metric = DistanceMetric.L1;
            else if (!parts[1].Is("l2")) throw Error(spec, $"unknown kNN distance '{parts[1].Text}' (expected l1 or l2).", parts[1].Position, parts[1].Text.Length);
        }
        return ModelSpec.Knn(k, metric);
    }

    private static ModelSpec ParseLinear(string spec, Token body, Token[] options)
    {
        var trimmed = Trim(body);
        LossKind loss = ParseLoss(spec, trimmed, "linear classifier loss");
        Initialization? init = null;
        foreach (var opt in options)
        {
            var (key, value) = KeyValue(opt);
            if (key.Is("init") && value is { } v) init = ParseInit(spec, v);
            else throw Error(spec, $"linear accepts only the init=... option, not '{opt.Text}'.", opt.Position, opt.Text.Length);
        }
        return ModelSpec.Linear(loss, init);
    }

    private static ModelSpec ParseNetwork(string spec, ModelKind kind, Token body, Token[] options)
    {
        var tokens = Split(spec, body.Position, body.Text.Length, '-');
        var hidden = new List<HiddenLayer>(tokens.Length);
        bool seenFc = false;
        foreach (var t in tokens)
        {
            if (t.Text.Length == 0)
                throw Error(spec, "missing layer size (empty token between '-' separators or after ':').", t.Position, 1);
            if (kind == ModelKind.FullyConnected)
            {
                hidden.Add(HiddenLayer.Fc(ParseSize(spec, t, "a hidden layer size")));
                continue;
            }
            HiddenLayer layer;
            if (t.Is("pool")) layer = HiddenLayer.Pool;
            else if (t.Text.StartsWith("fc", StringComparison.OrdinalIgnoreCase))
                layer = HiddenLayer.Fc(ParseSize(spec, new Token(t.Text[2..], t.Position + 2), "the fc layer's unit count (fcN, e.g. fc128)"));
            else if (char.IsAsciiDigit(t.Text[0])) layer = HiddenLayer.Conv(ParseSize(spec, t, "a conv layer's filter count"));
            else throw Error(spec, $"unknown layer '{t.Text}' (expected a filter count such as 32, 'pool', or fcN such as fc128).", t.Position, t.Text.Length);

            if (hidden.Count == 0 && layer.Kind != HiddenLayerKind.Conv)
                throw Error(spec, $"a convnet must start with a conv layer (a filter count such as 32), not '{t.Text}'.", t.Position, t.Text.Length);
            if (seenFc && layer.Kind != HiddenLayerKind.Fc)
                throw Error(spec, $"'{t.Text}' comes after an fc layer; conv and pool layers must all come before the fc layers.", t.Position, t.Text.Length);
            seenFc |= layer.Kind == HiddenLayerKind.Fc;
            hidden.Add(layer);
        }

        bool bn = false;
        var act = ActivationKind.Relu;
        Initialization? init = null;
        double dropout = 0;
        var loss = LossKind.Softmax;
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var opt in options)
        {
            var (key, value) = KeyValue(opt);
            if (key.Text.Length == 0) throw Error(spec, "empty option (two commas in a row, or a trailing comma).", opt.Position, 1);
            if (!seen.Add(key.Text)) throw Error(spec, $"option '{key.Text}' is given twice.", opt.Position, opt.Text.Length);
            if (key.Is("bn") && value is null) bn = true;
            else if (key.Is("act") && value is { } a) act = ParseActivation(spec, a);
            else if (key.Is("init") && value is { } i) init = ParseInit(spec, i);
            else if (key.Is("dropout") && value is { } d) dropout = ParseDropout(spec, d);
            else if (key.Is("loss") && value is { } l) loss = ParseLoss(spec, l, "loss");
            else if (key.Is("bn")) throw Error(spec, "bn takes no value (write just ',bn').", opt.Position, opt.Text.Length);
            else if (value is null && (key.Is("act") || key.Is("init") || key.Is("dropout") || key.Is("loss")))
                throw Error(spec, $"option '{key.Text}' needs a value: {key.Text}=VALUE.", opt.Position, opt.Text.Length);
            else throw Error(spec, $"unknown option '{opt.Text}' (expected bn, act=, init=, dropout= or loss=).", opt.Position, opt.Text.Length);
        }
        return kind == ModelKind.FullyConnected
            ? ModelSpec.FullyConnected(hidden.Select(h => h.Size), bn, act, init, dropout, loss)
            : ModelSpec.Convolutional(hidden, bn, act, init, dropout, loss);
    }

    private static int ParseSize(string spec, Token t, string what)
    {
        var tt = Trim(t);
        if (tt.Text.Length == 0) throw Error(spec, $"missing {what}.", tt.Position, 1);
        foreach (char c in tt.Text)
            if (!char.IsAsciiDigit(c)) throw Error(spec, $"'{tt.Text}' is not a whole number; expected {what}.", tt.Position, tt.Text.Length);
        if (!int.TryParse(tt.Text, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n < 1 || n > ModelSpec.MaxSize)
            throw Error(spec, $"{what} must be between 1 and {ModelSpec.MaxSize}, got '{tt.Text}'.", tt.Position, tt.Text.Length);
        return n;
    }

    private static LossKind ParseLoss(string spec, Token t, string what)
    {
        if (t.Is("softmax")) return LossKind.Softmax;
        if (t.Is("svm")) return LossKind.Svm;
        throw Error(spec, $"unknown {what} '{t.Text}' (expected softmax or svm).", t.Position, Math.Max(1, t.Text.Length));
    }

    private static ActivationKind ParseActivation(string spec, Token t)
    {
        foreach (var a in Enum.GetValues<ActivationKind>())
            if (t.Is(ModelSpec.ActivationName(a))) return a;
        throw Error(spec, $"unknown activation '{t.Text}' (expected relu, leaky, elu, tanh or sigmoid).", t.Position, Math.Max(1, t.Text.Length));
    }

    private static Initialization ParseInit(string spec, Token t)
    {
        if (t.Is("he")) return Initialization.He;
        if (t.Is("xavier")) return Initialization.Xavier;
        if (t.Text.StartsWith("gauss:", StringComparison.OrdinalIgnoreCase))
        {
            var std = Trim(new Token(t.Text[6..], t.Position + 6));
            if (double.TryParse(std.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out double s) && s > 0 && double.IsFinite(s))
                return Initialization.Gaussian(s);
            throw Error(spec, $"gauss:STD needs a positive number STD such as 0.01, got '{std.Text}'.", std.Position, Math.Max(1, std.Text.Length));
        }
        throw Error(spec, $"unknown init '{t.Text}' (expected he, xavier or gauss:STD).", t.Position, Math.Max(1, t.Text.Length));
    }

    private static double ParseDropout(string spec, Token t)
    {
        if (double.TryParse(t.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out double p) && p >= 0 && p < 1)
            return p;
        throw Error(spec, $"dropout=P needs a drop probability 0 <= P < 1 such as 0.3, got '{t.Text}'.", t.Position, Math.Max(1, t.Text.Length));
    }

    /// <summary>Splits "key=value" (value null when there is no '='); both trimmed, positions kept.</summary>
    private static (Token Key, Token? Value) KeyValue(Token opt)
    {
        int eq = opt.Text.IndexOf('=', StringComparison.Ordinal);
        if (eq < 0) return (Trim(opt), null);
        return (Trim(new Token(opt.Text[..eq], opt.Position)), Trim(new Token(opt.Text[(eq + 1)..], opt.Position + eq + 1)));
    }

    /// <summary>Splits spec[start, start+length) on a separator, keeping each part's (trimmed) position.</summary>
    private static Token[] Split(string spec, int start, int length, char separator)
    {
        var result = new List<Token>();
        int partStart = start, end = start + length;
        for (int i = start; i <= end; i++)
        {
            if (i < end && spec[i] != separator) continue;
            result.Add(Trim(new Token(spec[partStart..i], partStart)));
            partStart = i + 1;
        }
        return result.ToArray();
    }

    private static Token Trim(Token t)
    {
        int lead = t.Text.Length - t.Text.TrimStart().Length;
        return new Token(t.Text.Trim(), t.Position + lead);
    }

    private static bool IsKnownKind(string text) =>
        text.Trim() is var k && (k.Equals("knn", StringComparison.OrdinalIgnoreCase) || k.Equals("linear", StringComparison.OrdinalIgnoreCase)
            || k.Equals("fc", StringComparison.OrdinalIgnoreCase) || k.Equals("conv", StringComparison.OrdinalIgnoreCase));

    private static string Example(string kind) => kind.Trim().ToLowerInvariant() switch
    {
        "knn" => "knn:5",
        "linear" => "linear:softmax",
        "fc" => "fc:256",
        _ => "conv:32-pool-64-pool-fc128",
    };

    private static ModelSpecFormatException Error(string spec, string problem, int position, int length) =>
        new(spec, problem, position, length);
}
