namespace CvLearn.Core.Training;

/// <summary>
/// A layer with its own random stream (dropout). The Solver reseeds every such layer at the start of each epoch
/// from (Seed, epoch, layer index), so that a run resumed at epoch e draws the same masks as an uninterrupted one.
/// </summary>
public interface IReseedable
{
    /// <summary>Restarts the layer's random stream from <paramref name="seed"/>.</summary>
    void Reseed(int seed);
}
