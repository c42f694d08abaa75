// Register-blocked micro-kernels for the float GEMM. The bodies are fully unrolled over the tile so that every
// accumulator is a named local the JIT can keep in a register (C# has no register arrays).
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace CvLearn.Core.Tensors;

internal static partial class SgemmKernels
{
    /// <summary>Rows of the AVX-512 tile.</summary>
    internal const int Avx512Mr = 12;
    /// <summary>Columns of the AVX-512 tile (two 16-float vectors).</summary>
    internal const int Avx512Nr = 32;

    /// <summary>
    /// 12×32 Avx512F micro-kernel: C[12×32] = alpha·Ap·Bp (+ beta·C unless betaZero), where Ap is a packed
    /// 12-row panel (kc groups of 12 values) and Bp a packed 32-column panel (kc groups of 32 values).
    /// The 24 accumulators stay in registers for the whole kc loop; each k step is one broadcast per row
    /// and 2 loads of B feeding 24 FMAs.
    /// </summary>
    internal static unsafe void Avx512Kernel(int kc, float* ap, float* bp, float* c, nint ldc, float alpha, float beta, bool betaZero)
    {
        var c0_0 = Vector512<float>.Zero; var c0_1 = Vector512<float>.Zero;
        var c1_0 = Vector512<float>.Zero; var c1_1 = Vector512<float>.Zero;
        var c2_0 = Vector512<float>.Zero; var c2_1 = Vector512<float>.Zero;
        var c3_0 = Vector512<float>.Zero; var c3_1 = Vector512<float>.Zero;
        var c4_0 = Vector512<float>.Zero; var c4_1 = Vector512<float>.Zero;
        var c5_0 = Vector512<float>.Zero; var c5_1 = Vector512<float>.Zero;
        var c6_0 = Vector512<float>.Zero; var c6_1 = Vector512<float>.Zero;
        var c7_0 = Vector512<float>.Zero; var c7_1 = Vector512<float>.Zero;
        var c8_0 = Vector512<float>.Zero; var c8_1 = Vector512<float>.Zero;
        var c9_0 = Vector512<float>.Zero; var c9_1 = Vector512<float>.Zero;
        var c10_0 = Vector512<float>.Zero; var c10_1 = Vector512<float>.Zero;
        var c11_0 = Vector512<float>.Zero; var c11_1 = Vector512<float>.Zero;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(bp + 0);
            var b1 = Vector512.Load(bp + 16);
            var a0 = Vector512.Create(ap[0]);
            c0_0 = Avx512F.FusedMultiplyAdd(a0, b0, c0_0);
            c0_1 = Avx512F.FusedMultiplyAdd(a0, b1, c0_1);
            var a1 = Vector512.Create(ap[1]);
            c1_0 = Avx512F.FusedMultiplyAdd(a1, b0, c1_0);
            c1_1 = Avx512F.FusedMultiplyAdd(a1, b1, c1_1);
            var a2 = Vector512.Create(ap[2]);
            c2_0 = Avx512F.FusedMultiplyAdd(a2, b0, c2_0);
            c2_1 = Avx512F.FusedMultiplyAdd(a2, b1, c2_1);
            var a3 = Vector512.Create(ap[3]);
            c3_0 = Avx512F.FusedMultiplyAdd(a3, b0, c3_0);
            c3_1 = Avx512F.FusedMultiplyAdd(a3, b1, c3_1);
            var a4 = Vector512.Create(ap[4]);
            c4_0 = Avx512F.FusedMultiplyAdd(a4, b0, c4_0);
            c4_1 = Avx512F.FusedMultiplyAdd(a4, b1, c4_1);
            var a5 = Vector512.Create(ap[5]);
            c5_0 = Avx512F.FusedMultiplyAdd(a5, b0, c5_0);
            c5_1 = Avx512F.FusedMultiplyAdd(a5, b1, c5_1);
            var a6 = Vector512.Create(ap[6]);
            c6_0 = Avx512F.FusedMultiplyAdd(a6, b0, c6_0);
            c6_1 = Avx512F.FusedMultiplyAdd(a6, b1, c6_1);
            var a7 = Vector512.Create(ap[7]);
            c7_0 = Avx512F.FusedMultiplyAdd(a7, b0, c7_0);
            c7_1 = Avx512F.FusedMultiplyAdd(a7, b1, c7_1);
            var a8 = Vector512.Create(ap[8]);
            c8_0 = Avx512F.FusedMultiplyAdd(a8, b0, c8_0);
            c8_1 = Avx512F.FusedMultiplyAdd(a8, b1, c8_1);
            var a9 = Vector512.Create(ap[9]);
            c9_0 = Avx512F.FusedMultiplyAdd(a9, b0, c9_0);
            c9_1 = Avx512F.FusedMultiplyAdd(a9, b1, c9_1);
            var a10 = Vector512.Create(ap[10]);
            c10_0 = Avx512F.FusedMultiplyAdd(a10, b0, c10_0);
            c10_1 = Avx512F.FusedMultiplyAdd(a10, b1, c10_1);
            var a11 = Vector512.Create(ap[11]);
            c11_0 = Avx512F.FusedMultiplyAdd(a11, b0, c11_0);
            c11_1 = Avx512F.FusedMultiplyAdd(a11, b1, c11_1);
            ap += 12;
            bp += 32;
        }
        var alphaV = Vector512.Create(alpha);
        if (betaZero)
        {
            Vector512.Store(c0_0 * alphaV, c + 0 * ldc + 0);
            Vector512.Store(c0_1 * alphaV, c + 0 * ldc + 16);
            Vector512.Store(c1_0 * alphaV, c + 1 * ldc + 0);
            Vector512.Store(c1_1 * alphaV, c + 1 * ldc + 16);
            Vector512.Store(c2_0 * alphaV, c + 2 * ldc + 0);
            Vector512.Store(c2_1 * alphaV, c + 2 * ldc + 16);
            Vector512.Store(c3_0 * alphaV, c + 3 * ldc + 0);
            Vector512.Store(c3_1 * alphaV, c + 3 * ldc + 16);
            Vector512.Store(c4_0 * alphaV, c + 4 * ldc + 0);
            Vector512.Store(c4_1 * alphaV, c + 4 * ldc + 16);
            Vector512.Store(c5_0 * alphaV, c + 5 * ldc + 0);
            Vector512.Store(c5_1 * alphaV, c + 5 * ldc + 16);
            Vector512.Store(c6_0 * alphaV, c + 6 * ldc + 0);
            Vector512.Store(c6_1 * alphaV, c + 6 * ldc + 16);
            Vector512.Store(c7_0 * alphaV, c + 7 * ldc + 0);
            Vector512.Store(c7_1 * alphaV, c + 7 * ldc + 16);
            Vector512.Store(c8_0 * alphaV, c + 8 * ldc + 0);
            Vector512.Store(c8_1 * alphaV, c + 8 * ldc + 16);
            Vector512.Store(c9_0 * alphaV, c + 9 * ldc + 0);
            Vector512.Store(c9_1 * alphaV, c + 9 * ldc + 16);
            Vector512.Store(c10_0 * alphaV, c + 10 * ldc + 0);
            Vector512.Store(c10_1 * alphaV, c + 10 * ldc + 16);
            Vector512.Store(c11_0 * alphaV, c + 11 * ldc + 0);
            Vector512.Store(c11_1 * alphaV, c + 11 * ldc + 16);
        }
        else
        {
            var betaV = Vector512.Create(beta);
            Vector512.Store(Avx512F.FusedMultiplyAdd(c0_0, alphaV, Vector512.Load(c + 0 * ldc + 0) * betaV), c + 0 * ldc + 0);
            Vector512.Store(Avx512F.FusedMultiplyAdd(c0_1, alphaV, Vector512.Load(c + 0 * ldc + 16) * betaV), c + 0 * ldc + 16);
            Vector512.Store(Avx512F.FusedMultiplyAdd(c1_0, alphaV, Vector512.Load(c + 1 * ldc + 0) * betaV), c + 1 * ldc + 0);
            Vector512.Store(Avx512F.FusedMultiplyAdd(c1_1, alphaV, Vector512.Load(c + 1 * ldc + 16) * betaV), c + 1 * ldc + 16);
            Vector512.Store(Avx512F.FusedMultiplyAdd(c2_0, alphaV, Vector512.Load(c + 2 * ldc + 0) * betaV), c + 2 * ldc + 0);
            Vector512.Store(Avx512F.FusedMultiplyAdd(c2_1, alphaV, Vector512.Load(c + 2 * ldc + 16) * betaV), c + 2 * ldc + 16);
            Vector512.Store(Avx512F.FusedMultiplyAdd(c3_0, alphaV, Vector512.Load(c + 3 * ldc + 0) * betaV), c + 3 * ldc + 0);
            Vector512.Store(Avx512F.FusedMultiplyAdd(c3_1, alphaV, Vector512.Load(c + 3 * ldc + 16) * betaV), c + 3 * ldc + 16);
            Vector512.Store(Avx512F.FusedMultiplyAdd(c4_0, alphaV, Vector512.Load(c + 4 * ldc + 0) * betaV), c + 4 * ldc + 0);
            Vector512.Store(Avx512F.FusedMultiplyAdd(c4_1, alphaV, Vector512.Load(c + 4 * ldc + 16) * betaV), c + 4 * ldc + 16);
            Vector512.Store(Avx512F.FusedMultiplyAdd(c5_0, alphaV, Vector512.Load(c + 5 * ldc + 0) * betaV), c + 5 * ldc + 0);
            Vector512.Store(Avx512F.FusedMultiplyAdd(c5_1, alphaV, Vector512.Load(c + 5 * ldc + 16) * betaV), c + 5 * ldc + 16);
            Vector512.Store(Avx512F.FusedMultiplyAdd(c6_0, alphaV, Vector512.Load(c + 6 * ldc + 0) * betaV), c + 6 * ldc + 0);
            Vector512.Store(Avx512F.FusedMultiplyAdd(c6_1, alphaV, Vector512.Load(c + 6 * ldc + 16) * betaV), c + 6 * ldc + 16);
            Vector512.Store(Avx512F.FusedMultiplyAdd(c7_0, alphaV, Vector512.Load(c + 7 * ldc + 0) * betaV), c + 7 * ldc + 0);
            Vector512.Store(Avx512F.FusedMultiplyAdd(c7_1, alphaV, Vector512.Load(c + 7 * ldc + 16) * betaV), c + 7 * ldc + 16);
            Vector512.Store(Avx512F.FusedMultiplyAdd(c8_0, alphaV, Vector512.Load(c + 8 * ldc + 0) * betaV), c + 8 * ldc + 0);
            Vector512.Store(Avx512F.FusedMultiplyAdd(c8_1, alphaV, Vector512.Load(c + 8 * ldc + 16) * betaV), c + 8 * ldc + 16);
            Vector512.Store(Avx512F.FusedMultiplyAdd(c9_0, alphaV, Vector512.Load(c + 9 * ldc + 0) * betaV), c + 9 * ldc + 0);
            Vector512.Store(Avx512F.FusedMultiplyAdd(c9_1, alphaV, Vector512.Load(c + 9 * ldc + 16) * betaV), c + 9 * ldc + 16);
            Vector512.Store(Avx512F.FusedMultiplyAdd(c10_0, alphaV, Vector512.Load(c + 10 * ldc + 0) * betaV), c + 10 * ldc + 0);
            Vector512.Store(Avx512F.FusedMultiplyAdd(c10_1, alphaV, Vector512.Load(c + 10 * ldc + 16) * betaV), c + 10 * ldc + 16);
            Vector512.Store(Avx512F.FusedMultiplyAdd(c11_0, alphaV, Vector512.Load(c + 11 * ldc + 0) * betaV), c + 11 * ldc + 0);
            Vector512.Store(Avx512F.FusedMultiplyAdd(c11_1, alphaV, Vector512.Load(c + 11 * ldc + 16) * betaV), c + 11 * ldc + 16);
        }
    }
}
