using Ortho.Tests.Infrastructure;
using Xunit;

namespace Ortho.Tests;

public class SmokeTests
{
    [Fact]
    public void FixtureDirectoryHoldsThePeerFiles() =>
        Assert.True(File.Exists(Path.Combine(Fixtures.Directory, "activations.json")));
}
