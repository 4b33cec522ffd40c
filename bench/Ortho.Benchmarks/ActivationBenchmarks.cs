using BenchmarkDotNet.Attributes;
using Ortho;
using Ortho.Activations;
using Ortho.Kernels;

namespace Ortho.Benchmarks;

/// <summary>
/// BenchmarkDotNet view of the fused activation kernels against our GELU on 4M floats, forward + backward:
/// <c>dotnet run -c Release --project bench/Ortho.Benchmarks -- --filter '*Activation*'</c>.
/// (<c>ortho bench activations</c> gives the same comparison faster, with thread counts and JSON.)
/// </summary>
[MemoryDiagnoser]
public class ActivationBenchmarks
{
    private const int N = 4 << 20;
    private readonly float[] _x = new float[N], _dy = new float[N], _y = new float[N], _dx = new float[N];
    private float[] _hermite = [], _trop = [], _f0 = [], _fc = [], _fp = [], _fw = [];
    private readonly float[] _dh = new float[4], _dt = new float[6], _d0 = new float[1], _dc = new float[5], _dp = new float[5], _dw = new float[5];

    [GlobalSetup]
    public void Setup()
    {
        new Rng(1).FillNormal(_x);
        new Rng(2).FillNormal(_dy);
        _hermite = ActivationParameters.Initial(ActivationKind.Hermite, 3)["coefficients"];
        _trop = ActivationParameters.Initial(ActivationKind.Tropical, 5)["coefficients"];
        var f = ActivationParameters.Initial(ActivationKind.Fourier, 5);
        (_f0, _fc, _fp, _fw) = (f["fundamental"], f["coefficients"], f["phases"], f["grid"]);
    }

    [Benchmark(Baseline = true)]
    public void Gelu()
    {
        GeluKernels.Forward(_y, _x);
        GeluKernels.Backward(_dx, _x, _dy);
    }

    [Benchmark]
    public void Hermite3()
    {
        HermiteKernels.Forward(_y, _x, _hermite, 3);
        HermiteKernels.Backward(_dx, _dh, _x, _dy, _hermite, 3);
    }

    [Benchmark]
    public void Fourier5()
    {
        FourierKernels.Forward(_y, _x, _f0, _fc, _fp, _fw, 5);
        FourierKernels.Backward(_dx, _d0, _dc, _dp, _dw, _x, _dy, _f0, _fc, _fp, _fw, 5);
    }

    [Benchmark]
    public void Tropical5()
    {
        TropicalKernels.Forward(_y, _x, _trop, 5);
        TropicalKernels.Backward(_dx, _dt, _x, _dy, _trop, 5);
    }
}
