// Register-blocked micro-kernels for the float GEMM. The bodies are fully unrolled over the tile so that every
// accumulator is a named local the JIT can keep in a register (C# has no register arrays).
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace CvLearn.Core.Tensors;

internal static partial class SgemmKernels
{
    /// <summary>Rows of the AVX2 tile.</summary>
    internal const int Avx2Mr = 6;
    /// <summary>Columns of the AVX2 tile (two 8-float vectors).</summary>
    internal const int Avx2Nr = 16;

    /// <summary>
    /// 6×16 Fma micro-kernel: C[6×16] = alpha·Ap·Bp (+ beta·C unless betaZero), where Ap is a packed
    /// 6-row panel (kc groups of 6 values) and Bp a packed 16-column panel (kc groups of 16 values).
    /// The 12 accumulators stay in registers for the whole kc loop; each k step is one broadcast per row
    /// and 2 loads of B feeding 12 FMAs.
    /// </summary>
    internal static unsafe void Avx2Kernel(int kc, float* ap, float* bp, float* c, nint ldc, float alpha, float beta, bool betaZero)
    {
        var c0_0 = Vector256<float>.Zero; var c0_1 = Vector256<float>.Zero;
        var c1_0 = Vector256<float>.Zero; var c1_1 = Vector256<float>.Zero;
        var c2_0 = Vector256<float>.Zero; var c2_1 = Vector256<float>.Zero;
        var c3_0 = Vector256<float>.Zero; var c3_1 = Vector256<float>.Zero;
        var c4_0 = Vector256<float>.Zero; var c4_1 = Vector256<float>.Zero;
        var c5_0 = Vector256<float>.Zero; var c5_1 = Vector256<float>.Zero;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector256.Load(bp + 0);
            var b1 = Vector256.Load(bp + 8);
            var a0 = Vector256.Create(ap[0]);
            c0_0 = Fma.MultiplyAdd(a0, b0, c0_0);
            c0_1 = Fma.MultiplyAdd(a0, b1, c0_1);
            var a1 = Vector256.Create(ap[1]);
            c1_0 = Fma.MultiplyAdd(a1, b0, c1_0);
            c1_1 = Fma.MultiplyAdd(a1, b1, c1_1);
            var a2 = Vector256.Create(ap[2]);
            c2_0 = Fma.MultiplyAdd(a2, b0, c2_0);
            c2_1 = Fma.MultiplyAdd(a2, b1, c2_1);
            var a3 = Vector256.Create(ap[3]);
            c3_0 = Fma.MultiplyAdd(a3, b0, c3_0);
            c3_1 = Fma.MultiplyAdd(a3, b1, c3_1);
            var a4 = Vector256.Create(ap[4]);
            c4_0 = Fma.MultiplyAdd(a4, b0, c4_0);
            c4_1 = Fma.MultiplyAdd(a4, b1, c4_1);
            var a5 = Vector256.Create(ap[5]);
            c5_0 = Fma.MultiplyAdd(a5, b0, c5_0);
            c5_1 = Fma.MultiplyAdd(a5, b1, c5_1);
            ap += 6;
            bp += 16;
        }
        var alphaV = Vector256.Create(alpha);
        if (betaZero)
        {
            Vector256.Store(c0_0 * alphaV, c + 0 * ldc + 0);
            Vector256.Store(c0_1 * alphaV, c + 0 * ldc + 8);
            Vector256.Store(c1_0 * alphaV, c + 1 * ldc + 0);
            Vector256.Store(c1_1 * alphaV, c + 1 * ldc + 8);
            Vector256.Store(c2_0 * alphaV, c + 2 * ldc + 0);
            Vector256.Store(c2_1 * alphaV, c + 2 * ldc + 8);
            Vector256.Store(c3_0 * alphaV, c + 3 * ldc + 0);
            Vector256.Store(c3_1 * alphaV, c + 3 * ldc + 8);
            Vector256.Store(c4_0 * alphaV, c + 4 * ldc + 0);
            Vector256.Store(c4_1 * alphaV, c + 4 * ldc + 8);
            Vector256.Store(c5_0 * alphaV, c + 5 * ldc + 0);
            Vector256.Store(c5_1 * alphaV, c + 5 * ldc + 8);
        }
        else
        {
            var betaV = Vector256.Create(beta);
            Vector256.Store(Fma.MultiplyAdd(c0_0, alphaV, Vector256.Load(c + 0 * ldc + 0) * betaV), c + 0 * ldc + 0);
            Vector256.Store(Fma.MultiplyAdd(c0_1, alphaV, Vector256.Load(c + 0 * ldc + 8) * betaV), c + 0 * ldc + 8);
            Vector256.Store(Fma.MultiplyAdd(c1_0, alphaV, Vector256.Load(c + 1 * ldc + 0) * betaV), c + 1 * ldc + 0);
            Vector256.Store(Fma.MultiplyAdd(c1_1, alphaV, Vector256.Load(c + 1 * ldc + 8) * betaV), c + 1 * ldc + 8);
            Vector256.Store(Fma.MultiplyAdd(c2_0, alphaV, Vector256.Load(c + 2 * ldc + 0) * betaV), c + 2 * ldc + 0);
            Vector256.Store(Fma.MultiplyAdd(c2_1, alphaV, Vector256.Load(c + 2 * ldc + 8) * betaV), c + 2 * ldc + 8);
            Vector256.Store(Fma.MultiplyAdd(c3_0, alphaV, Vector256.Load(c + 3 * ldc + 0) * betaV), c + 3 * ldc + 0);
            Vector256.Store(Fma.MultiplyAdd(c3_1, alphaV, Vector256.Load(c + 3 * ldc + 8) * betaV), c + 3 * ldc + 8);
            Vector256.Store(Fma.MultiplyAdd(c4_0, alphaV, Vector256.Load(c + 4 * ldc + 0) * betaV), c + 4 * ldc + 0);
            Vector256.Store(Fma.MultiplyAdd(c4_1, alphaV, Vector256.Load(c + 4 * ldc + 8) * betaV), c + 4 * ldc + 8);
            Vector256.Store(Fma.MultiplyAdd(c5_0, alphaV, Vector256.Load(c + 5 * ldc + 0) * betaV), c + 5 * ldc + 0);
            Vector256.Store(Fma.MultiplyAdd(c5_1, alphaV, Vector256.Load(c + 5 * ldc + 8) * betaV), c + 5 * ldc + 8);
        }
    }
}
