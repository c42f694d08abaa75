using CvLearn.Core.Optim;

namespace CvLearn.Core.Tests.Optim;

public class UpdateRuleStateTests
{
    public static TheoryData<string> RuleNames()
    {
        var data = new TheoryData<string>();
        foreach (var n in UpdateRules.Names) data.Add(n);
        return data;
    }

    private static float[] Grad(int step, int n)
    {
        var g = new float[n];
        for (int i = 0; i < n; i++) g[i] = MathF.Sin(step * 1.3f + i * 0.7f);
        return g;
    }

    [Theory]
    [MemberData(nameof(RuleNames))]
    public void ExportImportResumesExactly(string name)
    {
        const int n = 21;
        var reference = UpdateRules.Create(name);
        var wRef = new float[n];
        for (int s = 0; s < 5; s++) reference.Step(wRef, Grad(s, n), 0.05f);

        var first = UpdateRules.Create(name);
        var w = new float[n];
        for (int s = 0; s < 3; s++) first.Step(w, Grad(s, n), 0.05f);
        var exported = first.ExportState();
        var resumed = UpdateRules.Create(name);
        resumed.ImportState(exported, first.Steps);
        Assert.Equal(3, resumed.Steps);
        for (int s = 3; s < 5; s++) resumed.Step(w, Grad(s, n), 0.05f);

        Assert.Equal(wRef, w);
        Assert.Equal(5, resumed.Steps);
        var a = reference.ExportState();
        var b = resumed.ExportState();
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        foreach (var key in a.Keys) Assert.Equal(a[key], b[key]);
    }

    [Fact]
    public void ExportedStateIsACopy()
    {
        var rule = new Momentum();
        var w = new float[4];
        rule.Step(w, [1, 2, 3, 4], 0.1f);
        var exported = rule.ExportState();
        exported["velocity"][0] = 123;
        Assert.NotEqual(123, rule.ExportState()["velocity"][0]);
    }

    [Fact]
    public void ExportCopiesIntoTheCallersArraysOfTheRightLength()
    {
        var rule = new Adam();
        var w = new float[4];
        rule.Step(w, [1, 2, 3, 4], 0.1f);
        var mine = new Dictionary<string, float[]> { ["m"] = new float[4], ["v"] = new float[4] };
        var exported = rule.ExportState((name, length) => mine[name]);
        Assert.Same(mine["m"], exported["m"]);
        Assert.Equal(rule.ExportState()["v"], mine["v"]);
        Assert.NotEqual(0f, mine["v"][3]);
        var ex = Assert.Throws<ArgumentException>(() => rule.ExportState((_, _) => new float[3]));
        Assert.Contains("has 3 elements, not 4", ex.Message);
    }

    [Fact]
    public void StateNamesPerRule()
    {
        Assert.Empty(new Sgd().ExportState());
        Assert.Equal(["velocity"], new Momentum().ExportState().Keys);
        Assert.Equal(["velocity"], new NesterovMomentum().ExportState().Keys);
        Assert.Equal(["cache"], new Adagrad().ExportState().Keys);
        Assert.Equal(["cache"], new RmsProp().ExportState().Keys);
        Assert.Equal(["m", "v"], new Adam().ExportState().Keys.Order());
    }

    [Fact]
    public void ImportRejectsForeignOrInconsistentState()
    {
        var adam = new Adam();
        var ex = Assert.Throws<ArgumentException>(() => adam.ImportState(new Dictionary<string, float[]> { ["velocity"] = new float[3] }, 1));
        Assert.Contains("velocity", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => adam.ImportState(new Dictionary<string, float[]> { ["m"] = new float[3] }, 1));
        Assert.Contains("'v' is missing", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => adam.ImportState(new Dictionary<string, float[]> { ["m"] = new float[3], ["v"] = new float[4] }, 1));
        Assert.Contains("different lengths", ex.Message);
    }

    [Fact]
    public void StepRejectsMismatchedLengths()
    {
        var rule = new Momentum();
        rule.Step(new float[3], new float[3], 0.1f);
        Assert.Throws<ArgumentException>(() => rule.Step(new float[4], new float[4], 0.1f));
        Assert.Throws<ArgumentException>(() => rule.Step(new float[3], new float[2], 0.1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => rule.Step(new float[3], new float[3], float.NaN));
    }

    [Fact]
    public void FactoryKnowsAllNamesAndListsThemOnError()
    {
        foreach (var name in UpdateRules.Names) Assert.Equal(name, UpdateRules.Create(name).Name);
        Assert.Equal("momentum", UpdateRules.Create(" SGD_Momentum ").Name);
        var ex = Assert.Throws<ArgumentException>(() => UpdateRules.Create("adamw"));
        Assert.Contains("adamw", ex.Message);
        foreach (var name in UpdateRules.Names) Assert.Contains(name, ex.Message);
    }

    [Fact]
    public void FactoryPassesOptions()
    {
        // Momentum with μ = 0 degenerates to SGD: compare trajectories.
        var w1 = new float[] { 1, 2, 3 };
        var w2 = new float[] { 1, 2, 3 };
        var zeroMu = UpdateRules.Create("momentum", new UpdateRuleOptions { Momentum = 0 });
        var sgd = UpdateRules.Create("sgd");
        for (int s = 0; s < 3; s++)
        {
            zeroMu.Step(w1, [0.5f, -1, 2], 0.1f);
            sgd.Step(w2, [0.5f, -1, 2], 0.1f);
        }
        Assert.Equal(w2, w1);
        var ex = Assert.Throws<ArgumentException>(() => UpdateRules.Create("adam", new UpdateRuleOptions { Beta2 = 1 }));
        Assert.Contains("Beta2", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => UpdateRules.Create("rmsprop", new UpdateRuleOptions { Epsilon = 0 }));
        Assert.Contains("Epsilon", ex.Message);
    }

    [Fact]
    public void StepDoesNotAllocate()
    {
        var w = new float[1000];
        var g = new float[1000];
        foreach (var name in UpdateRules.Names)
        {
            var rule = UpdateRules.Create(name);
            rule.Step(w, g, 0.1f); // sizes the state
            rule.Step(w, g, 0.1f);
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int s = 0; s < 10; s++) rule.Step(w, g, 0.1f);
            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        }
    }
}
