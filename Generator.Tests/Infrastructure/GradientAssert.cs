using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using System.Text;
using Microsoft.CodeAnalysis;
using Xunit;

namespace Differentiable.Generator.Tests.Infrastructure;

/// <summary>How a function's gradient is checked against finite differences.</summary>
internal enum Precision
{
    /// <summary>Float when the function returns float or has an active float parameter, double otherwise.</summary>
    Auto,

    /// <summary>Finite differences in double, relative error at most <see cref="GradientAssert.DoubleTolerance"/>.</summary>
    Double,

    /// <summary>
    /// Finite differences in float (<see cref="GradientCheck"/>'s float overload), relative error at most
    /// <see cref="GradientAssert.FloatTolerance"/>. Needed by double functions that round through float inside.
    /// Active double arguments are rounded to float first, so every probe is representable.
    /// </summary>
    Float,
}

/// <summary>A compiled test source: the loaded assembly and the text the generator produced for it.</summary>
internal sealed record CompiledSource(Assembly Assembly, string GeneratedText);

/// <summary>What <see cref="GradientAssert"/> measured at one point.</summary>
internal sealed class GradientResult
{
    public GradientResult(string method, bool isFloat, object[] point, string[] activeNames, double value, double[] gradient)
    {
        Method = method;
        IsFloat = isFloat;
        Point = point;
        ActiveNames = activeNames;
        Value = value;
        Gradient = gradient;
    }

    /// <summary><c>Type.Method</c>.</summary>
    public string Method { get; }

    /// <summary>True when the checks ran at float precision.</summary>
    public bool IsFloat { get; }

    /// <summary>The arguments, converted to the parameter types (and rounded to float in float mode).</summary>
    public object[] Point { get; }

    /// <summary>The active parameters, in order: the coordinates of <see cref="Gradient"/>.</summary>
    public string[] ActiveNames { get; }

    /// <summary>The function's value.</summary>
    public double Value { get; }

    /// <summary>The adjoints returned by <c>{M}Gradient</c>, one per active parameter.</summary>
    public double[] Gradient { get; }

    public override string ToString() => $"{Method}({GradientAssert.Format(Point)}) = {GradientAssert.Format(Value)}, gradient [{GradientAssert.Format(Gradient)}]";
}

/// <summary>
/// Checks the generated <c>{M}Gradient</c> and <c>{M}Backward</c> of a method against the method itself and
/// against <see cref="GradientCheck"/> finite differences, by reflection.
/// </summary>
internal static class GradientAssert
{
    /// <summary>Relative error (with <see cref="GradientCheck.DefaultFloor"/>) allowed against finite differences in double.</summary>
    public const double DoubleTolerance = 1e-6;

    /// <summary>Relative error (with <see cref="GradientCheck.DefaultFloor"/>) allowed against finite differences in float.</summary>
    public const double FloatTolerance = 1e-3;

    /// <summary>The seed passed to <c>Backward</c> (not 1, so a missing multiply by the seed shows).</summary>
    public const double Seed = 0.75;

    /// <summary>The value adjoints hold before <c>Backward</c> (not 0, so an overwrite instead of += shows).</summary>
    public const double Prefill = 0.5;

    /// <summary>Rounding allowed between <c>Backward</c> with a seed and <c>seed * Gradient</c>: |a - e| / max(|a|, |e|, 1).</summary>
    public const double BackwardToleranceDouble = 1e-12;

    /// <inheritdoc cref="BackwardToleranceDouble"/>
    public const double BackwardToleranceFloat = 1e-5;

    private const BindingFlags StaticMembers = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.DeclaredOnly;

    private static readonly ConcurrentDictionary<(string Source, bool AnalysesOff), Lazy<CompiledSource>> Cache = new();
    private static readonly ConcurrentDictionary<Assembly, string> GeneratedTexts = new();

    // ---------------------------------------------------------------- compiling

    /// <summary>
    /// Runs the generator on <paramref name="source"/>, requires no warning or error (generator or compiler) and loads the
    /// assembly. Cached per (source, analysesOff): each source is compiled once per mode, failures included.
    /// </summary>
    public static CompiledSource Compile(string source, bool analysesOff = false) =>
        Cache.GetOrAdd((source, analysesOff), key => new Lazy<CompiledSource>(() => CompileUncached(key.Source, key.AnalysesOff))).Value;

    /// <summary><see cref="Compile"/>, returning only the assembly.</summary>
    public static Assembly Load(string source, bool analysesOff = false) => Compile(source, analysesOff).Assembly;

    private static CompiledSource CompileUncached(string source, bool analysesOff)
    {
        // The same steps as TestCompiler.CompileAndLoad, keeping the generated text for failure messages.
        var result = TestCompiler.Run(source, analysesOff);
        var problems = result.GeneratorDiagnostics.Concat(result.Output.GetDiagnostics())
            .Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
        if (problems.Count > 0)
            throw new InvalidOperationException($"Diagnostics (analysesOff: {analysesOff}):\n" + string.Join("\n", problems) + "\n\nGenerated:\n" + result.GeneratedText);
        using var stream = new MemoryStream();
        var emit = result.Output.Emit(stream);
        if (!emit.Success) throw new InvalidOperationException(string.Join("\n", emit.Diagnostics) + "\n\nGenerated:\n" + result.GeneratedText);
        var assembly = new System.Runtime.Loader.AssemblyLoadContext(null, isCollectible: true).LoadFromStream(new MemoryStream(stream.ToArray()));
        GeneratedTexts[assembly] = result.GeneratedText;
        return new CompiledSource(assembly, result.GeneratedText);
    }

    // ---------------------------------------------------------------- checks

    /// <summary>
    /// Evaluates <c>M</c>, <c>MGradient</c> and <c>MBackward</c> at <paramref name="args"/> and checks (a) the value,
    /// (b) the gradient against finite differences, (c) <c>Backward</c> with a seed on pre-filled adjoints and
    /// (d) that two <c>Backward</c> calls add twice. Arguments are converted to the parameter types.
    /// </summary>
    public static GradientResult Check(Assembly assembly, string typeName, string methodName, params object[] args) =>
        Check(assembly, typeName, methodName, Precision.Auto, args);

    /// <inheritdoc cref="Check(Assembly, string, string, object[])"/>
    public static GradientResult Check(Assembly assembly, string typeName, string methodName, Precision precision, params object[] args)
    {
        var result = Evaluate(assembly, typeName, methodName, precision, args);
        AssertMatchesFiniteDifferences(assembly, typeName, methodName, result);
        return result;
    }

    /// <summary>
    /// (a), (c) and (d) of <see cref="Check(Assembly, string, string, object[])"/>, then requires the gradient to be
    /// exactly <paramref name="expected"/> (for the documented conventions at kinks, where finite differences do not apply).
    /// </summary>
    public static GradientResult CheckExact(Assembly assembly, string typeName, string methodName, object[] args, params double[] expected)
    {
        var result = Evaluate(assembly, typeName, methodName, Precision.Auto, args);
        AssertGradient(result, expected, tolerance: 0, assembly, "expected exactly");
        return result;
    }

    /// <summary>Requires the gradient to match a hand-derived one within <paramref name="tolerance"/> (relative, floor 1e-3).</summary>
    public static void AssertGradient(GradientResult result, double[] expected, double tolerance, Assembly? assembly = null, string what = "hand-derived gradient")
    {
        if (expected.Length != result.Gradient.Length)
            Assert.Fail($"{result}: {what} has {expected.Length} coordinates, the method has {result.Gradient.Length} active parameters ({string.Join(", ", result.ActiveNames)})");
        for (int i = 0; i < expected.Length; i++)
        {
            double error = tolerance == 0
                ? (expected[i].Equals(result.Gradient[i]) ? 0 : double.PositiveInfinity)
                : GradientCheck.RelativeError(result.Gradient[i], expected[i]);
            if (!(error <= tolerance))
                Assert.Fail($"{result}: d/d{result.ActiveNames[i]} is {Format(result.Gradient[i])}, {what} {Format(expected[i])} (relative error {error:G3}, tolerance {tolerance:G3})"
                    + GeneratedCodeFor(assembly, result));
        }
    }

    /// <summary>Requires two results (e.g. analyses on and off) to have the same value and the same gradient.</summary>
    public static void AssertSame(GradientResult expected, GradientResult actual, string what)
    {
        double tolerance = expected.IsFloat ? BackwardToleranceFloat : BackwardToleranceDouble;
        if (!expected.Value.Equals(actual.Value))
            Assert.Fail($"{what}: values differ: {Format(expected.Value)} and {Format(actual.Value)} at ({Format(expected.Point)})");
        for (int i = 0; i < expected.Gradient.Length; i++)
        {
            double error = CloseError(actual.Gradient[i], expected.Gradient[i]);
            if (!(error <= tolerance))
                Assert.Fail($"{what}: d/d{expected.ActiveNames[i]} differs: {Format(expected.Gradient[i])} and {Format(actual.Gradient[i])} at ({Format(expected.Point)})");
        }
    }

    /// <summary>Checks (a), (c) and (d) and returns the value and the gradient, without finite differences.</summary>
    public static GradientResult Evaluate(Assembly assembly, string typeName, string methodName, Precision precision, params object[] args)
    {
        var type = assembly.GetType(typeName, throwOnError: false)
            ?? throw new InvalidOperationException($"Type '{typeName}' is not in the compiled assembly.");
        var primal = SingleMethod(type, methodName);
        var gradientMethod = SingleMethod(type, methodName + "Gradient", assembly);
        var backward = SingleMethod(type, methodName + "Backward", assembly);
        string display = type.Name + "." + methodName;

        var parameters = primal.GetParameters();
        if (args.Length != parameters.Length)
            throw new ArgumentException($"{display} takes {parameters.Length} arguments, the test gave {args.Length}.");
        var returnType = primal.ReturnType;
        if (returnType != typeof(double) && returnType != typeof(float))
            throw new ArgumentException($"{display} returns {returnType}; GradientAssert checks double or float functions.");

        var active = new List<int>();
        for (int i = 0; i < parameters.Length; i++)
            if (IsActive(parameters[i])) active.Add(i);

        bool isFloat = precision switch
        {
            Precision.Double => false,
            Precision.Float => true,
            _ => returnType == typeof(float) || active.Any(i => parameters[i].ParameterType == typeof(float)),
        };

        var point = new object[args.Length];
        for (int i = 0; i < args.Length; i++)
        {
            point[i] = Convert.ChangeType(args[i], parameters[i].ParameterType, CultureInfo.InvariantCulture);
            if (isFloat && point[i] is double d && active.Contains(i)) point[i] = (double)(float)d;
        }
        string[] activeNames = active.Select(i => parameters[i].Name!).ToArray();
        string where = $"{display}({Format(point)})";

        // (a) the value
        double value = ToDouble(primal.Invoke(null, (object[])point.Clone()));

        // The signatures, as the calling convention says.
        var gradientParameters = gradientMethod.GetParameters();
        if (gradientMethod.ReturnType != returnType || gradientParameters.Length != parameters.Length + active.Count)
            Assert.Fail($"{display}Gradient has signature {Signature(gradientMethod)}; expected the primal parameters, then one 'out' adjoint per active parameter ({string.Join(", ", activeNames)}), returning {returnType.Name}");
        var backwardParameters = backward.GetParameters();
        if (backward.ReturnType != typeof(void) || backwardParameters.Length != parameters.Length + 1 + active.Count)
            Assert.Fail($"{display}Backward has signature {Signature(backward)}; expected the primal parameters, {returnType.Name} dResult, then one 'ref' adjoint per active parameter ({string.Join(", ", activeNames)})");
        for (int i = 0; i < parameters.Length; i++)
        {
            if (gradientParameters[i].ParameterType != parameters[i].ParameterType || backwardParameters[i].ParameterType != parameters[i].ParameterType)
                Assert.Fail($"{display}: the primal parameters are not repeated unchanged: {Signature(gradientMethod)}, {Signature(backward)}");
        }
        var seedParameter = backwardParameters[parameters.Length];
        if (seedParameter.ParameterType != returnType || seedParameter.Name != "dResult")
            Assert.Fail($"{display}Backward: the seed should be '{returnType.Name} dResult', found '{seedParameter.ParameterType.Name} {seedParameter.Name}'");
        for (int k = 0; k < active.Count; k++)
        {
            var p = parameters[active[k]];
            string name = "d" + char.ToUpperInvariant(p.Name![0]) + p.Name.Substring(1);
            var g = gradientParameters[parameters.Length + k];
            var b = backwardParameters[parameters.Length + 1 + k];
            if (!g.IsOut || g.ParameterType != p.ParameterType.MakeByRefType() || g.Name != name)
                Assert.Fail($"{display}Gradient: adjoint {k} should be 'out {p.ParameterType.Name} {name}', found {Describe(g)} in {Signature(gradientMethod)}");
            if (b.IsOut || b.ParameterType != p.ParameterType.MakeByRefType() || b.Name != name)
                Assert.Fail($"{display}Backward: adjoint {k} should be 'ref {p.ParameterType.Name} {name}', found {Describe(b)} in {Signature(backward)}");
        }

        // (a) MGradient returns M's value.
        var gradientArgs = new object?[gradientParameters.Length];
        Array.Copy(point, gradientArgs, point.Length);
        double gradientValue = ToDouble(gradientMethod.Invoke(null, gradientArgs));
        if (!gradientValue.Equals(value))
            Assert.Fail($"{where}: {methodName}Gradient returned {Format(gradientValue)}, {methodName} returns {Format(value)}" + GeneratedCodeFor(assembly, display, methodName));
        var gradient = new double[active.Count];
        for (int k = 0; k < active.Count; k++) gradient[k] = ToDouble(gradientArgs[parameters.Length + k]);
        var result = new GradientResult(display, isFloat, point, activeNames, value, gradient);

        // Backward with seed 1 on zeroed adjoints gives the gradient; with a seed on pre-filled adjoints it
        // accumulates pre + seed * gradient (c); a second call adds the same again (d).
        double tolerance = isFloat ? BackwardToleranceFloat : BackwardToleranceDouble;
        var once = RunBackward(backward, point, parameters, active, returnType, seed: 1, prefill: 0, times: 1);
        CompareBackward(result, once, pre: 0, factor: 1, tolerance, $"{methodName}Backward(dResult: 1) on zero adjoints", assembly, methodName);
        var seeded = RunBackward(backward, point, parameters, active, returnType, Seed, Prefill, times: 1);
        CompareBackward(result, seeded, Prefill, Seed, tolerance, $"{methodName}Backward(dResult: {Seed}) on adjoints pre-filled with {Prefill}", assembly, methodName);
        var twice = RunBackward(backward, point, parameters, active, returnType, Seed, Prefill, times: 2);
        CompareBackward(result, twice, Prefill, 2 * Seed, tolerance, $"{methodName}Backward(dResult: {Seed}) called twice on adjoints pre-filled with {Prefill}", assembly, methodName);
        return result;
    }

    /// <summary>(b): the gradient of <paramref name="result"/> against <see cref="GradientCheck"/> central differences.</summary>
    public static void AssertMatchesFiniteDifferences(Assembly assembly, string typeName, string methodName, GradientResult result)
    {
        var type = assembly.GetType(typeName, throwOnError: true)!;
        var primal = SingleMethod(type, methodName);
        var parameters = primal.GetParameters();
        var active = Enumerable.Range(0, parameters.Length).Where(i => IsActive(parameters[i])).ToArray();
        var point = result.Point;
        GradientCheckReport report;
        double tolerance;
        if (!result.IsFloat)
        {
            tolerance = DoubleTolerance;
            var x = active.Select(i => (double)point[i]).ToArray();
            ScalarFunction f = xs =>
            {
                var a = (object[])point.Clone();
                for (int k = 0; k < active.Length; k++) a[active[k]] = xs[k];
                return ToDouble(primal.Invoke(null, a));
            };
            report = GradientCheck.Check(f, x, result.Gradient);
        }
        else
        {
            tolerance = FloatTolerance;
            var x = active.Select(i => Convert.ToSingle(point[i], CultureInfo.InvariantCulture)).ToArray();
            ScalarFunctionF f = xs =>
            {
                var a = (object[])point.Clone();
                for (int k = 0; k < active.Length; k++)
                    a[active[k]] = parameters[active[k]].ParameterType == typeof(float) ? xs[k] : (object)(double)xs[k];
                return (float)ToDouble(primal.Invoke(null, a));
            };
            report = GradientCheck.Check(f, x, result.Gradient.Select(g => (float)g).ToArray());
        }
        if (!report.Passes(tolerance))
            Assert.Fail($"{result}: gradient does not match finite differences (tolerance {tolerance:G3}): {report}; "
                + $"analytic [{Format(report.Analytic)}], finite differences [{Format(report.Numeric)}] over ({string.Join(", ", result.ActiveNames)})"
                + GeneratedCodeFor(assembly, result));
    }

    // ---------------------------------------------------------------- helpers

    private static double[] RunBackward(MethodInfo backward, object[] point, ParameterInfo[] parameters, List<int> active, Type returnType,
        double seed, double prefill, int times)
    {
        var args = new object?[parameters.Length + 1 + active.Count];
        Array.Copy(point, args, point.Length);
        args[parameters.Length] = Convert.ChangeType(seed, returnType, CultureInfo.InvariantCulture);
        for (int k = 0; k < active.Count; k++)
            args[parameters.Length + 1 + k] = Convert.ChangeType(prefill, parameters[active[k]].ParameterType, CultureInfo.InvariantCulture);
        for (int t = 0; t < times; t++)
        {
            // Fresh copies of the primal arguments each time; the refs carry over.
            Array.Copy(point, args, point.Length);
            backward.Invoke(null, args);
        }
        var adjoints = new double[active.Count];
        for (int k = 0; k < active.Count; k++) adjoints[k] = ToDouble(args[parameters.Length + 1 + k]);
        return adjoints;
    }

    private static void CompareBackward(GradientResult result, double[] actual, double pre, double factor, double tolerance, string what, Assembly assembly, string methodName)
    {
        for (int k = 0; k < actual.Length; k++)
        {
            double expected = pre + factor * result.Gradient[k];
            double error = CloseError(actual[k], expected);
            if (!(error <= tolerance))
                Assert.Fail($"{result}: {what} left d{result.ActiveNames[k]} = {Format(actual[k])}, expected {Format(pre)} + {Format(factor)} * {Format(result.Gradient[k])} = {Format(expected)} (error {error:G3}, tolerance {tolerance:G3})"
                    + GeneratedCodeFor(assembly, result.Method, methodName));
        }
    }

    /// <summary>|a - e| / max(|a|, |e|, 1); 0 when equal (infinities and NaN included).</summary>
    private static double CloseError(double actual, double expected)
    {
        if (actual.Equals(expected)) return 0;
        if (double.IsNaN(actual) || double.IsNaN(expected) || double.IsInfinity(actual) || double.IsInfinity(expected)) return double.PositiveInfinity;
        return Math.Abs(actual - expected) / Math.Max(1, Math.Max(Math.Abs(actual), Math.Abs(expected)));
    }

    private static bool IsActive(ParameterInfo p) =>
        (p.ParameterType == typeof(double) || p.ParameterType == typeof(float))
        && !p.GetCustomAttributesData().Any(a => a.AttributeType.Name == "NoDiffAttribute");

    private static MethodInfo SingleMethod(Type type, string name, Assembly? assembly = null)
    {
        var found = type.GetMethods(StaticMembers).Where(m => m.Name == name).ToList();
        if (found.Count == 1) return found[0];
        // Name the related members (M, MGradient, MBackward and overloads), not the whole class.
        string stem = name.EndsWith("Gradient", StringComparison.Ordinal) ? name.Substring(0, name.Length - "Gradient".Length)
            : name.EndsWith("Backward", StringComparison.Ordinal) ? name.Substring(0, name.Length - "Backward".Length) : name;
        var related = type.GetMethods(StaticMembers).Where(m => m.Name.StartsWith(stem, StringComparison.Ordinal)).Select(Signature)
            .OrderBy(s => s, StringComparer.Ordinal).ToList();
        string generated = assembly is not null && GeneratedTexts.TryGetValue(assembly, out var text)
            ? (text.Length == 0 ? "\nThe generator produced no source at all." : "\nGenerated text (start):\n" + Truncate(text, 4000))
            : "";
        throw new InvalidOperationException($"{type.FullName} has {found.Count} methods named '{name}' (expected 1); members named {stem}*:\n  "
            + string.Join("\n  ", related) + generated);
    }

    private static string Signature(MethodInfo m) =>
        $"{m.ReturnType.Name} {m.Name}({string.Join(", ", m.GetParameters().Select(Describe))})";

    private static string Describe(ParameterInfo p)
    {
        var t = p.ParameterType;
        string modifier = t.IsByRef ? (p.IsOut ? "out " : p.IsIn ? "in " : "ref ") : "";
        return modifier + (t.IsByRef ? t.GetElementType()!.Name : t.Name) + " " + p.Name;
    }

    private static double ToDouble(object? o) => o switch
    {
        double d => d,
        float f => f,
        _ => throw new InvalidOperationException($"Expected a double or float, got {o?.GetType().Name ?? "null"}."),
    };

    internal static string Format(double d) => d.ToString("R", CultureInfo.InvariantCulture);

    internal static string Format(IEnumerable<double> values) => string.Join(", ", values.Select(Format));

    internal static string Format(object[] point) => string.Join(", ", point.Select(o => o switch
    {
        double d => Format(d),
        float f => f.ToString("R", CultureInfo.InvariantCulture) + "f",
        bool b => b ? "true" : "false",
        _ => Convert.ToString(o, CultureInfo.InvariantCulture),
    }));

    private static string GeneratedCodeFor(Assembly? assembly, GradientResult result) =>
        GeneratedCodeFor(assembly, result.Method, result.Method.Substring(result.Method.LastIndexOf('.') + 1));

    private static string GeneratedCodeFor(Assembly? assembly, string display, string methodName)
    {
        if (assembly is null || !GeneratedTexts.TryGetValue(assembly, out var text)) return "";
        var sb = new StringBuilder();
        foreach (string suffix in new[] { "Gradient", "Backward" })
        {
            string member = ExtractMember(text, methodName + suffix);
            if (member.Length > 0) sb.Append("\n").Append(member);
        }
        return sb.Length == 0
            ? $"\n(no generated member named {methodName}Gradient/{methodName}Backward found for {display})"
            : "\nGenerated code:" + sb;
    }

    /// <summary>The generated member called <paramref name="name"/>: its signature line through the matching brace (or expression body).</summary>
    internal static string ExtractMember(string text, string name)
    {
        int at = -1;
        for (int from = 0; ;)
        {
            int i = text.IndexOf(" " + name + "(", from, StringComparison.Ordinal);
            if (i < 0) break;
            int lineStart = text.LastIndexOf('\n', i) + 1;
            string prefix = text.Substring(lineStart, i - lineStart);
            if (!prefix.Contains('=') && !prefix.Contains("return")) { at = lineStart; break; }
            from = i + 1;
        }
        if (at < 0) return "";
        // Include attributes and comments directly above.
        int start = at;
        while (start > 0)
        {
            int prevEnd = start - 1;
            int prevStart = text.LastIndexOf('\n', prevEnd - 1) + 1;
            string prev = text.Substring(prevStart, prevEnd - prevStart).Trim();
            if (prev.StartsWith("[", StringComparison.Ordinal) || prev.StartsWith("//", StringComparison.Ordinal)) start = prevStart;
            else break;
        }
        int brace = text.IndexOf('{', at);
        int semicolonBody = text.IndexOf("=>", at, StringComparison.Ordinal);
        if (semicolonBody >= 0 && (brace < 0 || semicolonBody < brace))
        {
            int end = text.IndexOf(";\n", semicolonBody, StringComparison.Ordinal);
            return Truncate(text.Substring(start, (end < 0 ? text.Length : end + 1) - start), 20000);
        }
        if (brace < 0) return "";
        int depth = 0;
        for (int i = brace; i < text.Length; i++)
        {
            if (text[i] == '{') depth++;
            else if (text[i] == '}' && --depth == 0) return Truncate(text.Substring(start, i + 1 - start), 20000);
        }
        return Truncate(text.Substring(start), 20000);
    }

    private static string Truncate(string s, int max) => s.Length <= max ? s : s.Substring(0, max) + "\n... (truncated)";
}

/// <summary>One method (or field block) of a generated test source.</summary>
/// <param name="Name">The method's name (unique in the set).</param>
/// <param name="ClassName">The partial class it goes into.</param>
/// <param name="Code">Its C# text.</param>
/// <param name="Dependencies">Names of other entries it needs (callees, shared fields).</param>
internal sealed record SourceMember(string Name, string ClassName, string Code, params string[] Dependencies);

/// <summary>
/// A test source made of many small members, compiled once as a whole. If the whole does not compile (one
/// unsupported construct fails every test), a test falls back to compiling just the members it needs, so one
/// generator bug fails only its own tests; the failure of the whole is still reported by a dedicated test.
/// </summary>
internal sealed class SourceSet
{
    private readonly Dictionary<string, SourceMember> _members;
    private readonly string _namespace;

    public SourceSet(string @namespace, IEnumerable<SourceMember> members)
    {
        _namespace = @namespace;
        _members = new Dictionary<string, SourceMember>(StringComparer.Ordinal);
        foreach (var m in members)
        {
            if (!_members.TryAdd(m.Name, m)) throw new ArgumentException($"Duplicate member '{m.Name}'.");
        }
        FullSource = Build(_members.Values);
    }

    public string Namespace => _namespace;

    public string FullSource { get; }

    public IReadOnlyCollection<SourceMember> Members => _members.Values;

    public string TypeName(string member) => _namespace + "." + _members[member].ClassName;

    /// <summary>The assembly to test <paramref name="member"/> in: the whole source if it compiles, else just what the member needs.</summary>
    public Assembly AssemblyFor(string member, bool analysesOff = false)
    {
        CompiledSource whole;
        try
        {
            whole = GradientAssert.Compile(FullSource, analysesOff);
        }
        catch (InvalidOperationException)
        {
            return GradientAssert.Load(SourceFor(member), analysesOff);
        }
        return whole.Assembly;
    }

    /// <summary>The source with only <paramref name="member"/> and its dependencies.</summary>
    public string SourceFor(string member)
    {
        var needed = new List<SourceMember>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        void Add(string name)
        {
            if (!seen.Add(name)) return;
            if (!_members.TryGetValue(name, out var m)) throw new ArgumentException($"Unknown member '{name}'.");
            foreach (var d in m.Dependencies) Add(d);
            needed.Add(m);
        }
        Add(member);
        return Build(_members.Values.Where(m => seen.Contains(m.Name)));
    }

    private string Build(IEnumerable<SourceMember> members)
    {
        var sb = new StringBuilder();
        sb.Append("using System;\nusing Differentiable;\n\nnamespace ").Append(_namespace).Append("\n{\n");
        foreach (var group in members.GroupBy(m => m.ClassName))
        {
            sb.Append("    public static partial class ").Append(group.Key).Append("\n    {\n");
            foreach (var m in group)
            {
                foreach (var line in m.Code.Trim('\n', '\r').Split('\n'))
                    sb.Append(line.Length == 0 ? "" : "        " + line.TrimEnd('\r')).Append('\n');
                sb.Append('\n');
            }
            sb.Append("    }\n\n");
        }
        sb.Append("}\n");
        return sb.ToString();
    }
}
