using System.Buffers;
using CvLearn.Core.Training;

namespace CvLearn.Worker.Running;

/// <summary>
/// The memory a worker's trials checkpoint through, shared by its runners (a worker runs one trial at a time, and a
/// trial's last save finishes before the trial ends): the arrays each epoch is captured into, and the buffer it is
/// serialized into. Reusing them spares ~20 MB of fresh memory per fc:512-256 epoch, which in a VM costs ~3 ms per
/// MB of kernel time that the machine's other workers lose too.
/// </summary>
public sealed class TrialBuffers
{
    /// <summary>Where each epoch's checkpoint is captured (two alternating sets: one is saved while the next is taken).</summary>
    public CaptureBuffers Capture { get; } = new();

    /// <summary>Where a checkpoint is serialized before it is stored.</summary>
    public ArrayBufferWriter<byte> Serialized { get; } = new();
}
