using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using System.Text;
using Differentiable.Generator.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Differentiable.Generator.Tests.Corpus;

// The span-aware test harness for methods with buffer parameters (the loop corpus, LoopCorpus.cs).
//
// Span parameters cannot be passed by reflection, so every tested method M gets three small, non-differentiable
// drivers written into the compiled source next to it (LoopSignature.Drivers), with one uniform signature:
//
//     double M__Value(object[] args)                                  // calls M; returns 0 for a void M
//     double M__Gradient(object[] args, object[] adj)                 // calls MGradient (double/float M only)
//     void   M__Backward(object[] args, double seed, object[] adj)    // calls MBackward (seed ignored for a void M)
//
// args[i] holds M's i-th argument: a double[]/float[] for a buffer parameter (ReadOnlySpan<T>, Span<T> or T[]), a
// boxed double/float/int/long/bool otherwise. adj[k] holds the adjoint of M's k-th active parameter: a T[] for a
// buffer (passed as its Span<T> shadow), a T[1] for a scalar (passed as 'out adj[0]' / 'ref adj[0]'). The drivers
// only cast and unbox, so they allocate nothing, and the harness calls them through typed delegates.
//
// This file does not depend on the generator supporting loops: LoopHarnessSelfTests checks the harness itself
// against hand-written adjoints that follow the calling convention.
//
// Where DESIGN.md leaves room, the checks assume:
// - Gradient, like Backward, runs the primal: written buffers hold the primal's results after it. Gradient is
//   Backward with dResult = 1 on cleared adjoints, so a written buffer's shadow gets the adjoint of its contents at
//   entry for a zero seed (0 for a pure output).
// - "Backward twice adds twice" holds for scalar adjoints and read-only shadows. A written buffer's shadow holds an
//   adjoint at entry after a call, not a seed, so the checks re-seed it before the second call.
// - A too-short shadow throws before any work: primal buffers, the other shadows and Backward's ref scalars are
//   unchanged (Gradient's out scalars are not checked). Only shorter shadows are checked; longer ones are allowed.
// - A method is checked at float precision when it returns float or has an active float parameter (as GradientAssert).
// - Analyses on and off agree to 1e-12 (double) / 1e-5 (float), |a - b| / max(|a|, |b|, 1); values bitwise.

/// <summary>The kind of a parameter in the calling convention.</summary>
internal enum LoopParamKind
{
    /// <summary>double or float.</summary>
    Scalar,

    /// <summary>ReadOnlySpan&lt;T&gt;, Span&lt;T&gt; or T[] of double or float.</summary>
    Buffer,

    /// <summary>Anything else (int, long, bool): always a constant.</summary>
    Constant,
}

/// <summary>One parameter of a tested method, from its declaration.</summary>
internal sealed record LoopParam(int Index, string Name, string Type, LoopParamKind Kind, bool IsFloat, bool NoDiff)
{
    /// <summary>Active in the calling convention: a double/float scalar or buffer not marked [NoDiff].</summary>
    public bool Active => Kind != LoopParamKind.Constant && !NoDiff;

    /// <summary>The adjoint's name: d + the name with its first letter upper-cased.</summary>
    public string AdjointName => "d" + char.ToUpperInvariant(Name[0]) + Name.Substring(1);

    /// <summary>double or float: the element type of a buffer, the type of a scalar.</summary>
    public string Element => IsFloat ? "float" : "double";

    /// <summary>Span&lt;T&gt;, ReadOnlySpan&lt;T&gt; or T[] (the declared shape) for a buffer.</summary>
    public bool IsReadOnlySpan => Kind == LoopParamKind.Buffer && Type.StartsWith("ReadOnlySpan<", StringComparison.Ordinal);

    /// <summary>The CLR type of the parameter.</summary>
    public Type ClrType => Kind switch
    {
        LoopParamKind.Scalar => IsFloat ? typeof(float) : typeof(double),
        LoopParamKind.Buffer when Type.EndsWith("[]", StringComparison.Ordinal) => IsFloat ? typeof(float[]) : typeof(double[]),
        LoopParamKind.Buffer when IsReadOnlySpan => IsFloat ? typeof(ReadOnlySpan<float>) : typeof(ReadOnlySpan<double>),
        LoopParamKind.Buffer => IsFloat ? typeof(Span<float>) : typeof(Span<double>),
        _ => Type switch
        {
            "int" => typeof(int),
            "long" => typeof(long),
            "bool" => typeof(bool),
            _ => throw new NotSupportedException($"The loop harness does not support constant parameters of type '{Type}'."),
        },
    };
}

/// <summary>A tested method's signature, read from its source text, and the drivers written for it.</summary>
internal sealed class LoopSignature
{
    public const string ValueSuffix = "__Value";
    public const string GradientSuffix = "__Gradient";
    public const string BackwardSuffix = "__Backward";

    private LoopSignature(string name, string returnType, LoopParam[] parameters)
    {
        Name = name;
        ReturnType = returnType;
        Parameters = parameters;
        Active = parameters.Where(p => p.Active).ToArray();
    }

    public string Name { get; }

    /// <summary>"double", "float" or "void".</summary>
    public string ReturnType { get; }

    public bool ReturnsValue => ReturnType != "void";

    public LoopParam[] Parameters { get; }

    /// <summary>The active parameters in order: the adjoints of Gradient and Backward.</summary>
    public LoopParam[] Active { get; }

    /// <summary>Float precision for the checks: returns float or has an active float parameter.</summary>
    public bool IsFloat => ReturnType == "float" || Active.Any(p => p.IsFloat);

    public LoopParam Parameter(string name) =>
        Parameters.SingleOrDefault(p => p.Name == name) ?? throw new ArgumentException($"{Name} has no parameter '{name}'.");

    /// <summary>Reads the declaration of the method <paramref name="name"/> in <paramref name="code"/> (class members).</summary>
    public static LoopSignature Parse(string code, string name)
    {
        var tree = CSharpSyntaxTree.ParseText("class __Wrapper\n{\n" + code + "\n}\n", new CSharpParseOptions(LanguageVersion.Latest));
        var methods = tree.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>().Where(m => m.Identifier.Text == name).ToList();
        if (methods.Count != 1) throw new ArgumentException($"Expected one method named '{name}' in its source, found {methods.Count}.");
        var method = methods[0];
        string returnType = Normalize(method.ReturnType.ToString());
        if (returnType is not ("double" or "float" or "void"))
            throw new ArgumentException($"{name} returns '{returnType}'; the loop harness tests double, float and void methods.");
        var parameters = new List<LoopParam>();
        foreach (var p in method.ParameterList.Parameters)
        {
            if (p.Modifiers.Count > 0) throw new ArgumentException($"{name}: parameter '{p.Identifier.Text}' has modifiers, which the harness does not support.");
            string type = Normalize(p.Type!.ToString());
            bool noDiff = p.AttributeLists.SelectMany(l => l.Attributes)
                .Any(a => a.Name.ToString() is "NoDiff" or "NoDiffAttribute" or "Differentiable.NoDiff" or "Differentiable.NoDiffAttribute");
            (LoopParamKind kind, bool isFloat) = type switch
            {
                "double" => (LoopParamKind.Scalar, false),
                "float" => (LoopParamKind.Scalar, true),
                "double[]" or "Span<double>" or "ReadOnlySpan<double>" => (LoopParamKind.Buffer, false),
                "float[]" or "Span<float>" or "ReadOnlySpan<float>" => (LoopParamKind.Buffer, true),
                _ => (LoopParamKind.Constant, false),
            };
            var param = new LoopParam(parameters.Count, p.Identifier.Text, type, kind, isFloat, noDiff);
            _ = param.ClrType; // rejects unsupported constant types early
            parameters.Add(param);
        }
        return new LoopSignature(name, returnType, parameters.ToArray());
    }

    private static string Normalize(string type) =>
        type.Replace(" ", "", StringComparison.Ordinal).Replace("global::", "", StringComparison.Ordinal).Replace("System.", "", StringComparison.Ordinal);

    /// <summary>
    /// The drivers, as class members. <paramref name="withAdjoints"/> false writes only <c>M__Value</c> (for a
    /// compilation without the generator).
    /// </summary>
    public string Drivers(bool withAdjoints)
    {
        string Arg(LoopParam p) => p.Kind switch
        {
            LoopParamKind.Buffer => $"({p.Element}[])args[{p.Index}]",
            LoopParamKind.Scalar => $"({p.Element})args[{p.Index}]",
            _ => $"({p.Type})args[{p.Index}]",
        };
        string primalArgs = string.Join(", ", Parameters.Select(Arg));
        var sb = new StringBuilder();
        sb.Append("// Test drivers for ").Append(Name).Append(" (not differentiable): arrays in, nothing allocated.\n");
        sb.Append("public static double ").Append(Name).Append(ValueSuffix).Append("(object[] args)\n{\n");
        if (ReturnsValue) sb.Append("    return ").Append(Name).Append('(').Append(primalArgs).Append(");\n");
        else sb.Append("    ").Append(Name).Append('(').Append(primalArgs).Append(");\n    return 0;\n");
        sb.Append("}\n");
        if (!withAdjoints) return sb.ToString();

        string Adjoint(LoopParam p, int k, string byRef) => p.Kind == LoopParamKind.Buffer
            ? $"({p.Element}[])adj[{k}]"
            : $"{byRef} (({p.Element}[])adj[{k}])[0]";
        string Join(params string[] parts) => string.Join(", ", parts.Where(s => s.Length > 0));
        if (ReturnsValue)
        {
            string adjoints = string.Join(", ", Active.Select((p, k) => Adjoint(p, k, "out")));
            sb.Append("public static double ").Append(Name).Append(GradientSuffix).Append("(object[] args, object[] adj)\n{\n")
              .Append("    return ").Append(Name).Append("Gradient(").Append(Join(primalArgs, adjoints)).Append(");\n}\n");
        }
        string seed = ReturnsValue ? (ReturnType == "float" ? "(float)seed" : "seed") : "";
        string backwardAdjoints = string.Join(", ", Active.Select((p, k) => Adjoint(p, k, "ref")));
        sb.Append("public static void ").Append(Name).Append(BackwardSuffix).Append("(object[] args, double seed, object[] adj)\n{\n")
          .Append("    ").Append(Name).Append("Backward(").Append(Join(primalArgs, seed, backwardAdjoints)).Append(");\n}\n");
        return sb.ToString();
    }

    public override string ToString() =>
        $"{ReturnType} {Name}({string.Join(", ", Parameters.Select(p => (p.NoDiff ? "[NoDiff] " : "") + p.Type + " " + p.Name))})";
}

/// <summary>A buffer parameter's role: how its contents at entry and at return relate.</summary>
internal enum BufferRole
{
    /// <summary>Never written: its shadow accumulates.</summary>
    Input,

    /// <summary>Written before any read: contents at entry are unused, its seed is consumed (left zero).</summary>
    Output,

    /// <summary>Read and written: the shadow maps the seed at return to the adjoint at entry.</summary>
    InPlace,
}

/// <summary>Named access to a point's arguments (or to seeds/adjoints) for hand-derived formulas, everything as double.</summary>
internal sealed class HandArgs
{
    private readonly Dictionary<string, object> _values;

    public HandArgs(Dictionary<string, object> values) => _values = values;

    public double[] Vec(string name) => _values[name] switch
    {
        double[] d => (double[])d.Clone(),
        float[] f => f.Select(v => (double)v).ToArray(),
        _ => throw new ArgumentException($"'{name}' is not a buffer."),
    };

    public double Num(string name) => _values[name] switch
    {
        double d => d,
        float f => f,
        double[] { Length: 1 } d => d[0],
        float[] { Length: 1 } f => f[0],
        int i => i,
        long l => l,
        _ => throw new ArgumentException($"'{name}' is not a scalar."),
    };

    public int Int(string name) => Convert.ToInt32(_values[name], CultureInfo.InvariantCulture);

    /// <summary>Concatenates scalars (double) and vectors (double[]) into one gradient, in the active parameters' order.</summary>
    public static double[] Flat(params object[] parts)
    {
        var all = new List<double>();
        foreach (var part in parts)
        {
            if (part is double d) all.Add(d);
            else if (part is int i) all.Add(i);
            else if (part is double[] v) all.AddRange(v);
            else throw new ArgumentException($"Flat takes double and double[], not {part?.GetType().Name}.");
        }
        return all.ToArray();
    }
}

/// <summary>One tested function with buffers, and the points it is checked at.</summary>
/// <param name="Name">The method's name (unique in its source).</param>
/// <param name="Points">
/// Argument lists: double[] for every buffer (float buffers get the values rounded), double for scalars (rounded for
/// float ones), int/long/bool for constants. Pure-output buffers need their full length; their contents are ignored.
/// </param>
internal sealed record LoopCase(string Name, params object[][] Points)
{
    /// <summary>Buffers the method writes before reading (their contents at entry are unused).</summary>
    public string[] Outputs { get; init; } = Array.Empty<string>();

    /// <summary>Buffers the method reads and writes.</summary>
    public string[] InPlace { get; init; } = Array.Empty<string>();

    /// <summary>Hand-derived gradient of the returned value over the active parameters (flattened, in order).</summary>
    public Func<HandArgs, double[]>? Hand { get; init; }

    /// <summary>
    /// Hand-derived vector-Jacobian product: given the arguments and the seeds of the written buffers, the adjoints
    /// Backward leaves (scalar adjoints starting at 0, read-only shadows starting at 0, dResult 0), flattened in order.
    /// </summary>
    public Func<HandArgs, HandArgs, double[]>? HandVjp { get; init; }

    /// <summary>
    /// Multiplies the finite-difference step, for functions that vary on a scale far below max(1, |x|) (a step size
    /// h = 0.001 in a 1,000-step recurrence).
    /// </summary>
    public double FdStepScale { get; init; } = 1;

    /// <summary>Relative tolerance of the hand formulas; null for the defaults (1e-10 double, 1e-5 float).</summary>
    public double? HandTolerance { get; init; }

    public BufferRole Role(LoopParam p) =>
        Outputs.Contains(p.Name) ? BufferRole.Output : InPlace.Contains(p.Name) ? BufferRole.InPlace : BufferRole.Input;

    public override string ToString() => Name;
}

/// <summary>The position of one active parameter's values in a flattened gradient.</summary>
internal readonly record struct LoopSlot(LoopParam Param, int ActiveIndex, int Offset, int Length);

/// <summary>A compiled tested method bound to its drivers through typed delegates.</summary>
internal sealed class LoopFunction
{
    private readonly Func<object[], double> _value;
    private readonly Func<object[], object[], double>? _gradient;
    private readonly Action<object[], double, object[]>? _backward;

    private LoopFunction(LoopSignature signature, string display, Assembly assembly, string? generatedText,
        Func<object[], double> value, Func<object[], object[], double>? gradient, Action<object[], double, object[]>? backward)
    {
        Signature = signature;
        Display = display;
        Assembly = assembly;
        GeneratedText = generatedText;
        _value = value;
        _gradient = gradient;
        _backward = backward;
    }

    public LoopSignature Signature { get; }

    /// <summary>Type.Method.</summary>
    public string Display { get; }

    public Assembly Assembly { get; }

    /// <summary>What the generator wrote for the compiled source, if it ran.</summary>
    public string? GeneratedText { get; }

    public bool IsFloat => Signature.IsFloat;

    public static LoopFunction Bind(Assembly assembly, string typeName, LoopSignature signature, string? generatedText, bool withAdjoints)
    {
        var type = assembly.GetType(typeName, throwOnError: false)
            ?? throw new InvalidOperationException($"Type '{typeName}' is not in the compiled assembly.");
        const BindingFlags flags = BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly;
        MethodInfo Find(string suffix) => type.GetMethod(signature.Name + suffix, flags)
            ?? throw new InvalidOperationException($"{type.Name} has no driver {signature.Name}{suffix}.");
        var value = Find(LoopSignature.ValueSuffix).CreateDelegate<Func<object[], double>>();
        Func<object[], object[], double>? gradient = null;
        Action<object[], double, object[]>? backward = null;
        if (withAdjoints)
        {
            if (signature.ReturnsValue) gradient = Find(LoopSignature.GradientSuffix).CreateDelegate<Func<object[], object[], double>>();
            backward = Find(LoopSignature.BackwardSuffix).CreateDelegate<Action<object[], double, object[]>>();
        }
        return new LoopFunction(signature, type.Name + "." + signature.Name, assembly, generatedText, value, gradient, backward);
    }

    // ------------------------------------------------------------ calls

    /// <summary>Runs the method on <paramref name="args"/> (buffers are written in place); 0 for a void method.</summary>
    public double Value(object[] args) => _value(args);

    /// <summary>Runs <c>MGradient</c>: returns the value, writes the adjoints into <paramref name="adj"/>.</summary>
    public double Gradient(object[] args, object[] adj) =>
        (_gradient ?? throw new InvalidOperationException($"{Display} has no Gradient (void, or bound without adjoints)."))(args, adj);

    /// <summary>Runs <c>MBackward</c> with <paramref name="seed"/> as dResult (ignored for a void method).</summary>
    public void Backward(object[] args, double seed, object[] adj) =>
        (_backward ?? throw new InvalidOperationException($"{Display} was bound without adjoints."))(args, seed, adj);

    /// <summary>The typed delegates themselves, for allocation and threading tests.</summary>
    public Func<object[], object[], double>? GradientDelegate => _gradient;

    public Action<object[], double, object[]>? BackwardDelegate => _backward;

    // ------------------------------------------------------------ arguments

    /// <summary>The arguments of <paramref name="point"/> converted to the parameter types; every buffer a fresh copy.</summary>
    public object[] Pack(object[] point)
    {
        var ps = Signature.Parameters;
        if (point.Length != ps.Length)
            throw new ArgumentException($"{Signature} takes {ps.Length} arguments, the point has {point.Length}.");
        var args = new object[ps.Length];
        for (int i = 0; i < ps.Length; i++)
        {
            var p = ps[i];
            args[i] = p.Kind switch
            {
                LoopParamKind.Buffer => p.IsFloat ? ToFloats(point[i], p.Name) : ToDoubles(point[i], p.Name),
                LoopParamKind.Scalar => p.IsFloat ? (float)Convert.ToDouble(point[i], CultureInfo.InvariantCulture) : (object)Convert.ToDouble(point[i], CultureInfo.InvariantCulture),
                _ => Convert.ChangeType(point[i], p.ClrType, CultureInfo.InvariantCulture),
            };
        }
        return args;
    }

    private static double[] ToDoubles(object o, string name) => o switch
    {
        double[] d => (double[])d.Clone(),
        float[] f => f.Select(v => (double)v).ToArray(),
        _ => throw new ArgumentException($"The point gives {o?.GetType().Name ?? "null"} for buffer '{name}'."),
    };

    private static float[] ToFloats(object o, string name) => o switch
    {
        double[] d => d.Select(v => (float)v).ToArray(),
        float[] f => (float[])f.Clone(),
        _ => throw new ArgumentException($"The point gives {o?.GetType().Name ?? "null"} for buffer '{name}'."),
    };

    /// <summary>A deep copy of <paramref name="args"/> (buffers copied).</summary>
    public static object[] Copy(object[] args) => args.Select(a => a is Array array ? array.Clone() : a).ToArray();

    /// <summary>Length of a buffer argument, 1 for a scalar.</summary>
    public static int LengthOf(object arg) => arg is Array a ? a.Length : 1;

    /// <summary>Where each active parameter's values sit in a flattened gradient, for these arguments.</summary>
    public LoopSlot[] Slots(object[] args)
    {
        var slots = new LoopSlot[Signature.Active.Length];
        int offset = 0;
        for (int k = 0; k < slots.Length; k++)
        {
            var p = Signature.Active[k];
            int length = p.Kind == LoopParamKind.Buffer ? LengthOf(args[p.Index]) : 1;
            slots[k] = new LoopSlot(p, k, offset, length);
            offset += length;
        }
        return slots;
    }

    public int Dimension(object[] args) => Slots(args).Sum(s => s.Length);

    /// <summary>The name of coordinate <paramref name="i"/> of a flattened gradient: "x" or "w[3]".</summary>
    public string Coordinate(object[] args, int i)
    {
        foreach (var s in Slots(args))
        {
            if (i >= s.Offset && i < s.Offset + s.Length)
                return s.Param.Kind == LoopParamKind.Buffer ? $"{s.Param.Name}[{i - s.Offset}]" : s.Param.Name;
        }
        return $"#{i}";
    }

    /// <summary>True for coordinates of float parameters (finite differences probe them in float).</summary>
    public bool[] FloatCoordinates(object[] args)
    {
        var result = new bool[Dimension(args)];
        foreach (var s in Slots(args))
            for (int j = 0; j < s.Length; j++) result[s.Offset + j] = s.Param.IsFloat;
        return result;
    }

    /// <summary>The values of the active parameters, flattened.</summary>
    public double[] ActiveValues(object[] args)
    {
        var flat = new double[Dimension(args)];
        foreach (var s in Slots(args)) Read(args[s.Param.Index], flat, s.Offset, s.Length);
        return flat;
    }

    /// <summary>Writes flattened values into the active parameters (rounded to float where the parameter is float).</summary>
    public void SetActive(object[] args, double[] flat)
    {
        foreach (var s in Slots(args))
        {
            var p = s.Param;
            if (p.Kind == LoopParamKind.Scalar) args[p.Index] = p.IsFloat ? (float)flat[s.Offset] : (object)flat[s.Offset];
            else Write(args[p.Index], flat, s.Offset, s.Length);
        }
    }

    /// <summary>
    /// An adjoint pack for <paramref name="args"/>, holding <paramref name="flat"/> (null: zeros). The shadow of active
    /// parameter <paramref name="shortIndex"/> is made one element shorter than its primal.
    /// </summary>
    public object[] Adjoints(object[] args, double[]? flat = null, int shortIndex = -1)
    {
        var slots = Slots(args);
        var adj = new object[slots.Length];
        foreach (var s in slots)
        {
            int length = s.Length - (s.ActiveIndex == shortIndex ? 1 : 0);
            Array a = s.Param.IsFloat ? new float[length] : new double[length];
            if (flat is not null) Write(a, flat, s.Offset, Math.Min(length, s.Length));
            adj[s.ActiveIndex] = a;
        }
        return adj;
    }

    /// <summary>The adjoints in <paramref name="adj"/>, flattened.</summary>
    public double[] Flatten(object[] args, object[] adj)
    {
        var flat = new double[Dimension(args)];
        foreach (var s in Slots(args)) Read(adj[s.ActiveIndex], flat, s.Offset, s.Length);
        return flat;
    }

    private static void Read(object source, double[] flat, int offset, int length)
    {
        switch (source)
        {
            case double d: flat[offset] = d; break;
            case float f: flat[offset] = f; break;
            case double[] a: Array.Copy(a, 0, flat, offset, length); break;
            case float[] a: for (int j = 0; j < length; j++) flat[offset + j] = a[j]; break;
            default: throw new InvalidOperationException($"Cannot read {source?.GetType().Name}.");
        }
    }

    private static void Write(object target, double[] flat, int offset, int length)
    {
        switch (target)
        {
            case double[] a: Array.Copy(flat, offset, a, 0, length); break;
            case float[] a: for (int j = 0; j < length; j++) a[j] = (float)flat[offset + j]; break;
            default: throw new InvalidOperationException($"Cannot write {target?.GetType().Name}.");
        }
    }

    /// <summary>Arguments by name, for hand formulas.</summary>
    public HandArgs Named(object[] args) =>
        new(Signature.Parameters.ToDictionary(p => p.Name, p => args[p.Index]));

    /// <summary>Adjoints by parameter name, for hand formulas.</summary>
    public HandArgs NamedAdjoints(object[] adj) =>
        new(Signature.Active.Select((p, k) => (p, k)).ToDictionary(t => t.p.Name, t => adj[t.k]));

    /// <summary>The generated Gradient and Backward of this method, for failure messages.</summary>
    public string GeneratedCode()
    {
        if (GeneratedText is null) return "";
        var sb = new StringBuilder();
        foreach (string suffix in new[] { "Gradient", "Backward" })
        {
            string member = GradientAssert.ExtractMember(GeneratedText, Signature.Name + suffix);
            if (member.Length > 0) sb.Append('\n').Append(member);
        }
        return sb.Length == 0 ? $"\n(no generated {Signature.Name}Gradient/{Signature.Name}Backward found)" : "\nGenerated code:" + sb;
    }
}

/// <summary>Compiles loop sources, with the generator or without it (primal only), and binds their methods.</summary>
internal static class LoopCompiler
{
    private static readonly ConcurrentDictionary<string, Lazy<Assembly>> PrimalCache = new();

    /// <summary>
    /// The compiled source to test <paramref name="member"/> in: the whole set if it compiles with the generator,
    /// else only the member and its dependencies (so one unsupported construct fails only its own tests).
    /// </summary>
    public static CompiledSource CompiledFor(SourceSet set, string member, bool analysesOff)
    {
        try
        {
            return GradientAssert.Compile(set.FullSource, analysesOff);
        }
        catch (InvalidOperationException)
        {
            return GradientAssert.Compile(set.SourceFor(member), analysesOff);
        }
    }

    /// <summary>Compiles <paramref name="source"/> with the C# compiler alone (no generator): for checks of the primal.</summary>
    public static Assembly CompilePrimal(string source) =>
        PrimalCache.GetOrAdd(source, s => new Lazy<Assembly>(() =>
        {
            var compilation = TestCompiler.CreateCompilation(s);
            var problems = compilation.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
            if (problems.Count > 0) throw new InvalidOperationException("The primal source does not compile:\n" + string.Join("\n", problems));
            using var stream = new MemoryStream();
            var emit = compilation.Emit(stream);
            if (!emit.Success) throw new InvalidOperationException(string.Join("\n", emit.Diagnostics));
            return new System.Runtime.Loader.AssemblyLoadContext(null, isCollectible: true).LoadFromStream(new MemoryStream(stream.ToArray()));
        })).Value;
}

/// <summary>The checks, one point at a time. Each fails with the function, the point, the coordinates and the generated code.</summary>
internal static class LoopChecks
{
    /// <summary>Relative error allowed against finite differences (double).</summary>
    public const double FdToleranceDouble = 1e-6;

    /// <summary>Relative error allowed against finite differences (float).</summary>
    public const double FdToleranceFloat = 1e-3;

    /// <summary>Relative finite-difference step (double): h = step * max(1, |x|), Richardson-extrapolated from h and h/2.</summary>
    public const double StepDouble = 1e-3;

    /// <summary>
    /// Relative finite-difference step for float coordinates: larger than GradientCheck's 2e-2, because loops sum
    /// many float roundings. Measured against the double twins of the float functions (LoopCorpusPrimalTests), the
    /// error of float finite differences at this step is below 1e-4.
    /// </summary>
    public const double StepFloat = 4e-2;

    /// <summary>
    /// The denominator of a relative error is at least max(FloorAbsolute, FloorRelative * the largest expected
    /// coordinate): a coordinate far smaller than the gradient's scale is compared in absolute terms at that scale.
    /// </summary>
    public const double FloorAbsolute = 1e-3;

    public const double FloorRelativeDouble = 1e-3;

    public const double FloorRelativeFloat = 3e-2;

    /// <summary>Rounding allowed between results that differ only in rounding (|a - e| / max(|a|, |e|, 1)).</summary>
    public const double RoundingDouble = 1e-12;

    public const double RoundingFloat = 1e-5;

    public const double HandToleranceDouble = 1e-10;

    public const double HandToleranceFloat = 1e-5;

    /// <summary>The seed of the accumulation checks (not 1, so a missing multiply shows).</summary>
    public const double Seed = 0.75;

    /// <summary>The value adjoints hold before Backward in the accumulation checks (not 0, so an overwrite shows).</summary>
    public const double Prefill = 0.5;

    /// <summary>What Gradient's adjoints hold before the call (they must be cleared/overwritten).</summary>
    public const double Garbage = 13.25;

    public static double FdTolerance(LoopFunction f) => f.IsFloat ? FdToleranceFloat : FdToleranceDouble;

    public static double Rounding(LoopFunction f) => f.IsFloat ? RoundingFloat : RoundingDouble;

    // ------------------------------------------------------------ Gradient

    /// <summary>
    /// Gradient returns the primal's value (bitwise), leaves the primal's results in written buffers, overwrites
    /// adjoints that held garbage, and matches central finite differences of the value. Returns the gradient.
    /// </summary>
    public static double[] CheckGradient(LoopFunction f, LoopCase c, object[] point)
    {
        RequireValue(f);
        var expectedArgs = f.Pack(point);
        double value = f.Value(expectedArgs);

        var args = f.Pack(point);
        var x = f.ActiveValues(args);
        var adj = f.Adjoints(args, Filled(x.Length, Garbage));
        double returned = f.Gradient(args, adj);
        var gradient = f.Flatten(args, adj);
        string where = Where(f, point);
        if (!returned.Equals(value))
            Fail($"{where}: {f.Signature.Name}Gradient returned {Fmt(returned)}, {f.Signature.Name} returns {Fmt(value)}", f);
        AssertPrimalResults(f, c, expectedArgs, args, $"{where}: after {f.Signature.Name}Gradient");

        var numeric = FiniteDifferences(p => f.Value(WithActive(f, point, p)), x, f.FloatCoordinates(args), c.FdStepScale);
        AssertClose(f, args, $"{where}: {f.Signature.Name}Gradient (adjoints pre-filled with {Fmt(Garbage)}) against finite differences",
            gradient, numeric, FdTolerance(f), "finite differences");
        return gradient;
    }

    // ------------------------------------------------------------ Backward accumulates

    /// <summary>
    /// Backward(dResult: 1) on zero adjoints gives the gradient; Backward(dResult: 0.75) on scalar and read-only adjoints
    /// pre-filled with 0.5 gives 0.5 + 0.75 g; a second call adds 0.75 g again. Written buffers' shadows start at zero
    /// (their seed) each call and end holding 0.75 times their part of g. For a void method, g is the Backward's
    /// vector-Jacobian product for random seeds on the written buffers, with the same accumulation checks.
    /// </summary>
    public static void CheckBackwardAccumulates(LoopFunction f, LoopCase c, object[] point, double[]? gradient)
    {
        var args0 = f.Pack(point);
        var slots = f.Slots(args0);
        int n = f.Dimension(args0);
        string where = Where(f, point);
        double tolerance = Rounding(f);
        var rng = Rng(c.Name, point);

        // Seeds of the written buffers: zero for a method returning a value (so Backward = seed * gradient), random for a void one.
        var writtenSeeds = new double[n];
        if (!f.Signature.ReturnsValue)
        {
            foreach (var s in slots.Where(s => IsWritten(c, s.Param)))
                for (int j = 0; j < s.Length; j++) writtenSeeds[s.Offset + j] = RandomSeed(rng, f.IsFloat);
        }
        double seedOne = f.Signature.ReturnsValue ? 1 : 0;
        double seed = f.Signature.ReturnsValue ? Seed : 0;
        double factor = f.Signature.ReturnsValue ? Seed : 1;

        // g: Backward on zero adjoints (seed 1); it must equal Gradient's result.
        var g = RunBackward(f, point, seedOne, writtenSeeds, prefill: 0, c, times: 1, out _);
        if (gradient is not null)
            AssertNear(f, args0, $"{where}: {f.Signature.Name}Backward(dResult: 1) on zero adjoints against {f.Signature.Name}Gradient", g, gradient, tolerance);

        var expectedOnce = new double[n];
        var expectedTwice = new double[n];
        foreach (var s in slots)
        {
            bool written = IsWritten(c, s.Param);
            for (int j = s.Offset; j < s.Offset + s.Length; j++)
            {
                expectedOnce[j] = (written ? 0 : Prefill) + factor * g[j];
                expectedTwice[j] = written ? factor * g[j] : Prefill + 2 * factor * g[j];
            }
        }
        var once = RunBackward(f, point, seed, writtenSeeds, Prefill, c, times: 1, out var seedText);
        AssertNear(f, args0, $"{where}: {f.Signature.Name}Backward({seedText}) on adjoints pre-filled with {Fmt(Prefill)}", once, expectedOnce, tolerance);
        var twice = RunBackward(f, point, seed, writtenSeeds, Prefill, c, times: 2, out _);
        AssertNear(f, args0, $"{where}: {f.Signature.Name}Backward({seedText}) called twice on adjoints pre-filled with {Fmt(Prefill)} (written buffers re-seeded before each call)",
            twice, expectedTwice, tolerance);
    }

    /// <summary>
    /// Runs Backward <paramref name="times"/> times on fresh primal arguments: scalar and read-only adjoints start at
    /// <paramref name="prefill"/> and carry over; written buffers' shadows are set to <paramref name="writtenSeeds"/>
    /// before each call.
    /// </summary>
    private static double[] RunBackward(LoopFunction f, object[] point, double seed, double[] writtenSeeds, double prefill, LoopCase c, int times, out string seedText)
    {
        var args = f.Pack(point);
        var slots = f.Slots(args);
        var initial = new double[f.Dimension(args)];
        foreach (var s in slots)
            for (int j = s.Offset; j < s.Offset + s.Length; j++) initial[j] = IsWritten(c, s.Param) ? writtenSeeds[j] : prefill;
        var adj = f.Adjoints(args, initial);
        for (int t = 0; t < times; t++)
        {
            if (t > 0)
            {
                args = f.Pack(point);
                var carried = f.Flatten(args, adj);
                foreach (var s in slots.Where(s => IsWritten(c, s.Param)))
                    Array.Copy(writtenSeeds, s.Offset, carried, s.Offset, s.Length);
                adj = f.Adjoints(args, carried);
            }
            f.Backward(args, seed, adj);
        }
        seedText = f.Signature.ReturnsValue ? $"dResult: {Fmt(seed)}" : "seeds on the written buffers";
        return f.Flatten(args, adj);
    }

    // ------------------------------------------------------------ vector-Jacobian products

    /// <summary>
    /// Backward with a random dResult, random seeds in every active buffer's shadow (read-only ones included) and
    /// random values in the scalar adjoints leaves: scalar adjoints = before + dL/ds, shadows = dL/d(contents at
    /// entry), where L = dResult * result + sum over active buffers of seed . (contents at return). Checked against
    /// central finite differences of L. Returns the adjoints.
    /// </summary>
    public static double[] CheckVectorJacobianProduct(LoopFunction f, LoopCase c, object[] point)
    {
        var args = f.Pack(point);
        var (dResult, seeds) = RandomSeeds(f, c, point, args);
        var x = f.ActiveValues(args);
        var adj = f.Adjoints(args, seeds);
        f.Backward(args, dResult, adj);
        var after = f.Flatten(args, adj);
        var slots = f.Slots(args);
        var actual = (double[])after.Clone();
        foreach (var s in slots.Where(s => s.Param.Kind == LoopParamKind.Scalar)) actual[s.Offset] -= seeds[s.Offset];

        var numeric = FiniteDifferences(p => Objective(f, point, p, dResult, seeds), x, f.FloatCoordinates(args), c.FdStepScale);
        string where = Where(f, point);
        string seedText = f.Signature.ReturnsValue ? $"dResult {Fmt(dResult)}, " : "";
        AssertClose(f, args, $"{where}: {f.Signature.Name}Backward({seedText}random seeds on every shadow, scalar adjoints pre-filled) "
            + "against finite differences of dResult * result + seeds . buffers at return (scalar adjoints: their change)",
            actual, numeric, FdTolerance(f), "finite differences");
        return after;
    }

    /// <summary>dResult * value + sum of seeds . active buffers after the call, with the active values replaced.</summary>
    public static double Objective(LoopFunction f, object[] point, double[] active, double dResult, double[] seeds)
    {
        var args = WithActive(f, point, active);
        double value = f.Value(args);
        double l = f.Signature.ReturnsValue ? dResult * value : 0;
        var after = f.ActiveValues(args);
        foreach (var s in f.Slots(args).Where(s => s.Param.Kind == LoopParamKind.Buffer))
            for (int j = s.Offset; j < s.Offset + s.Length; j++) l += seeds[j] * after[j];
        return l;
    }

    /// <summary>A random dResult and random values for every adjoint, rounded to float for a float method; reproducible per case and point.</summary>
    public static (double DResult, double[] Seeds) RandomSeeds(LoopFunction f, LoopCase c, object[] point, object[] args)
    {
        var rng = Rng(c.Name, point, salt: 17);
        double dResult = f.Signature.ReturnsValue ? RandomSeed(rng, f.IsFloat) : 0;
        var seeds = new double[f.Dimension(args)];
        for (int j = 0; j < seeds.Length; j++) seeds[j] = RandomSeed(rng, f.IsFloat);
        return (dResult, seeds);
    }

    // ------------------------------------------------------------ shadow semantics

    /// <summary>
    /// Enzyme's shadow semantics, term by term: a pure output's seed is consumed (its shadow left exactly zero), a
    /// read-only input's shadow accumulates (exit = seed + contribution, the contribution not depending on the seed),
    /// Backward and Gradient leave the primal's results in every written buffer (and read-only buffers untouched).
    /// </summary>
    public static void CheckShadowSemantics(LoopFunction f, LoopCase c, object[] point)
    {
        string where = Where(f, point);
        var expectedArgs = f.Pack(point);
        f.Value(expectedArgs);

        var args = f.Pack(point);
        var (dResult, seeds) = RandomSeeds(f, c, point, args);
        var adj = f.Adjoints(args, seeds);
        f.Backward(args, dResult, adj);
        var after = f.Flatten(args, adj);
        AssertPrimalResults(f, c, expectedArgs, args, $"{where}: after {f.Signature.Name}Backward");

        // The same call with read-only shadows starting at zero: the contribution alone.
        var zeroInputs = (double[])seeds.Clone();
        var slots = f.Slots(args);
        foreach (var s in slots.Where(s => s.Param.Kind == LoopParamKind.Buffer && c.Role(s.Param) == BufferRole.Input))
            Array.Clear(zeroInputs, s.Offset, s.Length);
        var args2 = f.Pack(point);
        var adj2 = f.Adjoints(args2, zeroInputs);
        f.Backward(args2, dResult, adj2);
        var contribution = f.Flatten(args2, adj2);

        foreach (var s in slots.Where(s => s.Param.Kind == LoopParamKind.Buffer))
        {
            var role = c.Role(s.Param);
            for (int j = 0; j < s.Length; j++)
            {
                int i = s.Offset + j;
                if (role == BufferRole.Output && after[i] != 0)
                    Fail($"{where}: {s.Param.AdjointName}[{j}] = {Fmt(after[i])} after {f.Signature.Name}Backward; '{s.Param.Name}' is a pure output, so its seed "
                        + $"({Fmt(seeds[i])}) must be consumed and the shadow left 0 (its contents at entry have no adjoint)", f);
                if (role == BufferRole.Input)
                {
                    double expected = seeds[i] + contribution[i];
                    if (!(CloseError(after[i], expected) <= Rounding(f)))
                        Fail($"{where}: {s.Param.AdjointName}[{j}] = {Fmt(after[i])} after {f.Signature.Name}Backward on a shadow holding {Fmt(seeds[i])}; '{s.Param.Name}' is "
                            + $"read-only, so the shadow accumulates: expected {Fmt(seeds[i])} + {Fmt(contribution[i])} (the value on a zero shadow) = {Fmt(expected)}", f);
                }
            }
        }

        if (f.Signature.ReturnsValue)
        {
            var argsG = f.Pack(point);
            var adjG = f.Adjoints(argsG, Filled(seeds.Length, Garbage));
            f.Gradient(argsG, adjG);
            var g = f.Flatten(argsG, adjG);
            AssertPrimalResults(f, c, expectedArgs, argsG, $"{where}: after {f.Signature.Name}Gradient");
            foreach (var s in slots.Where(s => s.Param.Kind == LoopParamKind.Buffer && c.Role(s.Param) == BufferRole.Output))
                for (int j = 0; j < s.Length; j++)
                    if (g[s.Offset + j] != 0)
                        Fail($"{where}: {f.Signature.Name}Gradient left {s.Param.AdjointName}[{j}] = {Fmt(g[s.Offset + j])}; '{s.Param.Name}' is a pure output, "
                            + "so its adjoint (at entry) is 0", f);
        }
    }

    /// <summary>Written buffers hold the primal's results (bitwise) and read-only buffers are untouched.</summary>
    private static void AssertPrimalResults(LoopFunction f, LoopCase c, object[] expectedArgs, object[] actualArgs, string what)
    {
        foreach (var p in f.Signature.Parameters.Where(p => p.Kind == LoopParamKind.Buffer))
        {
            var expected = ToDoubles(expectedArgs[p.Index]);
            var actual = ToDoubles(actualArgs[p.Index]);
            for (int j = 0; j < expected.Length; j++)
            {
                if (!expected[j].Equals(actual[j]))
                {
                    string role = p.Active ? c.Role(p).ToString() : "constant";
                    Fail($"{what}, {p.Name}[{j}] = {Fmt(actual[j])}; the primal leaves {Fmt(expected[j])} ({role} buffer: "
                        + (p.Active && c.Role(p) != BufferRole.Input ? "Backward and Gradient run the primal, so written buffers hold its results)" : "it must not be written)"), f);
                }
            }
        }
    }

    // ------------------------------------------------------------ hand-derived formulas

    /// <summary>Gradient against <see cref="LoopCase.Hand"/>.</summary>
    public static void CheckHand(LoopFunction f, LoopCase c, object[] point)
    {
        var args = f.Pack(point);
        var expected = c.Hand!(f.Named(f.Pack(point)));
        var adj = f.Adjoints(args);
        f.Gradient(args, adj);
        var actual = f.Flatten(args, adj);
        RequireLength(f, args, expected);
        AssertClose(f, args, $"{Where(f, point)}: {f.Signature.Name}Gradient against the hand-derived gradient", actual, expected, HandTolerance(f, c), "hand-derived", floorRelative: 0);
    }

    /// <summary>Backward (random seeds on written buffers, zero elsewhere) against <see cref="LoopCase.HandVjp"/>.</summary>
    public static void CheckHandVjp(LoopFunction f, LoopCase c, object[] point)
    {
        var args = f.Pack(point);
        var seeds = WrittenSeeds(f, c, point, args);
        var expected = c.HandVjp!(f.Named(f.Pack(point)), f.NamedAdjoints(f.Adjoints(args, seeds)));
        var adj = f.Adjoints(args, seeds);
        f.Backward(args, 0, adj);
        var actual = f.Flatten(args, adj);
        RequireLength(f, args, expected);
        AssertClose(f, args, $"{Where(f, point)}: {f.Signature.Name}Backward (random seeds on the written buffers, zero elsewhere) against the hand-derived vector-Jacobian product",
            actual, expected, HandTolerance(f, c), "hand-derived", floorRelative: 0);
    }

    /// <summary>Random seeds on the written buffers' shadows, zero elsewhere (reproducible).</summary>
    public static double[] WrittenSeeds(LoopFunction f, LoopCase c, object[] point, object[] args)
    {
        var rng = Rng(c.Name, point, salt: 29);
        var seeds = new double[f.Dimension(args)];
        foreach (var s in f.Slots(args).Where(s => IsWritten(c, s.Param)))
            for (int j = 0; j < s.Length; j++) seeds[s.Offset + j] = RandomSeed(rng, f.IsFloat);
        return seeds;
    }

    public static double HandTolerance(LoopFunction f, LoopCase c) => c.HandTolerance ?? (f.IsFloat ? HandToleranceFloat : HandToleranceDouble);

    private static void RequireLength(LoopFunction f, object[] args, double[] expected)
    {
        if (expected.Length != f.Dimension(args))
            throw new InvalidOperationException($"{f.Display}: the hand formula gives {expected.Length} coordinates, the active parameters have {f.Dimension(args)}.");
    }

    // ------------------------------------------------------------ short shadows

    /// <summary>
    /// For every active buffer with at least one element: Gradient and Backward with that shadow one element short
    /// throw ArgumentException whose ParamName is the shadow's name, before any work: the other shadows, the scalar
    /// adjoints of Backward and the primal buffers are untouched. Returns the number of (buffer, method) pairs checked.
    /// </summary>
    public static int CheckShortShadows(LoopFunction f, LoopCase c, object[] point)
    {
        int checkedCount = 0;
        string where = Where(f, point);
        var probeArgs = f.Pack(point);
        foreach (var s in f.Slots(probeArgs).Where(s => s.Param.Kind == LoopParamKind.Buffer && s.Length > 0))
        {
            foreach (bool gradient in f.Signature.ReturnsValue ? new[] { true, false } : new[] { false })
            {
                var args = f.Pack(point);
                var before = LoopFunction.Copy(args);
                var initial = Filled(f.Dimension(args), Prefill);
                var adj = f.Adjoints(args, initial, shortIndex: s.ActiveIndex);
                var adjBefore = LoopFunction.Copy(adj);
                string method = f.Signature.Name + (gradient ? "Gradient" : "Backward");
                Exception? thrown = null;
                try
                {
                    if (gradient) f.Gradient(args, adj);
                    else f.Backward(args, Seed, adj);
                }
                catch (Exception e)
                {
                    thrown = e;
                }
                string what = $"{where}: {method} with {s.Param.AdjointName} of length {s.Length - 1} (primal '{s.Param.Name}' has {s.Length})";
                if (thrown is not ArgumentException ae)
                {
                    Fail(thrown is null ? $"{what} did not throw; expected ArgumentException naming '{s.Param.AdjointName}'"
                        : $"{what} threw {thrown.GetType().Name} ({thrown.Message}); expected ArgumentException naming '{s.Param.AdjointName}'", f);
                    return checkedCount;
                }
                if (ae.ParamName != s.Param.AdjointName)
                    Fail($"{what} threw ArgumentException with ParamName '{ae.ParamName}'; expected '{s.Param.AdjointName}'", f);
                for (int i = 0; i < args.Length; i++)
                {
                    if (args[i] is Array a && !SameContents(a, (Array)before[i]))
                        Fail($"{what}: the exception came after '{f.Signature.Parameters[i].Name}' was written; the check must come before any work", f);
                }
                for (int k = 0; k < adj.Length; k++)
                {
                    var p = f.Signature.Active[k];
                    if (gradient && p.Kind == LoopParamKind.Scalar) continue; // 'out': no promise about its value after a throw
                    if (!SameContents((Array)adj[k], (Array)adjBefore[k]))
                        Fail($"{what}: the exception came after the adjoint '{p.AdjointName}' was changed; the check must come before any work", f);
                }
                checkedCount++;
            }
        }
        return checkedCount;
    }

    private static bool SameContents(Array a, Array b)
    {
        if (a.Length != b.Length) return false;
        for (int i = 0; i < a.Length; i++)
            if (!Equals(a.GetValue(i), b.GetValue(i))) return false;
        return true;
    }

    // ------------------------------------------------------------ calling convention

    /// <summary>MGradient and MBackward have exactly the signatures DESIGN.md's calling convention gives.</summary>
    public static void CheckSignatures(Assembly assembly, string typeName, LoopSignature sig)
    {
        var type = assembly.GetType(typeName, throwOnError: true)!;
        const BindingFlags flags = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.DeclaredOnly;
        var gradients = type.GetMethods(flags).Where(m => m.Name == sig.Name + "Gradient").ToList();
        var backwards = type.GetMethods(flags).Where(m => m.Name == sig.Name + "Backward").ToList();
        var problems = new List<string>();
        Type Element(LoopParam p) => p.IsFloat ? typeof(float) : typeof(double);

        var expectedPrimal = sig.Parameters.Select(p => (p.ClrType, p.Name)).ToList();
        if (sig.ReturnsValue)
        {
            var expected = expectedPrimal.Concat(sig.Active.Select(p => p.Kind == LoopParamKind.Scalar
                ? (Element(p).MakeByRefType(), p.AdjointName)
                : (p.IsFloat ? typeof(Span<float>) : typeof(Span<double>), p.AdjointName))).ToList();
            string text = $"{sig.ReturnType} {sig.Name}Gradient({Describe(expected, "out")})";
            if (gradients.Count != 1) problems.Add($"expected one {text}, found {gradients.Count}");
            else CompareSignature(gradients[0], sig.ReturnType == "float" ? typeof(float) : typeof(double), expected, sig.Parameters.Length, isOut: true, text, problems);
        }
        else if (gradients.Count > 0)
        {
            problems.Add($"{sig.Name} is void, so it gets no {sig.Name}Gradient (found {gradients.Count})");
        }

        var expectedBackward = expectedPrimal.ToList();
        if (sig.ReturnsValue) expectedBackward.Add((sig.ReturnType == "float" ? typeof(float) : typeof(double), "dResult"));
        int adjointStart = expectedBackward.Count;
        expectedBackward.AddRange(sig.Active.Select(p => p.Kind == LoopParamKind.Scalar
            ? (Element(p).MakeByRefType(), p.AdjointName)
            : (p.IsFloat ? typeof(Span<float>) : typeof(Span<double>), p.AdjointName)));
        string backwardText = $"void {sig.Name}Backward({Describe(expectedBackward, "ref")})";
        if (backwards.Count != 1) problems.Add($"expected one {backwardText}, found {backwards.Count}");
        else CompareSignature(backwards[0], typeof(void), expectedBackward, adjointStart, isOut: false, backwardText, problems);

        if (problems.Count > 0)
            Assert.Fail($"{type.Name}.{sig.Name}: " + string.Join("\n", problems) + "\nFound:\n  "
                + string.Join("\n  ", gradients.Concat(backwards).Select(Describe)));
    }

    private static void CompareSignature(MethodInfo m, Type returnType, List<(Type Type, string Name)> expected, int adjointStart, bool isOut, string text, List<string> problems)
    {
        var ps = m.GetParameters();
        bool ok = m.ReturnType == returnType && ps.Length == expected.Count;
        for (int i = 0; ok && i < ps.Length; i++)
        {
            ok = ps[i].ParameterType == expected[i].Type && ps[i].Name == expected[i].Name;
            if (ok && ps[i].ParameterType.IsByRef) ok = isOut ? ps[i].IsOut : !ps[i].IsOut && !ps[i].IsIn;
            if (ok && i < adjointStart && ps[i].ParameterType.IsByRef) ok = false;
        }
        if (!ok) problems.Add($"expected {text}, found {Describe(m)}");
    }

    private static string Describe(List<(Type Type, string Name)> ps, string byRef) =>
        string.Join(", ", ps.Select(p => (p.Type.IsByRef ? byRef + " " + TypeName(p.Type.GetElementType()!) : TypeName(p.Type)) + " " + p.Name));

    private static string Describe(MethodInfo m) =>
        $"{TypeName(m.ReturnType)} {m.Name}({string.Join(", ", m.GetParameters().Select(p => (p.ParameterType.IsByRef ? (p.IsOut ? "out " : p.IsIn ? "in " : "ref ") + TypeName(p.ParameterType.GetElementType()!) : TypeName(p.ParameterType)) + " " + p.Name))})";

    private static string TypeName(Type t) => t == typeof(double) ? "double" : t == typeof(float) ? "float" : t == typeof(void) ? "void"
        : t == typeof(int) ? "int" : t == typeof(long) ? "long" : t == typeof(bool) ? "bool" : t.IsArray ? TypeName(t.GetElementType()!) + "[]"
        : t.IsGenericType ? t.Name.Substring(0, t.Name.IndexOf('`')) + "<" + string.Join(", ", t.GetGenericArguments().Select(TypeName)) + ">" : t.Name;

    // ------------------------------------------------------------ one evaluation, for comparisons

    /// <summary>The value, Gradient's adjoints (empty for void) and a Backward with random seeds, at a point.</summary>
    public static (double Value, double[] Gradient, double[] Backward) Evaluate(LoopFunction f, LoopCase c, object[] point)
    {
        double value = 0;
        double[] gradient = Array.Empty<double>();
        if (f.Signature.ReturnsValue)
        {
            var argsG = f.Pack(point);
            var adjG = f.Adjoints(argsG);
            value = f.Gradient(argsG, adjG);
            gradient = f.Flatten(argsG, adjG);
        }
        var args = f.Pack(point);
        var (dResult, seeds) = RandomSeeds(f, c, point, args);
        var adj = f.Adjoints(args, seeds);
        f.Backward(args, dResult, adj);
        return (value, gradient, f.Flatten(args, adj));
    }

    // ------------------------------------------------------------ finite differences

    /// <summary>
    /// Central differences at h and h/2 combined by Richardson extrapolation ((4 D(h/2) - D(h)) / 3), h = step * max(1, |x|).
    /// Float coordinates are probed at float-representable points and divided by the step actually taken.
    /// </summary>
    public static double[] FiniteDifferences(Func<double[], double> f, double[] x, bool[] isFloat, double scale = 1)
    {
        var probe = (double[])x.Clone();
        var result = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            double xi = x[i];
            double h = (isFloat[i] ? StepFloat : StepDouble) * scale * Math.Max(1.0, Math.Abs(xi));
            double Central(double step)
            {
                double up = xi + step, down = xi - step;
                if (isFloat[i]) { up = (float)up; down = (float)down; }
                probe[i] = up;
                double plus = f(probe);
                probe[i] = down;
                double minus = f(probe);
                probe[i] = xi;
                return (plus - minus) / (up - down);
            }
            double d1 = Central(h), d2 = Central(h / 2);
            result[i] = (4 * d2 - d1) / 3;
        }
        return result;
    }

    /// <summary>The point's arguments with the active values replaced by <paramref name="active"/>.</summary>
    public static object[] WithActive(LoopFunction f, object[] point, double[] active)
    {
        var args = f.Pack(point);
        f.SetActive(args, active);
        return args;
    }

    // ------------------------------------------------------------ comparisons and messages

    /// <summary>Per-coordinate relative error with a floor (see <see cref="FloorAbsolute"/>); lists every failing coordinate.</summary>
    public static void AssertClose(LoopFunction f, object[] args, string what, double[] actual, double[] expected, double tolerance, string expectedName, double? floorRelative = null)
    {
        double scale = expected.Length == 0 ? 0 : expected.Max(v => double.IsFinite(v) ? Math.Abs(v) : 0);
        double floor = Math.Max(FloorAbsolute, (floorRelative ?? (f.IsFloat ? FloorRelativeFloat : FloorRelativeDouble)) * scale);
        var bad = new List<string>();
        double worst = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double error = GradientCheck.RelativeError(actual[i], expected[i], floor);
            if (!(error <= tolerance))
            {
                worst = double.IsNaN(error) ? double.NaN : Math.Max(worst, error);
                if (bad.Count < 12) bad.Add($"  {f.Coordinate(args, i)}: {Fmt(actual[i])}, {expectedName} {Fmt(expected[i])} (error {error:G3})");
            }
        }
        if (bad.Count > 0)
            Fail($"{what}: {bad.Count}{(bad.Count == 12 ? "+" : "")} of {expected.Length} coordinates off (tolerance {tolerance:G3}, floor {floor:G3}):\n"
                + string.Join("\n", bad) + $"\n  analytic [{Fmt(actual)}]\n  {expectedName} [{Fmt(expected)}]", f);
    }

    /// <summary>Equal up to rounding: |a - e| / max(|a|, |e|, 1) at most <paramref name="tolerance"/> per coordinate.</summary>
    public static void AssertNear(LoopFunction f, object[] args, string what, double[] actual, double[] expected, double tolerance)
    {
        var bad = new List<string>();
        for (int i = 0; i < expected.Length; i++)
        {
            double error = CloseError(actual[i], expected[i]);
            if (!(error <= tolerance) && bad.Count < 12) bad.Add($"  {f.Coordinate(args, i)}: {Fmt(actual[i])}, expected {Fmt(expected[i])} (error {error:G3})");
        }
        if (bad.Count > 0)
            Fail($"{what} (tolerance {tolerance:G3}):\n" + string.Join("\n", bad) + $"\n  actual [{Fmt(actual)}]\n  expected [{Fmt(expected)}]", f);
    }

    /// <summary>|a - e| / max(|a|, |e|, 1); 0 when equal (infinities and NaN included).</summary>
    public static double CloseError(double actual, double expected)
    {
        if (actual.Equals(expected)) return 0;
        if (!double.IsFinite(actual) || !double.IsFinite(expected)) return double.PositiveInfinity;
        return Math.Abs(actual - expected) / Math.Max(1, Math.Max(Math.Abs(actual), Math.Abs(expected)));
    }

    public static bool IsWritten(LoopCase c, LoopParam p) => p.Kind == LoopParamKind.Buffer && c.Role(p) != BufferRole.Input;

    private static void RequireValue(LoopFunction f)
    {
        if (!f.Signature.ReturnsValue) throw new InvalidOperationException($"{f.Display} is void: it has no Gradient.");
    }

    public static double[] Filled(int n, double v)
    {
        var a = new double[n];
        Array.Fill(a, v);
        return a;
    }

    private static double[] ToDoubles(object o) => o switch
    {
        double[] d => d,
        float[] f => f.Select(v => (double)v).ToArray(),
        _ => Array.Empty<double>(),
    };

    /// <summary>A seed in ±[0.25, 1.25] (never near 0), rounded to float for float methods.</summary>
    public static double RandomSeed(Random rng, bool isFloat)
    {
        double v = (0.25 + rng.NextDouble()) * (rng.Next(2) == 0 ? -1 : 1);
        return isFloat ? (float)v : v;
    }

    /// <summary>A generator reproducible per case and point (string.GetHashCode is randomized per process).</summary>
    public static Random Rng(string name, object[] point, int salt = 0)
    {
        int h = 17 + salt;
        foreach (char ch in name) h = unchecked(h * 31 + ch);
        foreach (char ch in Format(point)) h = unchecked(h * 31 + ch);
        return new Random(h);
    }

    public static string Where(LoopFunction f, object[] point) => $"{f.Display}({Format(point)})";

    public static void Fail(string message, LoopFunction f) => Assert.Fail(message + f.GeneratedCode());

    public static string Fmt(double d) => d.ToString("R", CultureInfo.InvariantCulture);

    public static string Fmt(IEnumerable<double> values) => string.Join(", ", values.Select(Fmt));

    public static string Format(object[] point) => string.Join(", ", point.Select(o => o switch
    {
        double[] d => "[" + Fmt(d) + "]",
        float[] f => "[" + string.Join(", ", f.Select(v => v.ToString("R", CultureInfo.InvariantCulture) + "f")) + "]",
        double d => Fmt(d),
        float f => f.ToString("R", CultureInfo.InvariantCulture) + "f",
        bool b => b ? "true" : "false",
        _ => Convert.ToString(o, CultureInfo.InvariantCulture),
    }));

    /// <summary>Runs <paramref name="check"/> at every point and reports every failing point, not just the first.</summary>
    public static void ForEachPoint(LoopCase c, Action<object[]> check)
    {
        var failures = new List<string>();
        foreach (var point in c.Points)
        {
            try
            {
                check(point);
            }
            catch (Exception e)
            {
                var inner = e is TargetInvocationException { InnerException: { } ie } ? ie : e;
                failures.Add($"[{c.Name}({Format(point)})] {inner.GetType().Name}: {inner.Message}");
            }
        }
        if (failures.Count > 0) Assert.Fail(string.Join("\n\n", failures));
    }
}

/// <summary>Allocation and threading measurements through the drivers' typed delegates.</summary>
internal static class LoopRuntime
{
    /// <summary>
    /// Bytes allocated on this thread by <paramref name="calls"/> rounds of Gradient (when the method has one) and
    /// Backward at <paramref name="point"/>, after <paramref name="warmUp"/> rounds. Everything is allocated before the
    /// measurement; each call starts from the same arguments and adjoints (restored with Array.Copy, which allocates
    /// nothing), so in-place methods do not drift.
    /// </summary>
    public static long AllocatedBytes(LoopFunction f, LoopCase c, object[] point, int warmUp, int calls)
    {
        var args = f.Pack(point);
        var (dResult, seeds) = LoopChecks.RandomSeeds(f, c, point, args);
        var adj = f.Adjoints(args, seeds);
        var sources = new List<Array>();
        var targets = new List<Array>();
        foreach (var a in args.OfType<Array>()) { targets.Add(a); sources.Add((Array)a.Clone()); }
        foreach (var a in adj.OfType<Array>()) { targets.Add(a); sources.Add((Array)a.Clone()); }
        Array[] from = sources.ToArray(), to = targets.ToArray();
        var gradient = f.GradientDelegate;
        var backward = f.BackwardDelegate ?? throw new InvalidOperationException($"{f.Display} was bound without adjoints.");

        Run(warmUp, args, adj, dResult, from, to, gradient, backward);
        // The fewest bytes of three windows of `calls` calls each: the JIT tiering a method up mid-window (on a loaded
        // machine, after the warm-up) allocates on this thread once, while an allocation per call shows in every window.
        long fewest = long.MaxValue;
        for (int window = 0; window < 3 && fewest != 0; window++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            Run(calls, args, adj, dResult, from, to, gradient, backward);
            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        return fewest;
    }

    private static void Run(int rounds, object[] args, object[] adj, double dResult, Array[] from, Array[] to,
        Func<object[], object[], double>? gradient, Action<object[], double, object[]> backward)
    {
        for (int r = 0; r < rounds; r++)
        {
            if (gradient is not null)
            {
                Restore(from, to);
                gradient(args, adj);
            }
            Restore(from, to);
            backward(args, dResult, adj);
        }
    }

    private static void Restore(Array[] from, Array[] to)
    {
        for (int i = 0; i < from.Length; i++) Array.Copy(from[i], to[i], from[i].Length);
    }

    /// <summary>
    /// <paramref name="count"/> distinct points: <paramref name="basePoint"/> with every active value (and every buffer
    /// element, outputs included) scaled by 1 + 0.05 u, u uniform in [-1, 1], reproducibly per index.
    /// </summary>
    public static object[][] DistinctPoints(LoopFunction f, object[] basePoint, int count)
    {
        var result = new object[count][];
        for (int i = 0; i < count; i++)
        {
            var rng = new Random(1000 + i);
            var point = (object[])basePoint.Clone();
            foreach (var p in f.Signature.Parameters)
            {
                if (p.Kind == LoopParamKind.Buffer)
                    point[p.Index] = ((double[])basePoint[p.Index]).Select(v => v * (1 + 0.05 * (2 * rng.NextDouble() - 1))).ToArray();
                else if (p.Kind == LoopParamKind.Scalar && p.Active)
                    point[p.Index] = Convert.ToDouble(basePoint[p.Index], CultureInfo.InvariantCulture) * (1 + 0.05 * (2 * rng.NextDouble() - 1));
            }
            result[i] = point;
        }
        return result;
    }

    /// <summary>
    /// Evaluates the value, Gradient and a seeded Backward at every point serially, then (twice) from Parallel.For, and
    /// requires the parallel results to equal the serial ones bitwise.
    /// </summary>
    public static void AssertParallelMatchesSerial(LoopFunction f, LoopCase c, object[][] points)
    {
        var serial = points.Select(p => LoopChecks.Evaluate(f, c, p)).ToArray();
        for (int round = 0; round < 2; round++)
        {
            var parallel = new (double Value, double[] Gradient, double[] Backward)[points.Length];
            var errors = new ConcurrentBag<string>();
            Parallel.For(0, points.Length, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(4, Environment.ProcessorCount) }, i =>
            {
                try
                {
                    parallel[i] = LoopChecks.Evaluate(f, c, points[i]);
                }
                catch (Exception e)
                {
                    errors.Add($"point {i}: {e.GetType().Name}: {e.Message}");
                }
            });
            if (!errors.IsEmpty) Assert.Fail($"{f.Display} threw from Parallel.For (round {round}):\n" + string.Join("\n", errors.Take(5)));
            for (int i = 0; i < points.Length; i++)
            {
                var s = serial[i];
                var p = parallel[i];
                bool same = s.Value.Equals(p.Value) && s.Gradient.SequenceEqual(p.Gradient, BitwiseComparer.Instance)
                    && s.Backward.SequenceEqual(p.Backward, BitwiseComparer.Instance);
                if (!same)
                    LoopChecks.Fail($"{LoopChecks.Where(f, points[i])}: from Parallel.For (round {round}) the results differ from the serial ones:\n"
                        + $"  value {LoopChecks.Fmt(p.Value)} vs {LoopChecks.Fmt(s.Value)}\n  gradient [{LoopChecks.Fmt(p.Gradient)}]\n  vs       [{LoopChecks.Fmt(s.Gradient)}]\n"
                        + $"  backward [{LoopChecks.Fmt(p.Backward)}]\n  vs       [{LoopChecks.Fmt(s.Backward)}]", f);
            }
        }
    }

    private sealed class BitwiseComparer : IEqualityComparer<double>
    {
        public static readonly BitwiseComparer Instance = new();

        public bool Equals(double x, double y) => BitConverter.DoubleToInt64Bits(x) == BitConverter.DoubleToInt64Bits(y);

        public int GetHashCode(double obj) => obj.GetHashCode();
    }
}
