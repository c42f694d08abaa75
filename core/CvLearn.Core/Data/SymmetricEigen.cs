namespace CvLearn.Core.Data;

/// <summary>
/// Eigen-decomposition of a real symmetric matrix in double precision: Householder reduction to tridiagonal form,
/// then implicit symmetric QR steps with Wilkinson shifts (Golub &amp; Van Loan §8.3). O(n³) with a small constant:
/// a 784×784 covariance (Fashion-MNIST pixels) takes on the order of a second, where cyclic Jacobi would take many.
/// Eigenvectors are kept as ROWS of a row-major matrix so that every rotation touches two contiguous rows.
/// </summary>
public static class SymmetricEigen
{
    /// <summary>
    /// Decomposes the symmetric n×n row-major matrix <paramref name="a"/> (only read; the lower triangle is used).
    /// Returns eigenvalues in descending order and the matching unit eigenvectors as rows of an n×n row-major array.
    /// </summary>
    public static (double[] Values, double[] Vectors) Decompose(ReadOnlySpan<double> a, int n)
    {
        if (n < 0 || a.Length != (long)n * n) throw new ArgumentException($"Expected an {n}×{n} matrix ({(long)n * n} values), got {a.Length} values.");
        var m = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                m[i * n + j] = i >= j ? a[i * n + j] : a[j * n + i];
        for (int i = 0; i < m.Length; i++)
            if (!double.IsFinite(m[i])) throw new ArgumentException("The matrix contains NaN or infinite values.");

        var v = new double[n * n];  // rows: accumulated transform Qᵀ
        for (int i = 0; i < n; i++) v[i * n + i] = 1;
        var d = new double[n];
        var e = new double[Math.Max(n - 1, 0)];
        Tridiagonalize(m, n, d, e, v);
        TridiagonalQr(d, e, v, n);
        return SortDescending(d, v, n);
    }

    /// <summary>A = Q T Qᵀ with T = tridiag(e, d, e). On exit v holds Qᵀ (rows), d the diagonal, e the off-diagonal.</summary>
    private static void Tridiagonalize(double[] a, int n, double[] d, double[] e, double[] v)
    {
        var h = new double[n];   // Householder vector (unit), entries k+1..n-1
        var p = new double[n];
        for (int k = 0; k < n - 2; k++)
        {
            int s = k + 1, len = n - s;
            double norm = 0;
            for (int i = s; i < n; i++) norm += a[i * n + k] * a[i * n + k];
            norm = Math.Sqrt(norm);
            double x0 = a[s * n + k];
            if (norm == 0 || (len == 1)) { e[k] = x0; continue; }
            // Reflect x onto alpha·e₁ with alpha of opposite sign to x₀, avoiding cancellation in x₀ − alpha.
            double alpha = x0 > 0 ? -norm : norm;
            for (int i = s; i < n; i++) h[i] = a[i * n + k];
            h[s] -= alpha;
            double hn = 0;
            for (int i = s; i < n; i++) hn += h[i] * h[i];
            hn = Math.Sqrt(hn);
            if (hn == 0) { e[k] = x0; continue; }
            for (int i = s; i < n; i++) h[i] /= hn;
            e[k] = alpha;

            // A22 ← H A22 H with H = I − 2hhᵀ: p = A22 h, K = hᵀp, q = p − K h, A22 −= 2(h qᵀ + q hᵀ).
            double kk = 0;
            for (int i = s; i < n; i++)
            {
                double sum = 0;
                int row = i * n;
                for (int j = s; j < n; j++) sum += a[row + j] * h[j];
                p[i] = sum;
                kk += h[i] * sum;
            }
            for (int i = s; i < n; i++) p[i] -= kk * h[i];
            for (int i = s; i < n; i++)
            {
                int row = i * n;
                double hi = h[i], qi = p[i];
                for (int j = s; j < n; j++) a[row + j] -= 2 * (hi * p[j] + qi * h[j]);
            }
            // Qᵀ ← H Qᵀ: rows s..n−1 of v change.
            for (int c = 0; c < n; c++) p[c] = 0;
            for (int i = s; i < n; i++)
            {
                double hi = h[i];
                int row = i * n;
                for (int c = 0; c < n; c++) p[c] += hi * v[row + c];
            }
            for (int i = s; i < n; i++)
            {
                double f = 2 * h[i];
                int row = i * n;
                for (int c = 0; c < n; c++) v[row + c] -= f * p[c];
            }
        }
        for (int i = 0; i < n; i++) d[i] = a[i * n + i];
        if (n >= 2) e[n - 2] = a[(n - 1) * n + n - 2];
    }

    /// <summary>Diagonalises the tridiagonal (d, e) in place, applying every rotation to the rows of v.</summary>
    private static void TridiagonalQr(double[] d, double[] e, double[] v, int n)
    {
        int maxIterations = 60 * Math.Max(n, 1);
        int iterations = 0;
        int hi = n - 1;
        while (hi > 0)
        {
            // Deflate converged off-diagonals at the bottom.
            if (Negligible(e[hi - 1], d[hi - 1], d[hi])) { e[hi - 1] = 0; hi--; continue; }
            int lo = hi - 1;
            while (lo > 0 && !Negligible(e[lo - 1], d[lo - 1], d[lo])) lo--;
            if (lo > 0) e[lo - 1] = 0;
            if (++iterations > maxIterations)
                throw new InvalidOperationException($"Symmetric eigensolver did not converge after {maxIterations} QR steps (n = {n}).");
            QrStep(d, e, v, n, lo, hi);
        }
    }

    private static bool Negligible(double off, double d1, double d2)
        => Math.Abs(off) <= 1e-15 * (Math.Abs(d1) + Math.Abs(d2)) || Math.Abs(off) < 1e-300;

    /// <summary>One implicit QR step with Wilkinson shift on the unreduced block lo..hi (bulge chasing with Givens rotations).</summary>
    private static void QrStep(double[] d, double[] e, double[] v, int n, int lo, int hi)
    {
        double delta = (d[hi - 1] - d[hi]) / 2;
        double b2 = e[hi - 1] * e[hi - 1];
        double denom = delta + (delta >= 0 ? 1 : -1) * Math.Sqrt(delta * delta + b2);
        double mu = denom == 0 ? d[hi] : d[hi] - b2 / denom;

        double x = d[lo] - mu, z = e[lo];
        double bulge = 0;
        for (int k = lo; k < hi; k++)
        {
            double r = Math.Sqrt(x * x + z * z);
            double c = r == 0 ? 1 : x / r, s = r == 0 ? 0 : z / r;
            // T ← R T Rᵀ with R = [[c, s], [−s, c]] on indices k, k+1.
            if (k > lo) e[k - 1] = r;   // the rotation zeroes the bulge at (k+1, k−1)
            double a = d[k], b = e[k], dd = d[k + 1];
            double cc = c * c, ss = s * s, cs = c * s;
            d[k] = cc * a + 2 * cs * b + ss * dd;
            d[k + 1] = ss * a - 2 * cs * b + cc * dd;
            e[k] = cs * (dd - a) + (cc - ss) * b;
            if (k + 1 < hi)
            {
                bulge = s * e[k + 1];
                e[k + 1] *= c;
            }
            // Qᵀ ← R Qᵀ: combine rows k and k+1.
            Span<double> rk = v.AsSpan(k * n, n), rk1 = v.AsSpan((k + 1) * n, n);
            for (int j = 0; j < n; j++)
            {
                double p = rk[j], q = rk1[j];
                rk[j] = c * p + s * q;
                rk1[j] = -s * p + c * q;
            }
            x = e[k];
            z = bulge;
        }
    }

    private static (double[] Values, double[] Vectors) SortDescending(double[] d, double[] v, int n)
    {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Array.Sort(order, (i, j) => d[j].CompareTo(d[i]));
        var values = new double[n];
        var vectors = new double[n * n];
        for (int r = 0; r < n; r++)
        {
            values[r] = d[order[r]];
            v.AsSpan(order[r] * n, n).CopyTo(vectors.AsSpan(r * n, n));
        }
        return (values, vectors);
    }
}
