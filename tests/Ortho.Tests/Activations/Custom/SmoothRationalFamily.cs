using Ortho.Activations;

namespace Ortho.Tests.Activations.Custom;

/// <summary>
/// A kind defined entirely outside the library, through its public API only: the smooth rational function
/// f(x) = P(x) / (1 + Q(x)^2), P(x) = sum_{k=0..n} p_k x^k (<c>numerator</c>), Q(x) = sum_{k=1..n} q_k x^k
/// (<c>denominator</c>), with a constant int64 buffer <c>powers</c> = 0..n. Fit: least squares for P with Q = 0.
/// </summary>
public sealed class SmoothRationalFamily : ActivationFamily
{
    /// <summary>The instance the tests register.</summary>
    public static SmoothRationalFamily Instance { get; } = new();

    /// <summary>Registers <see cref="Instance"/> (idempotent) and returns it.</summary>
    public static SmoothRationalFamily Registered()
    {
        ActivationRegistry.Register(Instance);
        return Instance;
    }

    public override string Name => "smooth_rational";
    public override IReadOnlyList<string> Aliases => ["srat"];
    public override int MinDegree => 1;
    public override int MaxDegree => 6;

    public override IReadOnlyList<ActivationParameterSpec> Parameters { get; } = [new("numerator", n => n + 1), new("denominator", n => n)];

    public override IReadOnlyList<ActivationBuffer> Buffers(int degree) =>
        [new("powers", [degree + 1], Enumerable.Range(0, degree + 1).Select(k => (float)k).ToArray(), "I64")];

    // p_k = 1/k!, q_k = 0.1/k!: a gently damped truncated exponential.
    protected override void Initialize(ActivationParameters p, Rng? rng)
    {
        double fact = 1;
        for (int k = 0; k <= p.Degree; k++)
        {
            if (k > 0) fact *= k;
            p["numerator"][k] = (float)(1 / fact);
            if (k > 0) p["denominator"][k - 1] = (float)(0.1 / fact);
        }
    }

    /// <summary>f, f', df/dp_k = x^k / D and df/dq_k = -2 P Q x^k / D^2 (D = 1 + Q^2), in double.</summary>
    public static double Eval(double x, ReadOnlySpan<float> p, ReadOnlySpan<float> q, out double derivative, Span<double> dp = default, Span<double> dq = default)
    {
        double P = 0, dP = 0, Q = 0, dQ = 0, xk = 1, xkm1 = 0;   // x^k, x^(k-1)
        for (int k = 0; k < p.Length; k++)
        {
            P += p[k] * xk;
            dP += k * p[k] * xkm1;
            if (!dp.IsEmpty) dp[k] = xk;
            (xkm1, xk) = (xk, xk * x);
        }
        (xk, xkm1) = (x, 1);
        for (int k = 1; k <= q.Length; k++)
        {
            Q += q[k - 1] * xk;
            dQ += k * q[k - 1] * xkm1;
            if (!dq.IsEmpty) dq[k - 1] = xk;
            (xkm1, xk) = (xk, xk * x);
        }
        double D = 1 + Q * Q;
        derivative = (dP * D - P * 2 * Q * dQ) / (D * D);
        for (int k = 0; k < dp.Length; k++) dp[k] /= D;
        for (int k = 0; k < dq.Length; k++) dq[k] *= -2 * P * Q / (D * D);
        return P / D;
    }

    public override void Forward(Span<float> y, ReadOnlySpan<float> x, IParameterSpans p, int degree)
    {
        ReadOnlySpan<float> num = p[0], den = p[1];
        for (int i = 0; i < x.Length; i++) y[i] = (float)Eval(x[i], num, den, out _);
    }

    public override void Backward(Span<float> dx, IParameterSpans grads, ReadOnlySpan<float> x, ReadOnlySpan<float> dy,
        IParameterSpans p, int degree, bool needDx, bool accumulateDx)
    {
        ReadOnlySpan<float> num = p[0], den = p[1];
        Span<double> dp = stackalloc double[degree + 1], dq = stackalloc double[degree];
        var sumP = new double[degree + 1];
        var sumQ = new double[degree];
        for (int i = 0; i < x.Length; i++)
        {
            Eval(x[i], num, den, out double d, dp, dq);
            if (needDx) dx[i] = (float)((accumulateDx ? dx[i] : 0) + dy[i] * d);
            for (int k = 0; k <= degree; k++) sumP[k] += dy[i] * dp[k];
            for (int k = 0; k < degree; k++) sumQ[k] += dy[i] * dq[k];
        }
        Span<float> gp = grads[0], gq = grads[1];
        for (int k = 0; k <= degree; k++) gp[k] += (float)sumP[k];
        for (int k = 0; k < degree; k++) gq[k] += (float)sumQ[k];
    }

    public override double Evaluate(double x, IParameterSpans p, int degree, out double derivative) => Eval(x, p[0], p[1], out derivative);

    // Q = 0, so f = P and the fit is linear: normal equations of the value and derivative rows, in double.
    public override ActivationParameters Fit(int degree, FitGrid grid, FitOptions options)
    {
        int n = degree + 1;
        var a = new double[n, n + 1];
        var row = new double[n];
        var drow = new double[n];
        for (int i = 0; i < grid.Count; i++)
        {
            double x = grid.X[i], xk = 1;
            for (int k = 0; k < n; k++)
            {
                row[k] = xk;
                drow[k] = k == 0 ? 0 : k * Math.Pow(x, k - 1);
                xk *= x;
            }
            for (int r = 0; r < n; r++)
            {
                for (int c = 0; c < n; c++) a[r, c] += grid.W[i] * (row[r] * row[c] + drow[r] * drow[c]);
                a[r, n] += grid.W[i] * (row[r] * grid.G[i] + drow[r] * grid.Dg[i]);
            }
        }
        var coef = Solve(a, n);
        var result = new ActivationParameters(this, degree);
        for (int k = 0; k < n; k++) result["numerator"][k] = (float)coef[k];
        return result;
    }

    // Gaussian elimination with partial pivoting on the augmented n x (n + 1) matrix.
    private static double[] Solve(double[,] a, int n)
    {
        for (int c = 0; c < n; c++)
        {
            int piv = c;
            for (int r = c + 1; r < n; r++) if (Math.Abs(a[r, c]) > Math.Abs(a[piv, c])) piv = r;
            for (int j = 0; j <= n; j++) (a[c, j], a[piv, j]) = (a[piv, j], a[c, j]);
            for (int r = c + 1; r < n; r++)
            {
                double f = a[r, c] / a[c, c];
                for (int j = c; j <= n; j++) a[r, j] -= f * a[c, j];
            }
        }
        var x = new double[n];
        for (int r = n - 1; r >= 0; r--)
        {
            double s = a[r, n];
            for (int j = r + 1; j < n; j++) s -= a[r, j] * x[j];
            x[r] = s / a[r, r];
        }
        return x;
    }
}
