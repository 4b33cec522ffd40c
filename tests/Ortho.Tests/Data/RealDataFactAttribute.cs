using Ortho.Data;
using Xunit;

namespace Ortho.Tests.Data;

/// <summary>
/// A fact about a real data set: reported as skipped, with the reason, when the data set is not in the data directory
/// ($ORTHO_DATA or the repository's data/, filled by ortho data fetch).
/// </summary>
public sealed class RealDataFactAttribute : FactAttribute
{
    public RealDataFactAttribute(string dataSet)
    {
        string dir = Path.Combine(DataDirectory.Resolve(), dataSet);
        if (!Directory.Exists(dir)) Skip = $"needs the real {dataSet} data set, absent from {dir}: run ortho data fetch or set ORTHO_DATA";
    }
}
