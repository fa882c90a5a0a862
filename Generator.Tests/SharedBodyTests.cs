using System.Text.RegularExpressions;
using Differentiable.Generator.Tests.Infrastructure;
using Xunit;

namespace Differentiable.Generator.Tests;

/// <summary>
/// <c>{M}Gradient</c> and <c>{M}Backward</c> share one body, a private <c>{M}Core</c> (Backward's sweeps, returning the
/// value), when the method has a loop or a long straight line and Gradient would differ from Backward only by its seed:
/// the generated code to compile is about halved. Gradient sets its scalar adjoints to zero and calls the core with the
/// seed 1 and <c>gradient: true</c> (the core checks, then clears Gradient's adjoint spans); Backward calls it with its
/// seed and <c>false</c> (the core checks, then takes Backward's zero-seed shortcut). Each case is checked for the contract: the value, finite differences, Backward adding
/// the seed times the gradient to pre-filled adjoints, twice when called twice (GradientAssert), Gradient overwriting
/// adjoints that held garbage. Where sharing would cost (a short straight line; Gradient writing <c>=</c> where Backward
/// adds) or the name is taken, the two bodies stay.
/// </summary>
public class SharedBodyTests
{
    private const string Source = LeanAdjointTests.Header + """
            // A loop over scalars: shares (its adjoints are `out double` in Gradient, `ref double` in the core).
            [Differentiable] public static double Chain(double x, double y, int n)
            {
                double s = y;
                for (int i = 0; i < n; i++) s = Math.Sin(s * x + i);
                return s * y;
            }

            // A loop reading each element twice (so Gradient could not write dW with =): shares; Gradient clears dW before
            // the core adds into it.
            [Differentiable] public static double Weighted(ReadOnlySpan<double> w, double x)
            {
                double s = 0;
                for (int i = 0; i < 2 * w.Length; i++) s += Math.Exp(w[i % w.Length] * x) * (i + 1);
                return s;
            }

            // The type already has a member named WeightedTooCore: Gradient and Backward keep a body each.
            [Differentiable] public static double WeightedToo(ReadOnlySpan<double> w, double x)
            {
                double s = 0;
                for (int i = 0; i < 2 * w.Length; i++) s += Math.Exp(w[i % w.Length] * x) * (i + 1);
                return s;
            }
            public static int WeightedTooCore(int unrelated) => unrelated;

            // A parameter named like the core's flag: the flag takes another name.
            [Differentiable] public static double Named(double gradient, int n)
            {
                double s = gradient;
                for (int i = 0; i < n; i++) s = s * 0.5 + Math.Sin(gradient * s);
                return s;
            }

            // No loop: a body each (the extra call would be a large part of a small method).
            [Differentiable] public static double Small(double x, double y) => Math.Sin(x) * y;

            // No loop, but a straight line of CSharpEmitter.SharedStraightLine instructions or more: shares.
            [Differentiable] public static double Long(double x, double y)
            {
                double a = Math.Sin(x * y) + y;
                double b = Math.Exp(a * 0.5) * x - y;
                double c = a * b + Math.Cos(b - x);
                double d = Math.Sqrt(c * c + 1) * y;
                double e = Math.Tanh(d + a) - b * x;
                double f = e * e + Math.Log(1 + d * d);
                double g = f * y + Math.Atan(e - x);
                double h = g * a - Math.Sin(c * y);
                double k = h * x + f * Math.Cosh(0.1 * g);
                return k * k / (1 + a * a);
            }

            // The same length over a buffer: the checks are Gradient's and Backward's, before any work, whatever the seed.
            [Differentiable] public static double LongOver(ReadOnlySpan<double> w, double x)
            {
                double a = Math.Sin(x * w[0]) + w[1];
                double b = Math.Exp(a * 0.5) * x - w[2];
                double c = a * b + Math.Cos(b - x);
                double d = Math.Sqrt(c * c + 1) * w[0];
                double e = Math.Tanh(d + a) - b * x;
                double f = e * e + Math.Log(1 + d * d);
                double g = f * w[1] + Math.Atan(e - x);
                double h = g * a - Math.Sin(c * w[2]);
                return h * x + f * Math.Cosh(0.1 * g);
            }

            // Backward with the seed 0 adds nothing (the core's shortcut for Backward), shared or not.
            public static double[] ZeroSeed(string method, double[] w, double x)
            {
                var bw = new double[w.Length];
                for (int i = 0; i < bw.Length; i++) bw[i] = 1;
                double bx = 1;
                if (method == "Weighted") WeightedBackward(w, x, 0, bw, ref bx); else WeightedTooBackward(w, x, 0, bw, ref bx);
                var r = new System.Collections.Generic.List<double> { bx };
                r.AddRange(bw);
                return r.ToArray();
            }

            public static string ShortAdjoint(double seed)
            {
                double[] w = { 0.3, -0.2, 0.5 };
                double[] dw = new double[2];
                double dx = 0;
                try { LongOverBackward(w, 0.4, seed, dw, ref dx); return "no exception"; }
                catch (ArgumentException e) { return e.ParamName + "|" + dx + "," + string.Join(",", dw); }
            }

            public static double[] Probe(string method, double[] w, double x)
            {
                var dw = new double[w.Length];
                for (int i = 0; i < dw.Length; i++) dw[i] = double.NaN; // Gradient overwrites whatever is there
                double dx = double.NaN;
                double v = method == "Weighted" ? WeightedGradient(w, x, dw, out dx) : WeightedTooGradient(w, x, dw, out dx);
                var r = new System.Collections.Generic.List<double> { v, dx };
                r.AddRange(dw);
                // Backward with seed 2 on adjoints holding 1, then finite differences of w and x.
                var bw = new double[w.Length];
                for (int i = 0; i < bw.Length; i++) bw[i] = 1;
                double bx = 1;
                if (method == "Weighted") WeightedBackward(w, x, 2, bw, ref bx); else WeightedTooBackward(w, x, 2, bw, ref bx);
                r.Add(bx);
                r.AddRange(bw);
                var px = new[] { x };
                Func<double> f = method == "Weighted" ? () => Weighted(w, px[0]) : () => WeightedToo(w, px[0]);
                r.Add(Fd(f, px, 0));
                for (int i = 0; i < w.Length; i++) r.Add(Fd(f, w, i));
                return r.ToArray();
            }
        }
        """;

    [Theory, InlineData(false), InlineData(true)]
    public void Gradient_and_Backward_over_one_body_keep_their_contracts(bool analysesOff)
    {
        var compiled = GradientAssert.Compile(Source, analysesOff);
        foreach (var (x, y, n) in new[] { (0.3, 0.7, 0), (0.3, 0.7, 1), (-0.8, 1.4, 5), (1.2, -0.5, 9) })
            GradientAssert.Check(compiled.Assembly, "T.C", "Chain", x, y, n);
        var random = new Random(4);
        foreach (int length in new[] { 0, 1, 6 })
        {
            foreach (double x in new[] { -0.7, 0.4 })
            {
                double[] w = Enumerable.Range(0, length).Select(_ => 2 * random.NextDouble() - 1).ToArray();
                // By hand, with j = i mod length: d/dw_j = Σ x e^{w_j x} (i+1), d/dx = Σ w_j e^{w_j x} (i+1); adjoints that held
                // NaN are overwritten.
                foreach (string method in new[] { "Weighted", "WeightedToo" })
                {
                    var r = (double[])compiled.Assembly.GetType("T.C")!.GetMethod("Probe")!.Invoke(null, new object[] { method, w, x })!;
                    var zero = (double[])compiled.Assembly.GetType("T.C")!.GetMethod("ZeroSeed")!.Invoke(null, new object[] { method, w, x })!;
                    Assert.All(zero, v => Assert.Equal(1.0, v));
                    double value = 0, dx = 0;
                    var dw = new double[length];
                    for (int i = 0; i < 2 * length; i++)
                    {
                        int j = i % length;
                        value += Math.Exp(w[j] * x) * (i + 1);
                        dx += w[j] * Math.Exp(w[j] * x) * (i + 1);
                        dw[j] += x * Math.Exp(w[j] * x) * (i + 1);
                    }
                    for (int j = 0; j < length; j++)
                        Assert.True(Math.Abs(r[2 + j] - dw[j]) <= 1e-12 * Math.Max(1, Math.Abs(dw[j])), $"{method}: dw[{j}] = {r[2 + j]:R}, by hand {dw[j]:R}");
                    Assert.True(Math.Abs(r[0] - value) <= 1e-12 * Math.Max(1, Math.Abs(value)), $"{method}: value {r[0]:R}, by hand {value:R}");
                    Assert.True(Math.Abs(r[1] - dx) <= 1e-12 * Math.Max(1, Math.Abs(dx)), $"{method}: dx = {r[1]:R}, by hand {dx:R}");
                    // Backward: 1 + 2·gradient; finite differences: the gradient.
                    for (int k = 0; k <= length; k++)
                    {
                        double g = r[1 + k], backward = r[2 + length + k], fd = r[3 + 2 * length + k];
                        Assert.True(Math.Abs(backward - (1 + 2 * g)) <= 1e-12 * Math.Max(1, Math.Abs(g)), $"{method}: Backward [{k}] = {backward:R}, expected 1 + 2·{g:R}");
                        Assert.True(Math.Abs(g - fd) <= 1e-6 * Math.Max(1, Math.Abs(g)), $"{method}: [{k}] = {g:R}, finite differences {fd:R}");
                    }
                }
            }
        }
        foreach (var (g, n) in new[] { (0.3, 0), (0.3, 4), (-1.2, 7) })
            GradientAssert.Check(compiled.Assembly, "T.C", "Named", g, n);
        foreach (var (x, y) in new[] { (0.3, 0.7), (-1.1, 2.0) })
        {
            GradientAssert.Check(compiled.Assembly, "T.C", "Small", x, y);
            GradientAssert.Check(compiled.Assembly, "T.C", "Long", x, y);
        }
        foreach (double seed in new[] { 0.0, 1.5 })
            Assert.Equal("dW|0,0,0", (string)compiled.Assembly.GetType("T.C")!.GetMethod("ShortAdjoint")!.Invoke(null, new object[] { seed })!);

        string generated = compiled.GeneratedText;
        Assert.Matches(@"private static double ChainCore\(double x, double y, int n, double dResult, bool gradient, ref double dX, ref double dY\)", generated);
        Assert.Matches(@"return ChainCore\(x, y, n, 1d, true, ref dX, ref dY\);", generated);
        Assert.Matches(@"private static double WeightedCore\(", generated);
        Assert.Matches(@"WeightedCore\(w, x, dResult, false, dW, ref dX\);", generated);
        // The user's WeightedTooCore keeps its name; the generated WeightedToo has no core, nor has Small.
        Assert.DoesNotMatch(@"WeightedTooCore\(", generated);
        Assert.DoesNotMatch(@"SmallCore\(", generated);
        Assert.Matches(@"private static double NamedCore\(double gradient, int n, double dResult, bool gradient1, ref double dGradient\)", generated);
        Assert.Matches(@"private static double LongCore\(double x, double y, double dResult, bool gradient, ref double dX, ref double dY\)", generated);
        Assert.Matches(@"return LongCore\(x, y, 1d, true, ref dX, ref dY\);", generated);
        Assert.Matches(@"private static double LongOverCore\(", generated);
        // The checks are written once, in the core, before Backward's shortcut and Gradient's clearing; the wrappers only call it.
        string Member(string signature) => Regex.Match(generated, Regex.Escape(signature) + @".*?\n        \}\n", RegexOptions.Singleline).Value;
        string core = Member("private static double LongOverCore(");
        int check = core.IndexOf("if (dW.Length < w.Length) throw new global::System.ArgumentException", StringComparison.Ordinal);
        int shortcut = core.IndexOf("if (!gradient && dResult == 0d) return 0d;", StringComparison.Ordinal);
        int clear = core.IndexOf("dW.Slice(0, w.Length).Clear();", StringComparison.Ordinal);
        Assert.True(check >= 0 && shortcut > check && clear > shortcut, core);
        Assert.Equal("dX = 0d;\n            return LongOverCore(w, x, 1d, true, dW, ref dX);",
            Regex.Match(Member("public static double LongOverGradient("), @"dX = 0d;\n.*?;").Value);
        Assert.DoesNotContain("throw new", Member("public static void LongOverBackward("));
        Assert.Single(Regex.Matches(generated, @"static double WeightedTooGradient\("));
    }
}
