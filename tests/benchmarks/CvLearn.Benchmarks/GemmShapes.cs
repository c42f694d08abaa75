namespace CvLearn.Benchmarks;

/// <summary>
/// GEMM shapes the trainer actually issues (batch 128, MNIST-sized inputs), plus 2048³ as a peak-throughput probe.
/// gemm_bench.py times numpy at the same list (kept in sync by hand: name, transA, transB, m, n, k).
/// </summary>
internal static class GemmShapes
{
    public static readonly (string Name, bool TransA, bool TransB, int M, int N, int K)[] All =
    [
        ("fc_forward_128x784x256", false, false, 128, 256, 784),   // X(128×784)·W(784×256)
        ("fc_weight_grad_TN", true, false, 784, 256, 128),          // Xᵀ(784×128)·dY(128×256)
        ("fc_input_grad_NT", false, true, 128, 784, 256),           // dY(128×256)·Wᵀ(256×784)
        ("conv1_im2col_NT", false, true, 64 * 28 * 28, 32, 9),       // cols(50176×9)·Wᵀ(9×32)
        ("conv2_im2col_NT", false, true, 64 * 14 * 14, 64, 288),     // cols(12544×288)·Wᵀ(288×64)
        ("square_2048", false, false, 2048, 2048, 2048),
    ];

    /// <summary>Cubes around the size where a second thread starts to pay off.</summary>
    public static readonly (string Name, bool TransA, bool TransB, int M, int N, int K)[] Small =
    [
        ("cube_32", false, false, 32, 32, 32),
        ("cube_48", false, false, 48, 48, 48),
        ("cube_64", false, false, 64, 64, 64),
        ("cube_96", false, false, 96, 96, 96),
        ("cube_128", false, false, 128, 128, 128),
        ("batch32_fc_784x256", false, false, 32, 256, 784),
    ];
}
