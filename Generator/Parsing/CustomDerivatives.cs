using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using Differentiable.Generator.Ir;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Differentiable.Generator.Parsing
{
    /// <summary>One parameter of a Backward signature: its type (fully qualified), how it is passed, and its name.</summary>
    internal readonly struct SignatureParameter
    {
        public SignatureParameter(ITypeSymbol? type, string typeName, string displayType, RefKind refKind, string name)
        {
            Type = type;
            TypeName = typeName;
            DisplayType = displayType;
            RefKind = refKind;
            Name = name;
        }

        /// <summary>The primal's own parameter type, or null for an adjoint or the seed (built from <see cref="TypeName"/>).</summary>
        public ITypeSymbol? Type { get; }

        /// <summary><c>global::</c> form, for comparing and for code.</summary>
        public string TypeName { get; }

        /// <summary>Short form, for messages.</summary>
        public string DisplayType { get; }

        public RefKind RefKind { get; }

        public string Name { get; }

        public string Display => (RefKind == RefKind.Ref ? "ref " : "") + DisplayType + " " + Name;
    }

    /// <summary>
    /// The <c>[DerivativeOf]</c> rules a compilation can see: the ones declared in its own source and the
    /// ones compiled into referenced assemblies (found through their metadata, so a library's rules work in
    /// every project that references it). A rule is a static method with the <c>Backward</c> signature of
    /// its target (the calling convention of DESIGN.md); overloads are matched exactly by that signature.
    /// A rule replaces every other derivative of its target: a built-in Math rule or a generated Backward.
    /// </summary>
    internal sealed class CustomDerivatives
    {
        public const string AttributeMetadataName = "Differentiable.DerivativeOfAttribute";

        private static readonly ConditionalWeakTable<Compilation, CustomDerivatives> ByCompilation = new ConditionalWeakTable<Compilation, CustomDerivatives>();

        // Referenced assemblies are shared between the compilations of successive edits: scan each once.
        private static readonly ConditionalWeakTable<IAssemblySymbol, List<IMethodSymbol>> ByAssembly = new ConditionalWeakTable<IAssemblySymbol, List<IMethodSymbol>>();

        private readonly Dictionary<IMethodSymbol, IMethodSymbol> _rules = new Dictionary<IMethodSymbol, IMethodSymbol>(SymbolEqualityComparer.Default);

        private readonly List<(IMethodSymbol Rule, IMethodSymbol? Target)> _source = new List<(IMethodSymbol, IMethodSymbol?)>();

        private CustomDerivatives(Compilation compilation)
        {
            // Source rules win over the rules of referenced assemblies; among equals, the first one found.
            foreach (var rule in SourceRules(compilation))
            {
                var target = Resolve(rule).Target;
                _source.Add((rule, target));
                Register(rule, target);
            }
            foreach (var assembly in compilation.SourceModule.ReferencedAssemblySymbols)
            {
                if (!MayDeclareRules(assembly)) continue;
                foreach (var rule in ByAssembly.GetValue(assembly, MetadataRules)) Register(rule, Resolve(rule).Target);
            }
        }

        /// <summary>The compilation's own rules, in source order, with the overload each one resolves to (null when none).</summary>
        public IReadOnlyList<(IMethodSymbol Rule, IMethodSymbol? Target)> Source => _source;

        public static CustomDerivatives For(Compilation compilation) => ByCompilation.GetValue(compilation, c => new CustomDerivatives(c));

        /// <summary>The rule registered for <paramref name="method"/> (an exact overload), or null.</summary>
        public IMethodSymbol? Find(IMethodSymbol method) =>
            _rules.Count > 0 && _rules.TryGetValue(method.OriginalDefinition, out var rule) ? rule : null;

        private void Register(IMethodSymbol rule, IMethodSymbol? target)
        {
            if (target is not null && !_rules.ContainsKey(target)) _rules.Add(target, rule);
        }

        /// <summary>Reads a rule's attribute: the owner type and method name it names, or nulls when malformed.</summary>
        public static (INamedTypeSymbol? Owner, string? MethodName, AttributeData? Attribute) ReadAttribute(IMethodSymbol rule)
        {
            foreach (var attribute in rule.GetAttributes())
            {
                if (attribute.AttributeClass?.ToDisplayString() != AttributeMetadataName) continue;
                if (attribute.ConstructorArguments.Length != 2) return (null, null, attribute);
                var owner = attribute.ConstructorArguments[0].Value as INamedTypeSymbol;
                var name = attribute.ConstructorArguments[1].Value as string;
                return (owner, name, attribute);
            }
            return (null, null, null);
        }

        /// <summary>
        /// The target of a rule: the overload of the named method whose Backward signature the rule has,
        /// or null with the overloads that were considered (for the diagnostics).
        /// </summary>
        public static (IMethodSymbol? Target, IReadOnlyList<IMethodSymbol> Candidates) Resolve(IMethodSymbol rule)
        {
            var (owner, name, _) = ReadAttribute(rule);
            if (owner is null || name is null || !rule.IsStatic || rule.IsGenericMethod || !rule.ReturnsVoid || IsInGenericType(rule))
                return (null, System.Array.Empty<IMethodSymbol>());
            var candidates = owner.GetMembers(name).OfType<IMethodSymbol>().Where(m => m.MethodKind == MethodKind.Ordinary).ToList();
            foreach (var candidate in candidates)
            {
                if (BackwardSignature.Unsupported(candidate) is not null) continue;
                if (BackwardSignature.Mismatches(rule, BackwardSignature.Expected(candidate)).Count == 0) return (candidate.OriginalDefinition, candidates);
            }
            return (null, candidates);
        }

        public static bool IsInGenericType(IMethodSymbol rule)
        {
            for (var type = rule.ContainingType; type is not null; type = type.ContainingType)
            {
                if (type.IsGenericType) return true;
            }
            return false;
        }

        /// <summary>
        /// Variants of a rule, found by name next to it. <c>{Rule}Constant{P}</c> is the rule with the buffer
        /// parameters P constant (no adjoint for them: the same signature without those adjoints).
        /// <c>{Rule}WithoutPrimal</c> and <c>{Rule}Constant{P}WithoutPrimal</c> do the same adjoint work but do
        /// not run the primal: the buffers the target writes are left unspecified. The generated code can always
        /// use those, since it puts written buffers back as each call found them, and a parameter's final
        /// contents back at the end of the reverse sweep. Returns one key per variant: the mask ('1' at each
        /// constant parameter of the target), followed by '!' for a variant without the primal.
        /// </summary>
        public static IEnumerable<string> Variants(IMethodSymbol rule, IMethodSymbol target)
        {
            var expected = BackwardSignature.Expected(target);
            var buffers = new List<int>();
            for (int k = 0; k < target.Parameters.Length; k++)
            {
                if (BackwardSignature.IsActive(target.Parameters[k]) && SymbolFacts.IrTypeOf(target.Parameters[k].Type) is { } t && t.IsBuffer()) buffers.Add(k);
            }
            if (buffers.Count > 6) yield break;
            for (int subset = 0; subset < 1 << buffers.Count; subset++)
            {
                var mask = new char[target.Parameters.Length];
                for (int k = 0; k < mask.Length; k++) mask[k] = '0';
                var constantNames = new HashSet<string>();
                for (int b = 0; b < buffers.Count; b++)
                {
                    if ((subset & (1 << b)) == 0) continue;
                    mask[buffers[b]] = '1';
                    constantNames.Add(Naming.AdjointName(target.Parameters[buffers[b]].Name));
                }
                string name = subset == 0 ? rule.Name : Naming.RuleVariant(rule.Name, target.Parameters.Select(p => p.Name).ToList(), new string(mask));
                var reduced = expected.Where(p => !constantNames.Contains(p.Name) || p.Type is not null).ToList();
                if (subset != 0 && Declares(rule.ContainingType, name, reduced)) yield return new string(mask);
                if (Declares(rule.ContainingType, name + Naming.WithoutPrimal, reduced)) yield return new string(mask) + "!";
            }
        }

        private static bool Declares(INamedTypeSymbol type, string name, IReadOnlyList<SignatureParameter> signature) =>
            type.GetMembers(name).OfType<IMethodSymbol>().Any(candidate =>
                candidate.IsStatic && candidate.ReturnsVoid && !candidate.IsGenericMethod && BackwardSignature.Mismatches(candidate, signature).Count == 0);

        private static IEnumerable<IMethodSymbol> SourceRules(Compilation compilation)
        {
            foreach (var tree in compilation.SyntaxTrees)
            {
                var root = tree.GetRoot();
                SemanticModel? model = null;
                foreach (var attribute in root.DescendantNodes(n => n is CompilationUnitSyntax or BaseNamespaceDeclarationSyntax or TypeDeclarationSyntax or MethodDeclarationSyntax or AttributeListSyntax)
                             .OfType<AttributeSyntax>())
                {
                    string simple = attribute.Name switch
                    {
                        QualifiedNameSyntax q => q.Right.Identifier.ValueText,
                        AliasQualifiedNameSyntax a => a.Name.Identifier.ValueText,
                        SimpleNameSyntax s => s.Identifier.ValueText,
                        _ => "",
                    };
                    if (simple != "DerivativeOf" && simple != "DerivativeOfAttribute") continue;
                    if (attribute.Parent?.Parent is not MethodDeclarationSyntax method) continue;
                    model ??= SemanticModels.For(compilation, tree);
                    if (model.GetDeclaredSymbol(method) is IMethodSymbol symbol) yield return symbol;
                }
            }
        }

        /// <summary>Only the runtime itself and assemblies that reference it can declare rules.</summary>
        private static bool MayDeclareRules(IAssemblySymbol assembly) =>
            assembly.Name == "Differentiable" ||
            assembly.Modules.Any(m => m.ReferencedAssemblies.Any(r => r.Name == "Differentiable"));

        private static List<IMethodSymbol> MetadataRules(IAssemblySymbol assembly)
        {
            var rules = new List<IMethodSymbol>();
            var types = new Stack<INamespaceOrTypeSymbol>();
            types.Push(assembly.GlobalNamespace);
            while (types.Count > 0)
            {
                var current = types.Pop();
                foreach (var member in current.GetMembers())
                {
                    if (member is INamespaceOrTypeSymbol nested) types.Push(nested);
                    else if (member is IMethodSymbol { IsStatic: true } method && method.DeclaredAccessibility == Accessibility.Public &&
                             method.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == AttributeMetadataName))
                        rules.Add(method);
                }
            }
            return rules;
        }
    }

    /// <summary>
    /// The <c>Backward</c> signature DESIGN.md gives a method: its parameters unchanged, then <c>dResult</c>
    /// when it returns a value, then one adjoint per active parameter (<c>ref T</c> for a scalar,
    /// <c>Span&lt;T&gt;</c> for a buffer).
    /// </summary>
    internal static class BackwardSignature
    {
        public static bool IsActive(IParameterSymbol parameter) =>
            SymbolFacts.IrTypeOf(parameter.Type) is { } t && t.IsDifferentiable() && !SymbolFacts.IsNoDiff(parameter);

        /// <summary>Why no derivative can be registered for the method, or null when one can.</summary>
        public static string? Unsupported(IMethodSymbol method)
        {
            if (!method.IsStatic) return "it is not static (a Backward takes the primal's parameters, and an instance has none)";
            if (method.IsGenericMethod) return "it is generic (register a rule for a non-generic method)";
            if (method.ContainingType.IsGenericType) return "its type is generic";
            if (!method.ReturnsVoid && (method.ReturnsByRef || method.ReturnsByRefReadonly || SymbolFacts.IrTypeOf(method.ReturnType) is not { } r || !r.IsFloating()))
                return "it returns '" + method.ReturnType.ToDisplayString() + "' (a differentiable method returns double, float or void)";
            var byRef = method.Parameters.FirstOrDefault(p => p.RefKind != RefKind.None || p.IsParams);
            if (byRef is not null) return "its parameter '" + byRef.Name + "' is passed by reference or as params";
            return null;
        }

        public static List<SignatureParameter> Expected(IMethodSymbol method)
        {
            var result = new List<SignatureParameter>();
            foreach (var p in method.Parameters)
                result.Add(new SignatureParameter(p.Type, SymbolFacts.FullyQualified(p.Type), p.Type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat), RefKind.None, p.Name));
            if (!method.ReturnsVoid)
                result.Add(new SignatureParameter(null, Scalar(method.ReturnType), Scalar(method.ReturnType), RefKind.None, Naming.Seed));
            foreach (var p in method.Parameters)
            {
                if (!IsActive(p)) continue;
                string name = Naming.AdjointName(p.Name);
                if (SymbolFacts.IrTypeOf(p.Type) is { } t && t.IsBuffer())
                {
                    string element = t == Ir.IrType.BufF32 ? "float" : "double";
                    result.Add(new SignatureParameter(null, "global::System.Span<" + element + ">", "Span<" + element + ">", RefKind.None, name));
                }
                else
                {
                    result.Add(new SignatureParameter(null, Scalar(p.Type), Scalar(p.Type), RefKind.Ref, name));
                }
            }
            return result;
        }

        private static string Scalar(ITypeSymbol type) => type.SpecialType == SpecialType.System_Single ? "float" : "double";

        /// <summary>The expected signature as a user would write it.</summary>
        public static string Display(string methodName, IReadOnlyList<SignatureParameter> expected) =>
            "static void " + methodName + "(" + string.Join(", ", expected.Select(p => p.Display)) + ")";

        /// <summary>Each way the method's parameters differ from the expected ones, in words; empty when they match.</summary>
        public static List<string> Mismatches(IMethodSymbol rule, IReadOnlyList<SignatureParameter> expected)
        {
            var problems = new List<string>();
            int common = System.Math.Min(rule.Parameters.Length, expected.Count);
            for (int k = 0; k < common; k++)
            {
                var actual = rule.Parameters[k];
                var want = expected[k];
                bool sameType = SymbolFacts.FullyQualified(actual.Type) == want.TypeName;
                bool sameRef = actual.RefKind == want.RefKind;
                if (!sameType || !sameRef)
                    problems.Add("parameter " + (k + 1) + " is '" + Describe(actual) + "' but should be '" + want.Display + "'");
            }
            for (int k = common; k < expected.Count; k++) problems.Add("parameter " + (k + 1) + " '" + expected[k].Display + "' is missing");
            for (int k = common; k < rule.Parameters.Length; k++) problems.Add("parameter " + (k + 1) + " '" + Describe(rule.Parameters[k]) + "' is not part of the signature");
            return problems;
        }

        private static string Describe(IParameterSymbol parameter)
        {
            string prefix = parameter.RefKind switch
            {
                RefKind.Ref => "ref ",
                RefKind.Out => "out ",
                RefKind.In => "in ",
                _ => "",
            };
            return prefix + parameter.Type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat) + " " + parameter.Name;
        }
    }
}
