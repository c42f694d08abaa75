using System.Runtime.InteropServices;

namespace CvLearn.Core.Tensors;

/// <summary>
/// Per-thread, 64-byte aligned packing buffers for the float GEMM. Each thread that runs a GEMM block keeps one
/// instance (thread-static), so steady-state calls allocate nothing; the buffers only grow. The native memory is
/// released by the finalizer when the owning thread dies and the instance becomes unreachable.
/// </summary>
internal sealed unsafe class SgemmScratch
{
    [ThreadStatic] private static SgemmScratch? _current;

    private float* _a;
    private nuint _aCapacity;
    private float* _b;
    private nuint _bCapacity;

    /// <summary>The calling thread's scratch instance.</summary>
    public static SgemmScratch Current => _current ??= new SgemmScratch();

    /// <summary>A buffer of at least <paramref name="floats"/> floats for the packed A block (mc×kc).</summary>
    public float* A(nuint floats) => Ensure(ref _a, ref _aCapacity, floats);

    /// <summary>A buffer of at least <paramref name="floats"/> floats for the packed B block (kc×nc).</summary>
    public float* B(nuint floats) => Ensure(ref _b, ref _bCapacity, floats);

    private static float* Ensure(ref float* buffer, ref nuint capacity, nuint floats)
    {
        if (floats <= capacity) return buffer;
        // Grow geometrically so that slowly growing shapes do not reallocate on every call.
        nuint size = Math.Max(floats, capacity * 2);
        if (buffer != null) NativeMemory.AlignedFree(buffer);
        buffer = null;
        capacity = 0;
        buffer = (float*)NativeMemory.AlignedAlloc(size * sizeof(float), 64);
        capacity = size;
        return buffer;
    }

    ~SgemmScratch()
    {
        if (_a != null) NativeMemory.AlignedFree(_a);
        if (_b != null) NativeMemory.AlignedFree(_b);
    }
}
