using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Ortho.Analysis;
using Ortho.Models;

namespace Ortho.Cli.Commands;

/// <summary>
/// <c>ortho polynomial MODEL</c>: expands an MLP with Hermite activations into its explicit polynomial in the inputs
/// (per output unit): total degree, number of monomials, and the coefficients, largest first, in the monomial or the
/// Hermite basis, as text, JSON or LaTeX. The expansion is exact (rational arithmetic); printed coefficients are the
/// exact ones rounded to nearest double.
/// </summary>
internal static class PolynomialCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("model") { Description = "An MLP model file (written by 'ortho mlp train' or Mlp.Save)." };
        var maxTerms = new Option<long>("--max-terms") { Description = "Refuse expansions that could have more terms than this (per output).", DefaultValueFactory = _ => PolynomialExpansion.DefaultMaxTerms };
        var basis = new Option<string>("--basis") { Description = "monomial (x0^2*x1 ...) or hermite (He2(x0)*He1(x1) ..., each He_k(x)/k!).", DefaultValueFactory = _ => "monomial" };
        var top = new Option<int>("--top") { Description = "Print at most this many terms per output (0: all; JSON always has all).", DefaultValueFactory = _ => 20 };
        var format = new Option<string>("--format") { Description = "text, json or latex.", DefaultValueFactory = _ => "text" };
        var exact = new Option<bool>("--exact") { Description = "json: also give each coefficient's exact rational value." };
        var cmd = new Command("polynomial", "Expand a Hermite MLP into its explicit multivariate polynomial (exact, per output).") { file, maxTerms, basis, top, format, exact };
        cmd.SetAction(p =>
        {
            var b = p.GetValue(basis) switch
            {
                "monomial" => PolynomialBasis.Monomial,
                "hermite" => PolynomialBasis.Hermite,
                var other => throw new ArgumentException($"--basis must be monomial or hermite, got '{other}'."),
            };
            string fmt = p.GetValue(format)!;
            if (fmt is not ("text" or "json" or "latex")) throw new ArgumentException($"--format must be text, json or latex, got '{fmt}'.");
            int topN = p.GetValue(top);
            if (topN < 0) throw new ArgumentException($"--top must be >= 0, got {topN}.");
            long limit = p.GetValue(maxTerms);
            if (limit < 1) throw new ArgumentException($"--max-terms must be positive, got {limit}.");
            var path = p.GetValue(file)!;
            var model = Mlp.Load(path);
            PolynomialMap map;
            try { map = PolynomialExpansion.Expand(model, limit); }
            catch (PolynomialTooLargeException e) { throw new InvalidOperationException($"{path}: {e.Message}; raise --max-terms to expand anyway."); }
            catch (ArgumentException e) { throw new ArgumentException($"{path}: {e.Message}"); }
            Console.Write(fmt switch
            {
                "json" => Json(model, map, b, p.GetValue(exact)),
                "latex" => Latex(map, b, topN),
                _ => Text(model, map, b, topN),
            });
            return 0;
        });
        return cmd;
    }

    private static string G(double v) => v.ToString("G6", CultureInfo.InvariantCulture);

    private static string Text(Mlp model, PolynomialMap map, PolynomialBasis basis, int top)
    {
        var sb = new StringBuilder();
        sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"{model.Config}: degree <= {map.Plan.DegreeBound} (product of the Hermite degrees), at most {map.Plan.TermBound:N0} monomials per output (C(d + D, d), d = {map.Inputs})"));
        sb.AppendLine("Coefficients: exact rational expansion of the float32 weights, rounded once to double (error <= 1/2 ulp, listed per term in JSON).");
        if (basis == PolynomialBasis.Hermite) sb.AppendLine("Basis: HeK(xi) stands for He_K(xi)/K!, the normalized Hermite polynomial the activations use.");
        for (int o = 0; o < map.Outputs.Count; o++)
        {
            var terms = map.Terms(o, basis);
            double maxErr = terms.Count == 0 ? 0 : terms.Max(t => t.Error);
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"output {o}: total degree {map.Outputs[o].Degree}, {terms.Count} {(basis == PolynomialBasis.Hermite ? "Hermite terms" : "monomials")}, largest coefficient error {maxErr:G3}"));
            var shown = top == 0 ? terms : terms.Take(top).ToList();
            foreach (var t in shown) sb.AppendLine($"  {(t.Coefficient >= 0 ? "+" : "-")}{G(Math.Abs(t.Coefficient)),-12} {t.Monomial.ToString(basis)}");
            if (shown.Count < terms.Count) sb.AppendLine($"  ... {terms.Count - shown.Count} smaller terms (--top 0 shows all)");
        }
        return sb.ToString();
    }

    private static string Latex(PolynomialMap map, PolynomialBasis basis, int top)
    {
        var sb = new StringBuilder();
        for (int o = 0; o < map.Outputs.Count; o++)
        {
            var terms = map.Terms(o, basis);
            var shown = top == 0 ? terms : terms.Take(top).ToList();
            sb.Append($"y_{{{o}}} = ");
            for (int i = 0; i < shown.Count; i++)
            {
                var t = shown[i];
                string sign = t.Coefficient < 0 ? "-" : i == 0 ? "" : "+";
                string mono = t.Monomial.ToLatex(basis);
                sb.Append(i == 0 ? "" : " ").Append(sign).Append(i == 0 ? "" : " ").Append(G(Math.Abs(t.Coefficient)));
                if (mono != "1") sb.Append(' ').Append(mono);
            }
            if (shown.Count == 0) sb.Append('0');
            if (shown.Count < terms.Count) sb.Append(" + \\dots");
            sb.AppendLine();
        }
        return sb.ToString();
    }

    private static string Json(Mlp model, PolynomialMap map, PolynomialBasis basis, bool exact)
    {
        var outputs = new List<object>();
        for (int o = 0; o < map.Outputs.Count; o++)
        {
            var terms = map.Terms(o, basis);
            outputs.Add(new Dictionary<string, object>
            {
                ["output"] = o,
                ["degree"] = map.Outputs[o].Degree,
                ["terms"] = terms.Count,
                ["max_coefficient_error"] = terms.Count == 0 ? 0 : terms.Max(t => t.Error),
                ["coefficients"] = terms.Select(t =>
                {
                    var d = new Dictionary<string, object>
                    {
                        ["exponents"] = t.Monomial.Exponents.ToArray(),
                        ["term"] = t.Monomial.ToString(basis),
                        ["coefficient"] = t.Coefficient,
                        ["error_bound"] = t.Error,
                    };
                    if (exact) d["exact"] = t.Exact.ToString();
                    return d;
                }).ToList(),
            });
        }
        var doc = new Dictionary<string, object>
        {
            ["model"] = model.Config.ToString(),
            ["inputs"] = map.Inputs,
            ["basis"] = basis == PolynomialBasis.Hermite ? "hermite" : "monomial",
            ["degree_bound"] = map.Plan.DegreeBound,
            ["term_bound"] = map.Plan.TermBound.ToString(CultureInfo.InvariantCulture),
            ["error"] = "coefficients are the exact values (rational arithmetic on the float32 weights) rounded to nearest double; error_bound >= |coefficient - exact|",
            ["outputs"] = outputs,
        };
        return JsonSerializer.Serialize(doc, new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + Environment.NewLine;
    }
}
