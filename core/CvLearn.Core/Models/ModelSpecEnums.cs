namespace CvLearn.Core.Models;

/// <summary>The model families a <see cref="ModelSpec"/> can describe.</summary>
public enum ModelKind
{
    /// <summary>k-nearest neighbours (<c>knn:K[:l1|l2]</c>); no parameters, not a <see cref="Network{T}"/>.</summary>
    Knn,
    /// <summary>One affine layer plus a loss (<c>linear:softmax</c>, <c>linear:svm</c>).</summary>
    Linear,
    /// <summary>Fully-connected net (<c>fc:512-256</c>).</summary>
    FullyConnected,
    /// <summary>Convolutional net (<c>conv:32-pool-64-pool-fc128</c>).</summary>
    Convolutional,
}

/// <summary>Distance used by k-nearest neighbours.</summary>
public enum DistanceMetric
{
    /// <summary>Manhattan distance Σ|xᵢ − tᵢ|.</summary>
    L1,
    /// <summary>Euclidean distance (ranked by its square, Σ(xᵢ − tᵢ)²).</summary>
    L2,
}

/// <summary>Loss on the class scores.</summary>
public enum LossKind
{
    /// <summary>Softmax cross-entropy.</summary>
    Softmax,
    /// <summary>Multiclass SVM hinge loss (Weston-Watkins, margin 1).</summary>
    Svm,
}

/// <summary>Hidden-layer non-linearity.</summary>
public enum ActivationKind
{
    Relu,
    /// <summary>Leaky ReLU with slope 0.01 for x &lt; 0.</summary>
    Leaky,
    /// <summary>ELU with α = 1.</summary>
    Elu,
    Tanh,
    Sigmoid,
}

/// <summary>One element of the hidden-layer list of an fc/conv spec.</summary>
public enum HiddenLayerKind
{
    /// <summary>Conv layer of <see cref="HiddenLayer.Size"/> 3×3 filters, stride 1, pad 1, followed by the activation.</summary>
    Conv,
    /// <summary>2×2 max-pool with stride 2.</summary>
    Pool,
    /// <summary>Fully-connected layer of <see cref="HiddenLayer.Size"/> units, followed by the activation.</summary>
    Fc,
}

/// <summary>A hidden layer as written in a spec: kind and size (filters or units; 0 for pool).</summary>
public readonly record struct HiddenLayer(HiddenLayerKind Kind, int Size)
{
    public static HiddenLayer Conv(int filters) => new(HiddenLayerKind.Conv, filters);
    public static HiddenLayer Fc(int units) => new(HiddenLayerKind.Fc, units);
    public static HiddenLayer Pool => new(HiddenLayerKind.Pool, 0);
}
