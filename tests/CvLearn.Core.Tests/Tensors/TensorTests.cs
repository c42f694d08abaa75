using CvLearn.Core.Tensors;

namespace CvLearn.Core.Tests.Tensors;

public class TensorTests
{
    [Fact]
    public void ResizeReusesBufferWhenLargeEnough()
    {
        var t = new Tensor<float>(4, 5);
        var buffer = t.Buffer;
        t.Resize(2, 5);
        Assert.Same(buffer, t.Buffer);
        Assert.Equal(10, t.Length);
        t.Resize(5, 5);
        Assert.NotSame(buffer, t.Buffer);
    }

    [Fact]
    public void ReshapeRejectsWrongElementCount()
    {
        var t = new Tensor<double>(2, 3);
        var ex = Assert.Throws<ArgumentException>(() => t.Reshape(4, 2));
        Assert.Contains("(2, 3)", ex.Message);
    }

    [Fact]
    public void IndexerIsRowMajor()
    {
        var t = new Tensor<float>(2, 3);
        t[1, 2] = 7;
        Assert.Equal(7, t.Span[5]);
    }
}
