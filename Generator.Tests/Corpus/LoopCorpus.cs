using Differentiable.Generator.Tests.Infrastructure;

namespace Differentiable.Generator.Tests.Corpus;

/// <summary>
/// The loop corpus: functions with loops and buffers (ReadOnlySpan&lt;T&gt;, Span&lt;T&gt;, T[] of double and float),
/// written against DESIGN.md's calling convention, each with 3+ points. Every [Differentiable] method gets three
/// array-taking drivers in the compiled source (see LoopHarness.cs), so the tests can call spans through delegates.
/// </summary>
/// <remarks>
/// <see cref="Set"/> is the source with the drivers of Gradient and Backward (needs the generator);
/// <see cref="PrimalSet"/> has only the value drivers and compiles with the C# compiler alone, so the corpus itself
/// (buffer roles, smoothness at the points, hand formulas) is checked independently of the generator.
/// </remarks>
internal static class LoopCorpus
{
    public const string Namespace = "LoopCorpusSource";
    public const string MainClass = "Loops";
    public const string OtherClass = "LoopsOther";
    public const string FloatClass = "LoopsFloat";

    private static readonly SourceMember[] Plain = Members().ToArray();

    /// <summary>The corpus with every driver (Value, Gradient, Backward).</summary>
    public static readonly SourceSet Set = new(Namespace, Plain.Select(m => WithDrivers(m, withAdjoints: true)));

    /// <summary>The corpus with value drivers only: compiles without the generator.</summary>
    public static readonly SourceSet PrimalSet = new(Namespace, Plain.Select(m => WithDrivers(m, withAdjoints: false)));

    public static readonly IReadOnlyList<LoopCase> Cases = BuildCases();

    /// <summary>Names of the [Differentiable] methods in the source.</summary>
    public static IEnumerable<string> DifferentiableNames => Plain.Where(IsDifferentiable).Select(m => m.Name);

    /// <summary>The source text of the member (without drivers).</summary>
    public static string Code(string name) => Plain.Single(m => m.Name == name).Code;

    public static LoopCase Case(string name) => Cases.Single(c => c.Name == name);

    public static LoopSignature Signature(string name) => LoopSignature.Parse(Code(name), name);

    /// <summary>The method compiled with the generator (whole corpus, or just its members if the whole fails), bound to its drivers.</summary>
    public static LoopFunction Bind(string name, bool analysesOff)
    {
        var compiled = LoopCompiler.CompiledFor(Set, name, analysesOff);
        return LoopFunction.Bind(compiled.Assembly, Set.TypeName(name), Signature(name), compiled.GeneratedText, withAdjoints: true);
    }

    /// <summary>The primal alone, compiled without the generator.</summary>
    public static LoopFunction BindPrimal(string name) =>
        LoopFunction.Bind(LoopCompiler.CompilePrimal(PrimalSet.FullSource), PrimalSet.TypeName(name), Signature(name), generatedText: null, withAdjoints: false);

    private static bool IsDifferentiable(SourceMember m) => m.Code.Contains("[Differentiable]", StringComparison.Ordinal);

    private static SourceMember WithDrivers(SourceMember m, bool withAdjoints) => IsDifferentiable(m)
        ? m with { Code = m.Code.TrimEnd() + "\n\n" + LoopSignature.Parse(m.Code, m.Name).Drivers(withAdjoints) }
        : m;

    private static SourceMember M(string name, string code, params string[] dependencies) => new(name, MainClass, code, dependencies);

    private static SourceMember O(string name, string code, params string[] dependencies) => new(name, OtherClass, code, dependencies);

    private static SourceMember F(string name, string code, params string[] dependencies) => new(name, FloatClass, code, dependencies);

    private static IEnumerable<SourceMember> Members()
    {
        // ---------------------------------------------------------------- reductions and losses
        yield return M("Loss", """
            // DESIGN.md's example: nothing needs storing.
            [Differentiable]
            public static double Loss(ReadOnlySpan<double> w, [NoDiff] ReadOnlySpan<double> x, [NoDiff] double target)
            {
                double s = 0;
                for (int i = 0; i < w.Length; i++) s += w[i] * x[i];
                double e = Math.Tanh(s) - target;
                return e * e;
            }
            """);
        yield return M("Dot", """
            [Differentiable]
            public static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
            {
                double s = 0;
                for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
                return s;
            }
            """);
        yield return M("Product", """
            // An overwritten accumulator: each old p is needed by the reverse sweep.
            [Differentiable]
            public static double Product(ReadOnlySpan<double> x)
            {
                double p = 1;
                for (int i = 0; i < x.Length; i++) p *= x[i];
                return p;
            }
            """);
        yield return M("LogSumExp", """
            // Max-shifted; the max found by a loop with an if.
            [Differentiable]
            public static double LogSumExp(ReadOnlySpan<double> x)
            {
                double m = x[0];
                for (int i = 1; i < x.Length; i++)
                {
                    if (x[i] > m) m = x[i];
                }
                double s = 0;
                for (int i = 0; i < x.Length; i++) s += Math.Exp(x[i] - m);
                return m + Math.Log(s);
            }
            """);
        yield return M("LogSumExpStop", """
            // The shift through Grad.Stop (the value does not depend on it), max by foreach and Math.Max.
            [Differentiable]
            public static double LogSumExpStop(ReadOnlySpan<double> x)
            {
                double m = double.NegativeInfinity;
                foreach (double v in x) m = Math.Max(m, v);
                double shift = Grad.Stop(m);
                double s = 0;
                foreach (double v in x) s += Math.Exp(v - shift);
                return shift + Math.Log(s);
            }
            """);
        yield return M("SoftmaxCrossEntropy", """
            // One row, an int label.
            [Differentiable]
            public static double SoftmaxCrossEntropy(ReadOnlySpan<double> logits, int label)
            {
                double m = logits[0];
                for (int i = 1; i < logits.Length; i++)
                {
                    if (logits[i] > m) m = logits[i];
                }
                double s = 0;
                for (int i = 0; i < logits.Length; i++) s += Math.Exp(logits[i] - m);
                return m + Math.Log(s) - logits[label];
            }
            """);
        yield return M("Variance", """
            // Two passes; the second reads a value (mean) computed by the first.
            [Differentiable]
            public static double Variance(ReadOnlySpan<double> x)
            {
                double mean = 0;
                for (int i = 0; i < x.Length; i++) mean += x[i];
                mean /= x.Length;
                double v = 0;
                for (int i = 0; i < x.Length; i++)
                {
                    double d = x[i] - mean;
                    v += d * d;
                }
                return v / x.Length;
            }
            """);
        yield return M("ExpMovingAverage", """
            // Overwritten accumulator whose partial needs its old value (dAlpha += (x[i] - m) dm).
            [Differentiable]
            public static double ExpMovingAverage(ReadOnlySpan<double> x, double alpha)
            {
                double m = x[0];
                for (int i = 1; i < x.Length; i++) m = alpha * x[i] + (1 - alpha) * m;
                return m;
            }
            """);
        yield return M("GeometricSeries", """
            // The loop's bound is a parameter; two loop-carried values.
            [Differentiable]
            public static double GeometricSeries(double r, int n)
            {
                double term = 1;
                double s = 0;
                for (int i = 0; i < n; i++)
                {
                    s += term;
                    term *= r;
                }
                return s;
            }
            """);
        yield return M("PowerLoop", """
            // DIFF0010's own example.
            [Differentiable]
            public static double PowerLoop(double x, int n)
            {
                double r = 1;
                for (int i = 0; i < n; i++) r *= x;
                return r;
            }
            """);

        // ---------------------------------------------------------------- polynomials
        yield return M("Horner", """
            // EXAMPLES.md 3: a backwards loop, the accumulator overwritten every iteration.
            [Differentiable]
            public static double Horner(ReadOnlySpan<double> c, double x)
            {
                double p = 0;
                for (int i = c.Length - 1; i >= 0; i--) p = p * x + c[i];
                return p;
            }
            """);
        yield return M("PolyPowers", """
            [Differentiable]
            public static double PolyPowers(ReadOnlySpan<double> c, double x)
            {
                double p = 0;
                double xp = 1;
                for (int i = 0; i < c.Length; i++)
                {
                    p += c[i] * xp;
                    xp *= x;
                }
                return p;
            }
            """);

        // ---------------------------------------------------------------- recurrences and data-dependent trip counts
        yield return M("Recurrence1000", """
            // 1,000 explicit Euler steps of x' = a - x².
            [Differentiable]
            public static double Recurrence1000(double x0, double a, double h)
            {
                double x = x0;
                for (int i = 0; i < 1000; i++) x = x + h * (a - x * x);
                return x;
            }
            """);
        yield return M("RnnScalar", """
            [Differentiable]
            public static double RnnScalar(ReadOnlySpan<double> xs, double wx, double wh, double b, double h0)
            {
                double h = h0;
                for (int t = 0; t < xs.Length; t++) h = Math.Tanh(wx * xs[t] + wh * h + b);
                return h;
            }
            """);
        yield return M("NewtonSqrt", """
            // EXAMPLES.md 5: the trip count depends on the data.
            [Differentiable]
            public static double NewtonSqrt(double a)
            {
                double x = a;
                while (Math.Abs(x * x - a) > 1e-12 * a) x = 0.5 * (x + a / x);
                return x;
            }
            """);
        yield return M("ShrinkWhile", """
            // A data-dependent while: y = x k^n with n the first count that brings y to 1 or below.
            [Differentiable]
            public static double ShrinkWhile(double x, double k)
            {
                double y = x;
                while (y > 1) y *= k;
                return y;
            }
            """);

        // ---------------------------------------------------------------- layers
        yield return M("Dense", """
            // EXAMPLES.md 4: a vector-valued method writing an output span.
            [Differentiable]
            public static void Dense(ReadOnlySpan<double> w, ReadOnlySpan<double> x, Span<double> y, int nIn)
            {
                for (int o = 0; o < y.Length; o++)
                {
                    double s = 0;
                    for (int i = 0; i < nIn; i++) s += w[o * nIn + i] * x[i];
                    y[o] = Math.Tanh(s);
                }
            }
            """);
        yield return M("TwoLayerStackalloc", """
            // Two stacked layers, the hidden layer in a local stackalloc buffer, then squared error.
            [Differentiable]
            public static double TwoLayerStackalloc(ReadOnlySpan<double> w1, ReadOnlySpan<double> w2, ReadOnlySpan<double> x, [NoDiff] ReadOnlySpan<double> target, int hidden)
            {
                int nIn = x.Length;
                Span<double> h = stackalloc double[hidden];
                for (int j = 0; j < hidden; j++)
                {
                    double s = 0;
                    for (int i = 0; i < nIn; i++) s += w1[j * nIn + i] * x[i];
                    h[j] = Math.Tanh(s);
                }
                double loss = 0;
                for (int o = 0; o < target.Length; o++)
                {
                    double s = 0;
                    for (int j = 0; j < hidden; j++) s += w2[o * hidden + j] * h[j];
                    double e = s - target[o];
                    loss += e * e;
                }
                return loss;
            }
            """);
        yield return M("TwoLayerCalls", """
            // The same network built from Dense: local stackalloc buffers passed as the callee's output and input.
            [Differentiable]
            public static double TwoLayerCalls(ReadOnlySpan<double> w1, ReadOnlySpan<double> w2, ReadOnlySpan<double> x, [NoDiff] ReadOnlySpan<double> target, int hidden)
            {
                Span<double> h = stackalloc double[hidden];
                Dense(w1, x, h, x.Length);
                Span<double> y = stackalloc double[target.Length];
                Dense(w2, h, y, hidden);
                double loss = 0;
                for (int o = 0; o < y.Length; o++)
                {
                    double e = y[o] - target[o];
                    loss += e * e;
                }
                return loss;
            }
            """, "Dense");
        yield return M("TwoLayerNewArray", """
            // The hidden layer in a local new double[n] (an intermediate array needs an adjoint array).
            [Differentiable]
            public static double TwoLayerNewArray(ReadOnlySpan<double> w1, ReadOnlySpan<double> w2, ReadOnlySpan<double> x, [NoDiff] ReadOnlySpan<double> target, int hidden)
            {
                int nIn = x.Length;
                double[] h = new double[hidden];
                for (int j = 0; j < hidden; j++)
                {
                    double s = 0;
                    for (int i = 0; i < nIn; i++) s += w1[j * nIn + i] * x[i];
                    h[j] = Math.Tanh(s);
                }
                double loss = 0;
                for (int o = 0; o < target.Length; o++)
                {
                    double s = 0;
                    for (int j = 0; j < hidden; j++) s += w2[o * hidden + j] * h[j];
                    double e = s - target[o];
                    loss += e * e;
                }
                return loss;
            }
            """);
        yield return M("DenseLeakyRelu", """
            // An if inside the loop chooses how the output element is written.
            [Differentiable]
            public static void DenseLeakyRelu(ReadOnlySpan<double> w, ReadOnlySpan<double> b, ReadOnlySpan<double> x, Span<double> y)
            {
                int nIn = x.Length;
                for (int o = 0; o < y.Length; o++)
                {
                    double s = b[o];
                    for (int i = 0; i < nIn; i++) s += w[o * nIn + i] * x[i];
                    if (s > 0) y[o] = s;
                    else y[o] = 0.1 * s;
                }
            }
            """);
        yield return M("Softmax", """
            // The output is written, then read back and updated in place (y[i] /= s).
            [Differentiable]
            public static void Softmax(ReadOnlySpan<double> x, Span<double> y)
            {
                double m = x[0];
                for (int i = 1; i < x.Length; i++) m = Math.Max(m, x[i]);
                double s = 0;
                for (int i = 0; i < x.Length; i++)
                {
                    y[i] = Math.Exp(x[i] - m);
                    s += y[i];
                }
                for (int i = 0; i < x.Length; i++) y[i] /= s;
            }
            """);
        yield return M("SinCos", """
            // A void method with two output spans.
            [Differentiable]
            public static void SinCos(ReadOnlySpan<double> x, double a, Span<double> s, Span<double> c)
            {
                for (int i = 0; i < x.Length; i++)
                {
                    s[i] = Math.Sin(a * x[i]);
                    c[i] = Math.Cos(a * x[i]) * x[i];
                }
            }
            """);
        yield return M("CenterInto", """
            // Returns a value and writes an output span, which it reads back.
            [Differentiable]
            public static double CenterInto(ReadOnlySpan<double> x, Span<double> centered)
            {
                double mean = 0;
                for (int i = 0; i < x.Length; i++) mean += x[i];
                mean /= x.Length;
                double v = 0;
                for (int i = 0; i < x.Length; i++)
                {
                    centered[i] = x[i] - mean;
                    v += centered[i] * centered[i];
                }
                return v;
            }
            """);

        // ---------------------------------------------------------------- nested loops
        yield return M("MatVec", """
            // y[i] is zeroed, then accumulated in place.
            [Differentiable]
            public static void MatVec(ReadOnlySpan<double> a, ReadOnlySpan<double> x, Span<double> y, int rows, int cols)
            {
                for (int i = 0; i < rows; i++)
                {
                    y[i] = 0;
                    for (int j = 0; j < cols; j++) y[i] += a[i * cols + j] * x[j];
                }
            }
            """);
        yield return M("MatMul", """
            [Differentiable]
            public static void MatMul(ReadOnlySpan<double> a, ReadOnlySpan<double> b, Span<double> c, int n, int k, int m)
            {
                for (int i = 0; i < n; i++)
                {
                    for (int j = 0; j < m; j++)
                    {
                        double s = 0;
                        for (int p = 0; p < k; p++) s += a[i * k + p] * b[p * m + j];
                        c[i * m + j] = s;
                    }
                }
            }
            """);
        yield return M("MatMulFrobenius", """
            [Differentiable]
            public static double MatMulFrobenius(ReadOnlySpan<double> a, ReadOnlySpan<double> b, int n, int k, int m)
            {
                double total = 0;
                for (int i = 0; i < n; i++)
                {
                    for (int j = 0; j < m; j++)
                    {
                        double s = 0;
                        for (int p = 0; p < k; p++) s += a[i * k + p] * b[p * m + j];
                        total += s * s;
                    }
                }
                return total;
            }
            """);
        yield return M("QuadraticForm", """
            [Differentiable]
            public static double QuadraticForm(ReadOnlySpan<double> x, [NoDiff] ReadOnlySpan<double> q)
            {
                int n = x.Length;
                double s = 0;
                for (int i = 0; i < n; i++)
                {
                    for (int j = 0; j < n; j++) s += x[i] * q[i * n + j] * x[j];
                }
                return s;
            }
            """);
        yield return M("TriangularSum", """
            // The inner bound depends on the outer index.
            [Differentiable]
            public static double TriangularSum(ReadOnlySpan<double> x)
            {
                double s = 0;
                for (int i = 0; i < x.Length; i++)
                {
                    for (int j = 0; j <= i; j++) s += x[i] * Math.Sin(x[j]);
                }
                return s;
            }
            """);
        yield return M("Conv1D", """
            [Differentiable]
            public static void Conv1D(ReadOnlySpan<double> x, ReadOnlySpan<double> k, Span<double> y)
            {
                for (int i = 0; i < y.Length; i++)
                {
                    double s = 0;
                    for (int j = 0; j < k.Length; j++) s += k[j] * x[i + j];
                    y[i] = s;
                }
            }
            """);

        // ---------------------------------------------------------------- in-place updates
        yield return M("SquarePlusC", """
            [Differentiable]
            public static void SquarePlusC(Span<double> x, double c)
            {
                for (int i = 0; i < x.Length; i++) x[i] = x[i] * x[i] + c;
            }
            """);
        yield return M("ScaleInPlace", """
            [Differentiable]
            public static void ScaleInPlace(Span<double> x, double s)
            {
                for (int i = 0; i < x.Length; i++) x[i] *= s;
            }
            """);
        yield return M("PrefixSumInPlace", """
            // Each iteration reads the element the previous one wrote.
            [Differentiable]
            public static void PrefixSumInPlace(Span<double> x)
            {
                for (int i = 1; i < x.Length; i++) x[i] += x[i - 1];
            }
            """);
        yield return M("NormalizeInPlace", """
            // In place, and returns a value.
            [Differentiable]
            public static double NormalizeInPlace(Span<double> x)
            {
                double n = 0;
                for (int i = 0; i < x.Length; i++) n += x[i] * x[i];
                n = Math.Sqrt(n);
                for (int i = 0; i < x.Length; i++) x[i] /= n;
                return n;
            }
            """);
        yield return M("SmoothInPlace", """
            // Gauss-Seidel smoothing: reads the updated left neighbour and the old right one.
            [Differentiable]
            public static void SmoothInPlace(Span<double> x, double a)
            {
                for (int i = 1; i < x.Length - 1; i++) x[i] = a * x[i] + (1 - a) * 0.5 * (x[i - 1] + x[i + 1]);
            }
            """);
        yield return M("TanhArrayInPlace", """
            // A double[] parameter written in place.
            [Differentiable]
            public static void TanhArrayInPlace(double[] x)
            {
                for (int i = 0; i < x.Length; i++) x[i] = Math.Tanh(x[i]);
            }
            """);
        yield return M("SquareTwiceSum", """
            // Copies into a local buffer and calls an in-place [Differentiable] method on it twice.
            [Differentiable]
            public static double SquareTwiceSum(ReadOnlySpan<double> x0, double c)
            {
                Span<double> t = stackalloc double[x0.Length];
                for (int i = 0; i < x0.Length; i++) t[i] = x0[i];
                SquarePlusC(t, c);
                SquarePlusC(t, -0.5 * c);
                double s = 0;
                for (int i = 0; i < t.Length; i++) s += t[i];
                return s;
            }
            """, "SquarePlusC");

        // ---------------------------------------------------------------- control flow in loops
        yield return M("BreakAtThreshold", """
            [Differentiable]
            public static double BreakAtThreshold(ReadOnlySpan<double> x, [NoDiff] double limit)
            {
                double s = 0;
                for (int i = 0; i < x.Length; i++)
                {
                    s += x[i] * x[i];
                    if (s > limit) break;
                }
                return s * Math.Exp(-0.1 * s);
            }
            """);
        yield return M("ContinueNegative", """
            [Differentiable]
            public static double ContinueNegative(ReadOnlySpan<double> x)
            {
                double s = 0;
                for (int i = 0; i < x.Length; i++)
                {
                    if (x[i] < 0) continue;
                    s += Math.Sqrt(x[i] + 1) * x[i];
                }
                return s;
            }
            """);
        yield return M("WhileLoop", """
            [Differentiable]
            public static double WhileLoop(ReadOnlySpan<double> x)
            {
                double s = 1;
                int i = 0;
                while (i < x.Length)
                {
                    s = s * Math.Cos(x[i]) + x[i];
                    i++;
                }
                return s;
            }
            """);
        yield return M("DoWhileLoop", """
            // Runs at least once, even for n = 0.
            [Differentiable]
            public static double DoWhileLoop(double x, int n)
            {
                double r = x;
                int i = 0;
                do
                {
                    r = Math.Sin(r) + 0.5 * x;
                    i++;
                }
                while (i < n);
                return r;
            }
            """);
        yield return M("ForeachSum", """
            [Differentiable]
            public static double ForeachSum(ReadOnlySpan<double> x)
            {
                double s = 0;
                foreach (double v in x) s += v * Math.Exp(-v * v);
                return s;
            }
            """);
        yield return M("ReturnInsideLoop", """
            [Differentiable]
            public static double ReturnInsideLoop(ReadOnlySpan<double> x, [NoDiff] double limit)
            {
                double s = 0;
                for (int i = 0; i < x.Length; i++)
                {
                    s += x[i] * x[i];
                    if (s > limit) return s * x[i];
                }
                return -s;
            }
            """);
        yield return M("NestedBreak", """
            // break leaves only the inner loop.
            [Differentiable]
            public static double NestedBreak(ReadOnlySpan<double> a, int rows, int cols, [NoDiff] double limit)
            {
                double total = 0;
                for (int i = 0; i < rows; i++)
                {
                    double row = 0;
                    for (int j = 0; j < cols; j++)
                    {
                        row += a[i * cols + j] * a[i * cols + j];
                        if (row > limit) break;
                    }
                    total += row * a[i * cols];
                }
                return total;
            }
            """);
        yield return M("PiecewiseSum", """
            // if / else if / else inside the loop; one branch reads the accumulator.
            [Differentiable]
            public static double PiecewiseSum(ReadOnlySpan<double> x)
            {
                double s = 0;
                for (int i = 0; i < x.Length; i++)
                {
                    if (x[i] > 1) s += Math.Log(x[i]) + 1;
                    else if (x[i] < -1) s -= x[i] * x[i];
                    else s += Math.Sin(x[i]) * s;
                }
                return s;
            }
            """);
        yield return M("StrideIndex", """
            // An integer loop-carried index (k += 2) besides the loop counter.
            [Differentiable]
            public static double StrideIndex(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
            {
                double s = 0;
                int k = 0;
                for (int i = 0; i < y.Length; i++)
                {
                    s += x[k] * y[i] + x[k + 1] * x[k + 1];
                    k += 2;
                }
                return s;
            }
            """);
        yield return M("EvenOdd", """
            // Loops with step 2; the second overwrites the accumulator multiplicatively.
            [Differentiable]
            public static double EvenOdd(ReadOnlySpan<double> x)
            {
                double s = 0;
                for (int i = 0; i < x.Length; i += 2) s += x[i] * x[i];
                for (int i = 1; i < x.Length; i += 2) s *= 1 + 0.1 * x[i];
                return s;
            }
            """);
        yield return M("ReverseDiscount", """
            // A loop that runs backwards and writes an output span (discounted returns).
            [Differentiable]
            public static void ReverseDiscount(ReadOnlySpan<double> r, double gamma, Span<double> ret)
            {
                double acc = 0;
                for (int i = r.Length - 1; i >= 0; i--)
                {
                    acc = r[i] + gamma * acc;
                    ret[i] = acc;
                }
            }
            """);

        // ---------------------------------------------------------------- slices and ranges
        yield return M("SliceRange", """
            [Differentiable]
            public static double SliceRange(ReadOnlySpan<double> w)
            {
                ReadOnlySpan<double> tail = w[1..];
                ReadOnlySpan<double> head = w[..^1];
                double s = w[0] * w[0];
                for (int i = 0; i < tail.Length; i++) s += tail[i] * head[i];
                return s;
            }
            """);
        yield return M("SliceCalls", """
            // Slices passed to [Differentiable] callees.
            [Differentiable]
            public static double SliceCalls(ReadOnlySpan<double> w, double x, int start, int count)
            {
                return Horner(w.Slice(start, count), x) + Dot(w[..start], w[..start]);
            }
            """, "Horner", "Dot");
        yield return M("SliceOutput", """
            // Writes an output through two slices of it.
            [Differentiable]
            public static void SliceOutput(ReadOnlySpan<double> x, Span<double> y)
            {
                Span<double> head = y.Slice(0, x.Length);
                Span<double> tail = y[x.Length..];
                for (int i = 0; i < x.Length; i++)
                {
                    head[i] = 2 * x[i];
                    tail[i] = x[i] * x[i];
                }
            }
            """);

        // ---------------------------------------------------------------- arrays, [NoDiff] buffers, calls with buffers
        yield return M("ArrayParameter", """
            [Differentiable]
            public static double ArrayParameter(double[] w, double x)
            {
                double s = 0;
                for (int i = 0; i < w.Length; i++) s += Math.Sin(w[i] * x) * (i + 1);
                return s;
            }
            """);
        yield return M("NoDiffArrayWeights", """
            [Differentiable]
            public static double NoDiffArrayWeights([NoDiff] double[] weights, ReadOnlySpan<double> x)
            {
                double s = 0;
                for (int i = 0; i < x.Length; i++) s += weights[i] * Math.Exp(0.5 * x[i]);
                return s;
            }
            """);
        yield return M("LeastSquares", """
            // Only the scalars are active; the data are [NoDiff] spans.
            [Differentiable]
            public static double LeastSquares([NoDiff] ReadOnlySpan<double> xs, [NoDiff] ReadOnlySpan<double> ys, double a, double b)
            {
                double s = 0;
                for (int i = 0; i < xs.Length; i++)
                {
                    double r = a * xs[i] + b - ys[i];
                    s += r * r;
                }
                return s;
            }
            """);
        yield return M("WeightedDot", """
            // A [NoDiff] buffer passed to a parameter the callee treats as active (Dot(w, x)), and to both (Dot(x, x)).
            [Differentiable]
            public static double WeightedDot(ReadOnlySpan<double> w, [NoDiff] ReadOnlySpan<double> x)
            {
                return Dot(w, x) + 0.1 * Dot(x, x) + Dot(w, w);
            }
            """, "Dot");
        yield return M("ConstantBufferArgument", """
            // A local buffer holding constants passed to an active callee parameter.
            [Differentiable]
            public static double ConstantBufferArgument(ReadOnlySpan<double> w, int n)
            {
                Span<double> weights = stackalloc double[n];
                for (int i = 0; i < n; i++) weights[i] = 1.0 / (i + 1);
                return Dot(weights, w) * Dot(w, w);
            }
            """, "Dot");
        yield return O("SumSquares", """
            [Differentiable]
            public static double SumSquares(ReadOnlySpan<double> v)
            {
                double s = 0;
                foreach (double e in v) s += e * e;
                return s;
            }
            """);
        yield return M("RegularizedLoss", """
            // Calls across classes with span arguments.
            [Differentiable]
            public static double RegularizedLoss(ReadOnlySpan<double> w, [NoDiff] ReadOnlySpan<double> x, [NoDiff] double target, double lambda)
                => Loss(w, x, target) + lambda * LoopsOther.SumSquares(w);
            """, "Loss", "SumSquares");

        // ---------------------------------------------------------------- float
        yield return F("LossF", """
            [Differentiable]
            public static float LossF(ReadOnlySpan<float> w, [NoDiff] ReadOnlySpan<float> x, [NoDiff] float target)
            {
                float s = 0;
                for (int i = 0; i < w.Length; i++) s += w[i] * x[i];
                float e = MathF.Tanh(s) - target;
                return e * e;
            }
            """);
        yield return F("HornerF", """
            [Differentiable]
            public static float HornerF(ReadOnlySpan<float> c, float x)
            {
                float p = 0;
                for (int i = c.Length - 1; i >= 0; i--) p = p * x + c[i];
                return p;
            }
            """);
        yield return F("ProductF", """
            [Differentiable]
            public static float ProductF(ReadOnlySpan<float> x)
            {
                float p = 1;
                for (int i = 0; i < x.Length; i++) p *= x[i];
                return p;
            }
            """);
        yield return F("LogSumExpF", """
            [Differentiable]
            public static float LogSumExpF(ReadOnlySpan<float> x)
            {
                float m = x[0];
                for (int i = 1; i < x.Length; i++)
                {
                    if (x[i] > m) m = x[i];
                }
                float s = 0;
                for (int i = 0; i < x.Length; i++) s += MathF.Exp(x[i] - m);
                return m + MathF.Log(s);
            }
            """);
        yield return F("SoftmaxCrossEntropyF", """
            [Differentiable]
            public static float SoftmaxCrossEntropyF(ReadOnlySpan<float> logits, int label)
            {
                float m = logits[0];
                for (int i = 1; i < logits.Length; i++) m = MathF.Max(m, logits[i]);
                float s = 0;
                for (int i = 0; i < logits.Length; i++) s += MathF.Exp(logits[i] - m);
                return m + MathF.Log(s) - logits[label];
            }
            """);
        yield return F("DenseF", """
            [Differentiable]
            public static void DenseF(ReadOnlySpan<float> w, ReadOnlySpan<float> x, Span<float> y, int nIn)
            {
                for (int o = 0; o < y.Length; o++)
                {
                    float s = 0;
                    for (int i = 0; i < nIn; i++) s += w[o * nIn + i] * x[i];
                    y[o] = MathF.Tanh(s);
                }
            }
            """);
        yield return F("MatVecF", """
            [Differentiable]
            public static void MatVecF(ReadOnlySpan<float> a, ReadOnlySpan<float> x, Span<float> y, int rows, int cols)
            {
                for (int i = 0; i < rows; i++)
                {
                    float s = 0;
                    for (int j = 0; j < cols; j++) s += a[i * cols + j] * x[j];
                    y[i] = s;
                }
            }
            """);
        yield return F("SquarePlusCF", """
            [Differentiable]
            public static void SquarePlusCF(Span<float> x, float c)
            {
                for (int i = 0; i < x.Length; i++) x[i] = x[i] * x[i] + c;
            }
            """);
        yield return F("PrefixSumInPlaceF", """
            [Differentiable]
            public static void PrefixSumInPlaceF(Span<float> x)
            {
                for (int i = 1; i < x.Length; i++) x[i] += x[i - 1];
            }
            """);
        yield return F("TwoLayerStackallocF", """
            [Differentiable]
            public static float TwoLayerStackallocF(ReadOnlySpan<float> w1, ReadOnlySpan<float> w2, ReadOnlySpan<float> x, [NoDiff] ReadOnlySpan<float> target, int hidden)
            {
                int nIn = x.Length;
                Span<float> h = stackalloc float[hidden];
                for (int j = 0; j < hidden; j++)
                {
                    float s = 0;
                    for (int i = 0; i < nIn; i++) s += w1[j * nIn + i] * x[i];
                    h[j] = MathF.Tanh(s);
                }
                float loss = 0;
                for (int o = 0; o < target.Length; o++)
                {
                    float s = 0;
                    for (int j = 0; j < hidden; j++) s += w2[o * hidden + j] * h[j];
                    float e = s - target[o];
                    loss += e * e;
                }
                return loss;
            }
            """);
        yield return F("NewtonSqrtF", """
            // The float Newton iteration stops at 1e-6 relative (float rounding allows no less); capped for safety.
            [Differentiable]
            public static float NewtonSqrtF(float a)
            {
                float x = a;
                int iterations = 0;
                while (MathF.Abs(x * x - a) > 1e-6f * a && iterations < 100)
                {
                    x = 0.5f * (x + a / x);
                    iterations++;
                }
                return x;
            }
            """);
        yield return F("ForeachSumF", """
            [Differentiable]
            public static float ForeachSumF(ReadOnlySpan<float> x)
            {
                float s = 0;
                foreach (float v in x) s += v * MathF.Exp(-v * v);
                return s;
            }
            """);
        yield return F("RnnScalarF", """
            [Differentiable]
            public static float RnnScalarF(ReadOnlySpan<float> xs, float wx, float wh, float b, float h0)
            {
                float h = h0;
                for (int t = 0; t < xs.Length; t++) h = MathF.Tanh(wx * xs[t] + wh * h + b);
                return h;
            }
            """);
        yield return F("ArrayParameterF", """
            // A float[] parameter.
            [Differentiable]
            public static float ArrayParameterF(float[] w, float x)
            {
                float s = 0;
                for (int i = 0; i < w.Length; i++) s += MathF.Sin(w[i] * x) * (i + 1);
                return s;
            }
            """);
        yield return F("MixedPrecisionDot", """
            // Float buffer, double scalar and result.
            [Differentiable]
            public static double MixedPrecisionDot(ReadOnlySpan<float> w, double s)
            {
                double acc = 0;
                for (int i = 0; i < w.Length; i++) acc += w[i] * s + Math.Sin(w[i]);
                return acc;
            }
            """);
        yield return F("ReverseDiscountF", """
            [Differentiable]
            public static void ReverseDiscountF(ReadOnlySpan<float> r, float gamma, Span<float> ret)
            {
                float acc = 0;
                for (int i = r.Length - 1; i >= 0; i--)
                {
                    acc = r[i] + gamma * acc;
                    ret[i] = acc;
                }
            }
            """);
    }

    // ==================================================================== points and hand formulas

    private static object[] P(params object[] args) => args;

    private static double[] V(params double[] values) => values;

    private static double[] Fill(int n, double value) => Enumerable.Repeat(value, n).ToArray();

    /// <summary>n reproducible values in [lo, hi], rounded to 3 decimals (readable in failure messages).</summary>
    private static double[] R(int seed, int n, double lo = -1, double hi = 1)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => Math.Round(lo + (hi - lo) * rng.NextDouble(), 3)).ToArray();
    }

    /// <summary>Arguments of the two-layer networks: w1 (hidden x nIn), w2 (nOut x hidden), x, target, hidden.</summary>
    private static object[] Net(int seed, int nIn, int hidden, int nOut) =>
        P(R(seed, hidden * nIn), R(seed + 1, nOut * hidden), R(seed + 2, nIn), R(seed + 3, nOut, -0.5, 0.5), hidden);

    private static double[] Softmax(double[] x)
    {
        double m = x.Max();
        var e = x.Select(v => Math.Exp(v - m)).ToArray();
        double s = e.Sum();
        return e.Select(v => v / s).ToArray();
    }

    private static double[] HandLoss(HandArgs a)
    {
        double[] w = a.Vec("w"), x = a.Vec("x");
        double s = 0;
        for (int i = 0; i < w.Length; i++) s += w[i] * x[i];
        double t = Math.Tanh(s), e = t - a.Num("target");
        return x.Select(xi => 2 * e * (1 - t * t) * xi).ToArray();
    }

    private static double[] HandPolynomial(HandArgs a)
    {
        double[] c = a.Vec("c");
        double x = a.Num("x");
        double dx = 0;
        for (int i = 1; i < c.Length; i++) dx += i * c[i] * Math.Pow(x, i - 1);
        return HandArgs.Flat(c.Select((_, i) => Math.Pow(x, i)).ToArray(), dx);
    }

    private static double[] HandProduct(HandArgs a)
    {
        double[] x = a.Vec("x");
        return x.Select((_, i) => x.Where((_, j) => j != i).Aggregate(1.0, (p, v) => p * v)).ToArray();
    }

    private static double[] HandSoftmaxCrossEntropy(HandArgs a)
    {
        var g = Softmax(a.Vec("logits"));
        g[a.Int("label")] -= 1;
        return g;
    }

    private static double[] HandDense(HandArgs a, HandArgs seeds)
    {
        double[] w = a.Vec("w"), x = a.Vec("x"), dy = seeds.Vec("y");
        int nIn = a.Int("nIn");
        var dw = new double[w.Length];
        var dx = new double[x.Length];
        for (int o = 0; o < dy.Length; o++)
        {
            double s = 0;
            for (int i = 0; i < nIn; i++) s += w[o * nIn + i] * x[i];
            double t = Math.Tanh(s), ds = (1 - t * t) * dy[o];
            for (int i = 0; i < nIn; i++)
            {
                dw[o * nIn + i] += x[i] * ds;
                dx[i] += w[o * nIn + i] * ds;
            }
        }
        return HandArgs.Flat(dw, dx, new double[dy.Length]); // y's seed is consumed
    }

    private static double[] HandMatVec(HandArgs a, HandArgs seeds)
    {
        double[] m = a.Vec("a"), x = a.Vec("x"), dy = seeds.Vec("y");
        int rows = a.Int("rows"), cols = a.Int("cols");
        var dm = new double[m.Length];
        var dx = new double[x.Length];
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < cols; j++)
            {
                dm[i * cols + j] = dy[i] * x[j];
                dx[j] += m[i * cols + j] * dy[i];
            }
        }
        return HandArgs.Flat(dm, dx, new double[dy.Length]);
    }

    private static double[] HandSquarePlusC(HandArgs a, HandArgs seeds)
    {
        double[] x = a.Vec("x"), s = seeds.Vec("x");
        return HandArgs.Flat(x.Select((v, i) => 2 * v * s[i]).ToArray(), s.Sum()); // adjoint at entry: 2 x_in seed
    }

    private static double[] HandPrefixSum(HandArgs a, HandArgs seeds)
    {
        double[] s = seeds.Vec("x");
        var dx = new double[s.Length];
        double acc = 0;
        for (int j = s.Length - 1; j >= 0; j--) dx[j] = acc += s[j]; // x_in[j] reaches every output i >= j
        return dx;
    }

    private static double[] HandReverseDiscount(HandArgs a, HandArgs seeds)
    {
        double[] r = a.Vec("r"), s = seeds.Vec("ret");
        double gamma = a.Num("gamma");
        int n = r.Length;
        var dr = new double[n];
        double dGamma = 0;
        for (int i = 0; i < n; i++)
        {
            for (int j = i; j < n; j++)
            {
                dr[j] += s[i] * Math.Pow(gamma, j - i);              // ret[i] = sum_{j >= i} gamma^(j-i) r[j]
                if (j > i) dGamma += s[i] * (j - i) * Math.Pow(gamma, j - i - 1) * r[j];
            }
        }
        return HandArgs.Flat(dr, dGamma, new double[n]);
    }

    private static IReadOnlyList<LoopCase> BuildCases()
    {
        var lossPoints = new[]
        {
            P(V(0.3, -0.2, 0.5), V(1.0, 0.5, -1.5), 0.2),
            P(V(0.7), V(-1.2), -0.4),
            P(V(0.1, 0.2, -0.3, 0.4, 0.5), V(0.5, -0.5, 1.0, 0.3, -0.8), 0.6),
            P(V(), V(), 0.5),
        };
        var hornerPoints = new[]
        {
            P(V(2.5), 0.7),
            P(V(1, -2, 0.5, 3), -1.3),
            P(V(0.2, -0.4, 1.1, 0.8, -0.6, 0.3, 1.5), 0.9),
            P(V(), 1.7),
        };
        var productPoints = new[] { P(V(1.5)), P(V(0.5, -2, 1.25, 0.8)), P(V(1.1, 0.9, -1.2, 1.3, 0.7, -0.6)), P(V()) };
        var lsePoints = new[] { P(V(0.3)), P(V(1, -0.5, 2)), P(V(-1, 0.2, 0.7, 3, -2, 0.1)) };
        var cePoints = new[] { P(V(0.4), 0), P(V(1, -0.5, 2), 1), P(V(-1, 0.2, 0.7, 3, -2), 4) };
        var densePoints = new[]
        {
            P(R(1, 6), R(2, 3), Fill(2, 9), 3),
            P(V(0.6), V(-0.4), V(5), 1),
            P(R(3, 12), R(4, 4), Fill(3, 9), 4),
            P(V(), V(), V(7, 7), 0),
        };
        var netPoints = new[] { Net(100, 1, 1, 1), Net(110, 3, 4, 2), Net(120, 2, 3, 1) };
        var squarePoints = new[] { P(V(0.5, -1.5, 2.0), 0.3), P(V(1.25), -0.7), P(V(), 0.4), P(R(17, 6), 0.1) };
        var prefixPoints = new[] { P(V(1, 2, 3)), P(V(0.5)), P(R(18, 7)), P(V()) };
        var rnnPoints = new[]
        {
            P(R(5, 5), 0.8, 0.5, 0.1, 0.2),
            P(V(0.7), -0.6, 0.9, -0.2, 0.5),
            P(R(6, 30), 1.1, 0.7, 0.05, -0.3),
            P(V(), 0.5, 0.5, 0.5, 0.4),
        };
        var discountPoints = new[] { P(V(1, 0.5, -0.3, 2), 0.9, Fill(4, 9)), P(V(0.4), 0.5, V(9)), P(R(26, 10), 0.95, Fill(10, 9)), P(V(), 0.9, V()) };
        Func<HandArgs, double[]> softmaxOfX = a => Softmax(a.Vec("x"));
        Func<HandArgs, double[]> newton = a => new[] { 0.5 / Math.Sqrt(a.Num("a")) };

        return new LoopCase[]
        {
            // ------------------------------------------------------------ reductions and losses
            new("Loss", lossPoints) { Hand = HandLoss },
            new("Dot", P(V(0.5, -1, 2), V(0.3, 0.7, -0.2)), P(V(1.5), V(-0.5)), P(R(7, 8), R(8, 8)), P(V(), V()))
            {
                Hand = a => HandArgs.Flat(a.Vec("b"), a.Vec("a")),
            },
            new("Product", productPoints) { Hand = HandProduct },
            new("LogSumExp", lsePoints) { Hand = softmaxOfX },
            new("LogSumExpStop", lsePoints) { Hand = softmaxOfX },
            new("SoftmaxCrossEntropy", cePoints) { Hand = HandSoftmaxCrossEntropy },
            new("Variance", P(V(1.5)), P(V(1, 2, 4)), P(R(13, 6)))
            {
                Hand = a =>
                {
                    double[] x = a.Vec("x");
                    double mean = x.Average();
                    return x.Select(v => 2 * (v - mean) / x.Length).ToArray();
                },
            },
            new("ExpMovingAverage", P(V(0.5), 0.3), P(V(1, 2, -1, 0.5), 0.3), P(R(12, 8), 0.7)),
            new("GeometricSeries", P(0.5, 5), P(-0.7, 1), P(1.2, 0), P(0.9, 12))
            {
                Hand = a =>
                {
                    double r = a.Num("r"), d = 0;
                    for (int k = 1; k < a.Int("n"); k++) d += k * Math.Pow(r, k - 1);
                    return new[] { d };
                },
            },
            new("PowerLoop", P(1.3, 4), P(-0.8, 1), P(2.0, 0), P(0.95, 9))
            {
                Hand = a => new[] { a.Int("n") == 0 ? 0 : a.Int("n") * Math.Pow(a.Num("x"), a.Int("n") - 1) },
            },

            // ------------------------------------------------------------ polynomials
            new("Horner", hornerPoints) { Hand = HandPolynomial },
            new("PolyPowers", P(V(2.5), 0.7), P(V(1, -2, 0.5, 3), -1.3), P(V(), 0.4)) { Hand = HandPolynomial },

            // ------------------------------------------------------------ recurrences, data-dependent trip counts
            new("Recurrence1000", P(0.5, 2.0, 0.001), P(1.5, 1.0, 0.002), P(0.1, 0.5, 0.0005)) { FdStepScale = 1e-2 }, // h is ~1e-3
            new("RnnScalar", rnnPoints.Append(P(R(9, 200), 0.9, 0.6, -0.1, 0.3)).ToArray()),
            new("NewtonSqrt", P(2.0), P(0.3), P(10.0), P(1e4), P(0.01)) { Hand = newton, HandTolerance = 1e-8, FdStepScale = 0.05 }, // a = 0.01 needs a step far below 1e-3
            new("ShrinkWhile", P(10.0, 0.5), P(3.0, 0.7), P(0.5, 0.9), P(100.0, 0.8))
            {
                Hand = a =>
                {
                    double x = a.Num("x"), k = a.Num("k"), y = x;
                    int n = 0;
                    while (y > 1) { y *= k; n++; }
                    return new[] { Math.Pow(k, n), n == 0 ? 0 : n * x * Math.Pow(k, n - 1) };
                },
            },

            // ------------------------------------------------------------ layers
            new("Dense", densePoints) { Outputs = new[] { "y" }, HandVjp = HandDense },
            new("TwoLayerStackalloc", netPoints),
            new("TwoLayerCalls", netPoints),
            new("TwoLayerNewArray", netPoints),
            new("DenseLeakyRelu", P(R(39, 6), R(40, 2), R(41, 3), Fill(2, 9)), P(V(0.6), V(0.1), V(-0.4), V(9)), P(R(42, 12), R(43, 3), R(44, 4), Fill(3, 9)))
            {
                Outputs = new[] { "y" },
            },
            new("Softmax", P(V(1, -0.5, 2), Fill(3, 9)), P(V(0.3), V(9)), P(R(29, 6), Fill(6, 9)))
            {
                Outputs = new[] { "y" },
                HandVjp = (a, seeds) =>
                {
                    var y = Softmax(a.Vec("x"));
                    var s = seeds.Vec("y");
                    double dot = y.Zip(s, (p, q) => p * q).Sum();
                    return HandArgs.Flat(y.Select((p, i) => p * (s[i] - dot)).ToArray(), new double[y.Length]);
                },
            },
            new("SinCos", P(V(0.5, -1, 2), 0.7, Fill(3, 9), Fill(3, 9)), P(V(1.2), -0.4, V(9), V(9)), P(V(), 1.0, V(), V()))
            {
                Outputs = new[] { "s", "c" },
                HandVjp = (a, seeds) =>
                {
                    double[] x = a.Vec("x"), ds = seeds.Vec("s"), dc = seeds.Vec("c");
                    double k = a.Num("a"), dk = 0;
                    var dx = new double[x.Length];
                    for (int i = 0; i < x.Length; i++)
                    {
                        double sin = Math.Sin(k * x[i]), cos = Math.Cos(k * x[i]);
                        dx[i] = ds[i] * k * cos + dc[i] * (cos - k * x[i] * sin);
                        dk += ds[i] * x[i] * cos - dc[i] * x[i] * x[i] * sin;
                    }
                    return HandArgs.Flat(dx, dk, new double[x.Length], new double[x.Length]);
                },
            },
            new("CenterInto", P(V(1, 2, 4), Fill(3, 9)), P(V(1.5), V(9)), P(R(30, 6), Fill(6, 9)))
            {
                Outputs = new[] { "centered" },
                Hand = a =>
                {
                    double[] x = a.Vec("x");
                    double mean = x.Average();
                    return HandArgs.Flat(x.Select(v => 2 * (v - mean)).ToArray(), new double[x.Length]);
                },
            },

            // ------------------------------------------------------------ nested loops
            new("MatVec", P(R(31, 6), R(32, 3), Fill(2, 9), 2, 3), P(V(1.5), V(-0.7), V(9), 1, 1), P(R(33, 12), R(34, 4), Fill(3, 9), 3, 4), P(V(), V(), V(), 0, 0))
            {
                Outputs = new[] { "y" },
                HandVjp = HandMatVec,
            },
            new("MatMul", P(R(35, 6), R(36, 6), Fill(4, 9), 2, 3, 2), P(V(1.5), V(-0.7), V(9), 1, 1, 1), P(R(37, 4), R(38, 6), Fill(6, 9), 2, 2, 3))
            {
                Outputs = new[] { "c" },
                HandVjp = (a, seeds) =>
                {
                    double[] x = a.Vec("a"), y = a.Vec("b"), dc = seeds.Vec("c");
                    int n = a.Int("n"), k = a.Int("k"), m = a.Int("m");
                    var dx = new double[x.Length];
                    var dy = new double[y.Length];
                    for (int i = 0; i < n; i++)
                        for (int j = 0; j < m; j++)
                            for (int p = 0; p < k; p++)
                            {
                                dx[i * k + p] += dc[i * m + j] * y[p * m + j];
                                dy[p * m + j] += dc[i * m + j] * x[i * k + p];
                            }
                    return HandArgs.Flat(dx, dy, new double[dc.Length]);
                },
            },
            new("MatMulFrobenius", P(R(45, 6), R(46, 6), 2, 3, 2), P(V(1.5), V(-0.7), 1, 1, 1), P(R(47, 4), R(48, 6), 2, 2, 3)),
            new("QuadraticForm", P(V(0.5, -1), V(1, 2, 0.5, 3)), P(V(2), V(1.5)), P(R(14, 3), R(15, 9)), P(V(), V()))
            {
                Hand = a =>
                {
                    double[] x = a.Vec("x"), q = a.Vec("q");
                    int n = x.Length;
                    var g = new double[n];
                    for (int i = 0; i < n; i++)
                        for (int j = 0; j < n; j++) g[i] += (q[i * n + j] + q[j * n + i]) * x[j];
                    return g;
                },
            },
            new("TriangularSum", P(V(0.5)), P(V(0.3, -1.2, 2.0)), P(R(16, 6)), P(V())),
            new("Conv1D", P(R(49, 5), R(50, 3), Fill(3, 9)), P(V(0.8), V(-1.3), V(9)), P(R(51, 4), R(52, 4), V(9)), P(V(0.5, 1), V(1, 2, 3), V()))
            {
                Outputs = new[] { "y" },
            },

            // ------------------------------------------------------------ in-place updates
            new("SquarePlusC", squarePoints) { InPlace = new[] { "x" }, HandVjp = HandSquarePlusC },
            new("ScaleInPlace", P(V(0.5, -1.5, 2.0), 1.3), P(V(1.25), -0.7), P(V(), 0.4), P(R(53, 6), 0.9))
            {
                InPlace = new[] { "x" },
                HandVjp = (a, seeds) =>
                {
                    double[] x = a.Vec("x"), s = seeds.Vec("x");
                    double k = a.Num("s");
                    return HandArgs.Flat(s.Select(v => k * v).ToArray(), x.Zip(s, (p, q) => p * q).Sum());
                },
            },
            new("PrefixSumInPlace", prefixPoints) { InPlace = new[] { "x" }, HandVjp = HandPrefixSum },
            new("NormalizeInPlace", P(V(0.5, -1.5, 2.0)), P(V(1.25)), P(V(3, 4, -1, 0.5)), P(R(54, 7)))
            {
                InPlace = new[] { "x" },
                Hand = a =>
                {
                    double[] x = a.Vec("x");
                    double n = Math.Sqrt(x.Sum(v => v * v));
                    return x.Select(v => v / n).ToArray();
                },
            },
            new("SmoothInPlace", P(R(11, 5), 0.6), P(V(1.5), 0.3), P(V(0.2, -0.4, 0.9), 0.8), P(V(0.7, -0.2), 0.5)) { InPlace = new[] { "x" } },
            new("TanhArrayInPlace", P(V(0.5, -1.5, 2.0)), P(V(0.3)), P(V()))
            {
                InPlace = new[] { "x" },
                HandVjp = (a, seeds) =>
                {
                    double[] x = a.Vec("x"), s = seeds.Vec("x");
                    return x.Select((v, i) => (1 - Math.Tanh(v) * Math.Tanh(v)) * s[i]).ToArray();
                },
            },
            new("SquareTwiceSum", P(V(0.5, -1.2, 0.8), 0.3), P(V(0.9), -0.4), P(V(), 0.2)),

            // ------------------------------------------------------------ control flow in loops
            new("BreakAtThreshold", P(V(0.5, 1.0, 1.5, 2.0), 2.0), P(V(0.3, -0.4), 5.0), P(V(2.0), 1.0), P(V(), 1.0)),
            new("ContinueNegative", P(V(0.5, -1.0, 2.0, -0.3, 1.2)), P(V(0.7)), P(V(-0.5)), P(V())),
            new("WhileLoop", P(V(0.5, -1.0, 2.0)), P(V(0.7)), P(R(19, 10)), P(V())),
            new("DoWhileLoop", P(0.7, 5), P(-1.2, 0), P(2.0, 1), P(0.3, 20)),
            new("ForeachSum", P(V(0.5, -1.0, 2.0)), P(V(0.7)), P(R(20, 10)), P(V())),
            new("ReturnInsideLoop", P(V(0.5, 1.0, 1.5), 2.0), P(V(0.3, -0.4), 5.0), P(V(3.0), 1.0), P(V(), 1.0)),
            new("NestedBreak", P(V(0.5, 0.6, 0.9, -0.2, 0.1, 0.3), 2, 3, 0.5), P(V(1.5), 1, 1, 1.0), P(R(22, 12), 3, 4, 0.6), P(V(), 0, 2, 1.0)),
            new("PiecewiseSum", P(V(1.5, -2.0, 0.5, 0.3, 3.0, -1.5)), P(V(2.5, 0.5)), P(V(-1.8)), P(V())),
            new("StrideIndex", P(V(0.5, -1, 2, 0.3), V(0.7, -0.4)), P(V(1.5, 0.5), V(2.0)), P(R(23, 10), R(24, 5)), P(V(), V())),
            new("EvenOdd", P(V(0.5, -1, 2, 0.3, 1.1)), P(V(0.7)), P(R(25, 8)), P(V())),
            new("ReverseDiscount", discountPoints) { Outputs = new[] { "ret" }, HandVjp = HandReverseDiscount },

            // ------------------------------------------------------------ slices and ranges
            new("SliceRange", P(V(0.7)), P(V(0.5, -1, 2)), P(R(27, 6))),
            new("SliceCalls", P(R(28, 6), 0.7, 2, 3), P(V(0.5, 1.5), -0.3, 1, 1), P(V(0.8, 0.2, -0.4), 1.2, 0, 3), P(V(0.9), 0.5, 1, 0)),
            new("SliceOutput", P(V(0.5, -1.5), Fill(4, 9)), P(V(0.7), V(9, 9)), P(V(), V())) { Outputs = new[] { "y" } },

            // ------------------------------------------------------------ arrays, [NoDiff] buffers, calls with buffers
            new("ArrayParameter", P(V(0.5, -1.5, 2.0), 0.7), P(V(1.2), -0.4), P(V(), 0.3)),
            new("NoDiffArrayWeights", P(V(0.5, 2, -1), V(0.3, -0.7, 1.1)), P(V(1.5), V(0.2)), P(V(), V()))
            {
                Hand = a =>
                {
                    double[] w = a.Vec("weights"), x = a.Vec("x");
                    return x.Select((v, i) => 0.5 * w[i] * Math.Exp(0.5 * v)).ToArray();
                },
            },
            new("LeastSquares", P(V(1, 2, 3), V(2.1, 3.9, 6.2), 1.5, 0.3), P(V(0.5), V(1.0), -0.5, 0.8), P(V(), V(), 1.0, 1.0))
            {
                Hand = a =>
                {
                    double[] xs = a.Vec("xs"), ys = a.Vec("ys");
                    double ka = a.Num("a"), kb = a.Num("b"), da = 0, db = 0;
                    for (int i = 0; i < xs.Length; i++)
                    {
                        double r = ka * xs[i] + kb - ys[i];
                        da += 2 * r * xs[i];
                        db += 2 * r;
                    }
                    return new[] { da, db };
                },
            },
            new("WeightedDot", P(V(0.5, -1, 2), V(0.3, 0.7, -0.2)), P(V(1.5), V(-0.5)), P(V(), V()))
            {
                Hand = a => a.Vec("w").Zip(a.Vec("x"), (w, x) => x + 2 * w).ToArray(),
            },
            new("ConstantBufferArgument", P(V(0.5, -1, 2), 3), P(V(1.5), 1), P(V(), 0)),
            new("SumSquares", P(V(0.5, -1, 2)), P(V(1.5)), P(V())) { Hand = a => a.Vec("v").Select(v => 2 * v).ToArray() },
            new("RegularizedLoss", P(V(0.3, -0.2, 0.5), V(1, 0.5, -1.5), 0.2, 0.1), P(V(0.7), V(-1.2), -0.4, 0.5), P(V(), V(), 0.5, 0.3)),

            // ------------------------------------------------------------ float
            new("LossF", lossPoints) { Hand = HandLoss },
            new("HornerF", hornerPoints) { Hand = HandPolynomial },
            new("ProductF", productPoints) { Hand = HandProduct },
            new("LogSumExpF", lsePoints) { Hand = softmaxOfX },
            new("SoftmaxCrossEntropyF", cePoints) { Hand = HandSoftmaxCrossEntropy },
            new("DenseF", densePoints) { Outputs = new[] { "y" }, HandVjp = HandDense },
            new("MatVecF", P(R(31, 6), R(32, 3), Fill(2, 9), 2, 3), P(V(1.5), V(-0.7), V(9), 1, 1), P(R(33, 12), R(34, 4), Fill(3, 9), 3, 4))
            {
                Outputs = new[] { "y" },
                HandVjp = HandMatVec,
            },
            new("SquarePlusCF", squarePoints) { InPlace = new[] { "x" }, HandVjp = HandSquarePlusC },
            new("PrefixSumInPlaceF", prefixPoints) { InPlace = new[] { "x" }, HandVjp = HandPrefixSum },
            new("TwoLayerStackallocF", netPoints),
            new("NewtonSqrtF", P(2.0), P(0.3), P(10.0), P(1e4)) { Hand = newton },
            new("ForeachSumF", P(V(0.5, -1.0, 2.0)), P(V(0.7)), P(R(20, 10)), P(V())),
            new("RnnScalarF", rnnPoints),
            new("ArrayParameterF", P(V(0.5, -1.5, 2.0), 0.7), P(V(1.2), -0.4), P(V(), 0.3)),
            new("MixedPrecisionDot", P(V(0.5, -1.5, 2), 0.7), P(V(1.2), -0.4), P(V(), 0.3)),
            new("ReverseDiscountF", discountPoints) { Outputs = new[] { "ret" }, HandVjp = HandReverseDiscount },
        };
    }
}
