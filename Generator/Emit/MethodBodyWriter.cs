using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Differentiable.Generator.Differentiation;
using Differentiable.Generator.Ir;

namespace Differentiable.Generator.Emit
{
    /// <summary>
    /// Prints one generated method: the signature by the calling convention, the primal (one local per
    /// SSA value, literals inline, loops with the values their reverse needs pushed at the end of each
    /// iteration), and the reverse sweep with a comment naming each reversed statement.
    /// </summary>
    /// <summary>Which generated member a <see cref="MethodBodyWriter"/> prints.</summary>
    internal enum BodyForm
    {
        Gradient,
        Backward,

        /// <summary><c>{M}Forward</c>: Backward's forward sweep on the caller's stacks, then what the reverse reads, pushed; returns the value.</summary>
        Forward,

        /// <summary><c>{M}Reverse</c>: pops what <c>{M}Forward</c> left and runs Backward's reverse sweep.</summary>
        Reverse,

        /// <summary>
        /// <c>{M}Core</c>: Backward's body, returning the value, which <c>{M}Gradient</c> (seed 1, adjoints cleared) and
        /// <c>{M}Backward</c> both call when Gradient would only differ from it by its seed (<see cref="CSharpEmitter"/>).
        /// </summary>
        Core,
    }

    internal sealed partial class MethodBodyWriter
    {
        private const string GeneratedCode = "[global::System.CodeDom.Compiler.GeneratedCode(\"Differentiable.Generator\", \"0.1.0\")]";

        private readonly IrFunction _function;
        private readonly ReverseProgram _program;
        private readonly List<BodyNode> _body;
        private readonly bool _gradientMode;

        /// <summary>Core's flag (null in the other forms): true when Gradient calls it (its spans are cleared, it has no zero-seed shortcut), false for Backward.</summary>
        private readonly string? _coreGradient;
        private readonly BodyForm _form;
        private readonly NameAllocator _names;
        private readonly Dictionary<ValueId, string> _inline = new Dictionary<ValueId, string>();
        private readonly HashSet<ValueId> _hoisted = new HashSet<ValueId>();
        private readonly HashSet<ValueId> _hoistedDeclared = new HashSet<ValueId>();
        private readonly HashSet<ValueId> _parameters;
        private readonly Dictionary<ValueId, ValueId> _carriedVariable = new Dictionary<ValueId, ValueId>();
        // While a loop's body is printed: its floating-point carried values' own variables (DeclareLoopLocals).
        private readonly Dictionary<ValueId, string> _loopLocal = new Dictionary<ValueId, string>();
        private readonly Dictionary<ValueId, IrParameter> _parameterOf = new Dictionary<ValueId, IrParameter>();
        private readonly Dictionary<ValueId, Instruction> _definition = new Dictionary<ValueId, Instruction>();
        private readonly Dictionary<IrType, string> _stacks = new Dictionary<IrType, string>();
        private readonly Dictionary<ValueId, string> _pooledShadows = new Dictionary<ValueId, string>();
        private readonly Dictionary<ValueId, string> _finalContents = new Dictionary<ValueId, string>();
        private readonly Dictionary<int, string> _temps = new Dictionary<int, string>();

        // True while printing the forward sweep: a carried value is then its loop's variable. In the
        // reverse sweep it is the local a reverse iteration pops it into.
        private bool _forward;

        private readonly string? _variantName;

        public MethodBodyWriter(IrFunction function, ReverseProgram program, bool gradientMode, string? variantName = null)
            : this(function, program, gradientMode ? BodyForm.Gradient : BodyForm.Backward, variantName)
        {
        }

        public MethodBodyWriter(IrFunction function, ReverseProgram program, BodyForm form, string? variantName = null, SplitChoice? split = null)
        {
            _split = split;
            _variantName = variantName;
            _function = function;
            _program = program;
            _body = program.Nodes;
            _form = form;
            _gradientMode = form == BodyForm.Gradient;
            _names = new NameAllocator(function);
            _coreGradient = form == BodyForm.Core ? _names.Fresh("gradient") : null;
            // Split forms take the stacks of their key (their own values' and their split callees'); a method that calls
            // split forms has the stacks they take.
            if (form is BodyForm.Forward or BodyForm.Reverse)
            {
                foreach (var type in SplitForms.TypesOf(OwnMask())) StackFor(type);
            }
            foreach (var call in program.SplitCalls.OrderBy(c => c.Method, System.StringComparer.Ordinal))
            {
                foreach (var type in SplitForms.TypesOf(MaskOf(call))) StackFor(type);
            }
            _parameters = new HashSet<ValueId>(function.Parameters.Select(p => p.Value));
            foreach (var parameter in function.Parameters) _parameterOf[parameter.Value] = parameter;
            foreach (var instruction in IrFacts.AllInstructions(function.Body))
            {
                foreach (var d in IrFacts.Definitions(instruction)) _definition[d] = instruction;
                if (instruction is ConstInstr c && !c.Text.StartsWith("global::", System.StringComparison.Ordinal))
                    _inline[c.Result] = c.Text.StartsWith("-", System.StringComparison.Ordinal) ? "(" + c.Text + ")" : c.Text;
                if (instruction is LoopInstr loop)
                {
                    for (int k = 0; k < loop.Carried.Count; k++) _carriedVariable[loop.Carried[k]] = loop.Outputs[k];
                }
            }
            foreach (var plan in program.Plans.Values)
            {
                foreach (var recorded in plan.Recorded) StackFor(_function.TypeOf(recorded));
                foreach (var records in plan.RecordedInBranches)
                {
                    foreach (var recorded in records.Values) StackFor(_function.TypeOf(recorded));
                    _branchRecords[(records.Branch, records.Then)] = records.Values;
                }
            }
            foreach (var written in program.Snapshots.Values.SelectMany(w => w)) StackFor(_function.TypeOf(written).Element());
            if (form is BodyForm.Forward or BodyForm.Reverse)
            {
                foreach (var instruction in program.RecomputedInReverse)
                    foreach (var value in IrFacts.Definitions(instruction)) _recomputedInReverse[value] = instruction;
            }
            FindHoisted();
            FindUsedOutputs();
        }

        // The values each side of a branch in a loop body pushes as it ends, by branch and side (LoopPlan.RecordedInBranches).
        private readonly Dictionary<(IfInstr, bool), List<ValueId>> _branchRecords = new Dictionary<(IfInstr, bool), List<ValueId>>(BranchSideComparer.Instance);

        private sealed class BranchSideComparer : IEqualityComparer<(IfInstr Branch, bool Then)>
        {
            public static readonly BranchSideComparer Instance = new BranchSideComparer();

            public bool Equals((IfInstr Branch, bool Then) x, (IfInstr Branch, bool Then) y) => ReferenceEquals(x.Branch, y.Branch) && x.Then == y.Then;

            public int GetHashCode((IfInstr Branch, bool Then) side) => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(side.Branch) * 2 + (side.Then ? 1 : 0);
        }

        private string StackFor(IrType type)
        {
            if (!_stacks.TryGetValue(type, out var name))
            {
                name = _names.Fresh("saved" + (type switch { IrType.F64 => "Doubles", IrType.F32 => "Floats", IrType.I32 => "Ints", IrType.I64 => "Longs", _ => "Flags" }));
                _stacks[type] = name;
            }
            return name;
        }

        private static string ElementKeyword(IrType buffer) => buffer.Element().Keyword();

        private static string ShadowType(IrType buffer) => "global::System.Span<" + ElementKeyword(buffer) + ">";

        private bool HasShadow(ValueId buffer) => _program.Activity.IsVaried(_program.Activity.Roots.RootOf(buffer));

        /// <summary>The C# type of a buffer value: a parameter's own, a view of a read-only span is read-only, a new array is an array.</summary>
        private string BufferTypeName(ValueId buffer)
        {
            if (_parameterOf.TryGetValue(buffer, out var parameter)) return parameter.TypeName.TrimEnd('?');
            var root = _program.Activity.Roots.RootOf(buffer);
            if (root != buffer && _parameterOf.TryGetValue(root, out var rootParameter) && rootParameter.TypeName.Contains("ReadOnlySpan"))
                return "global::System.ReadOnlySpan<" + ElementKeyword(rootParameter.Type) + ">";
            if (_definition.TryGetValue(buffer, out var d) && d is AllocInstr { Kind: AllocKind.Array })
                return ElementKeyword(_function.TypeOf(buffer)) + "[]";
            return "global::System.Span<" + ElementKeyword(_function.TypeOf(buffer)) + ">";
        }

        private string Declaration(ValueId value) =>
            _function.TypeOf(value).IsBuffer() ? BufferTypeName(value) : _function.TypeOf(value).Keyword();

        public void Write(SourceWriter writer, string accessibility)
        {
            var f = _function;
            var active = f.Parameters.Where(p => p.Active).ToList();
            OpenMember(writer, accessibility);
            // Adjoint spans at least as long as their buffers, checked before any work (Forward has none).
            if (_form != BodyForm.Forward) WriteLengthChecks(writer, active);
            WriteOverlapChecks(writer, active);
            if (_form == BodyForm.Backward && _program.ZeroSeedAddsNothing)
                writer.Line("if (" + Naming.Seed + " == " + Literal(0, f.ReturnType!.Value) + ") return; // the seed is the only adjoint coming in");
            if (_form == BodyForm.Core && _program.ZeroSeedAddsNothing)
                writer.Line("if (!" + _coreGradient + " && " + Naming.Seed + " == " + Literal(0, f.ReturnType!.Value) +
                    ") return " + Literal(0, f.ReturnType!.Value) + "; // Backward's seed is the only adjoint coming in, and Backward returns nothing");
            // Gradient's adjoint spans cleared (in Core, when Gradient called it).
            var cleared = _gradientMode || _form == BodyForm.Core
                ? active.Where(p => p.Type.IsBuffer() && !_program.UnclearedInGradient.Contains(p.Value)).ToList()
                : new List<IrParameter>();
            bool underFlag = _form == BodyForm.Core && cleared.Count > 0;
            if (underFlag) writer.Open("if (" + _coreGradient + ")");
            foreach (var p in cleared) writer.Line(_names.Adjoint(p.Value) + ".Slice(0, " + _names.Value(p.Value) + ".Length).Clear();");
            if (underFlag) writer.Close();

            if (_form != BodyForm.Forward) WriteFiniteFlags(writer);

            var pooled = IrFacts.AllInstructions(f.Body).OfType<AllocInstr>().Where(a => a.Kind == AllocKind.Array && HasShadow(a.Result)).ToList();
            foreach (var alloc in pooled)
            {
                string pool = _names.Fresh(_names.Adjoint(alloc.Result) + "Array");
                _pooledShadows[alloc.Result] = pool;
                writer.Line(ElementKeyword(f.TypeOf(alloc.Result)) + "[]? " + pool + " = null;");
            }
            // A written parameter's final contents, kept while the reverse sweep puts it back for calls' Backwards.
            foreach (var buffer in _program.FinalContents)
            {
                string pool = _names.Fresh(_names.Value(buffer) + "Final");
                _finalContents[buffer] = pool;
                writer.Line(ElementKeyword(f.TypeOf(buffer)) + "[]? " + pool + " = null;");
            }
            // Workspace buffers and their adjoints go back to the thread's arena when the method leaves, however it leaves.
            string? workspace = IrFacts.AllInstructions(f.Body).Any(i => i is AllocInstr { Kind: AllocKind.Workspace }) ? _names.Fresh("workspace") : null;
            if (workspace is not null) writer.Line("var " + workspace + " = global::Differentiable.Workspace.Scope();");
            // A split form works on its caller's stacks.
            bool rents = _form is BodyForm.Gradient or BodyForm.Backward or BodyForm.Core;
            bool guarded = (rents && _stacks.Count > 0) || pooled.Count > 0 || _finalContents.Count > 0 || workspace is not null;
            if (rents)
            {
                foreach (var stack in _stacks.OrderBy(s => s.Key))
                    writer.Line("var " + stack.Value + " = global::Differentiable.ValueStack<" + stack.Key.Keyword() + ">.Rent();");
            }
            if (guarded) writer.Open("try");
            if (_form == BodyForm.Reverse) WriteReverseNodes(writer, _body, new HashSet<ValueId>());
            else WriteNodes(writer, _body, new List<ValueId>());
            if (guarded)
            {
                writer.Close();
                writer.Open("finally");
                if (rents) foreach (var stack in _stacks.OrderBy(s => s.Key)) writer.Line(stack.Value + ".Return();");
                foreach (var pair in _finalContents)
                    writer.Line("if (" + pair.Value + " is not null) global::System.Buffers.ArrayPool<" + ElementKeyword(f.TypeOf(pair.Key)) + ">.Shared.Return(" + pair.Value + ");");
                foreach (var alloc in pooled)
                {
                    string pool = _pooledShadows[alloc.Result];
                    writer.Line("if (" + pool + " is not null) global::System.Buffers.ArrayPool<" + ElementKeyword(f.TypeOf(alloc.Result)) + ">.Shared.Return(" + pool + ");");
                }
                if (workspace is not null) writer.Line(workspace + ".Dispose();");
                writer.Close();
            }
            writer.Close();
        }

        /// <summary>The member's summary and signature, opened: Gradient, Backward (or a variant), Core, Forward or Reverse.</summary>
        private void OpenMember(SourceWriter writer, string accessibility)
        {
            var f = _function;
            var primal = f.Parameters.Select(p => p.TypeName + " " + _names.Value(p.Value));
            string type = f.ReturnType?.Keyword() ?? "void";
            var seed = f.ReturnType is { } r ? new[] { r.Keyword() + " " + Naming.Seed } : new string[0];
            string summary, signature;
            IEnumerable<string> parameters;
            switch (_form)
            {
                case BodyForm.Gradient:
                    summary = "Returns <c>" + f.Name + "</c> and writes its gradient with respect to each active parameter.";
                    signature = accessibility + " static " + type + " " + Naming.Gradient(f.Name);
                    parameters = primal.Concat(AdjointParameters("out "));
                    break;
                case BodyForm.Forward:
                    summary = "The forward half of <c>" + f.Name + "Backward</c>: runs <c>" + f.Name + "</c> and leaves what <c>" + Naming.SplitReverse(f.Name) +
                        "</c> needs on the stacks.";
                    signature = "internal static " + type + " " + Naming.SplitForward(f.Name);
                    parameters = primal.Concat(StackParameters());
                    break;
                case BodyForm.Core:
                    summary = "Runs <c>" + f.Name + "</c>, adds the seed times its gradient to the adjoints and returns the value: the body of <c>" +
                        Naming.Gradient(f.Name) + "</c> (<c>" + _coreGradient + "</c> true) and <c>" + Naming.Backward(f.Name) + "</c> (false).";
                    signature = "private static " + type + " " + Naming.Core(f.Name);
                    parameters = primal.Concat(seed).Concat(new[] { "bool " + _coreGradient }).Concat(AdjointParameters("ref "));
                    break;
                case BodyForm.Reverse:
                    summary = "The reverse half of <c>" + f.Name + "Backward</c>: takes what <c>" + Naming.SplitForward(f.Name) +
                        "</c> left on the stacks and adds the seed times the gradient to the adjoints.";
                    signature = "internal static void " + Naming.SplitReverse(f.Name);
                    parameters = primal.Concat(seed).Concat(AdjointParameters("ref ")).Concat(StackParameters());
                    break;
                default:
                    summary = _variantName is null
                        ? "Runs <c>" + f.Name + "</c> and adds the seed times its gradient to the adjoint of each active parameter."
                        : "<c>" + f.Name + "Backward</c> for callers that pass constant buffers: no adjoint is taken or computed for them.";
                    signature = accessibility + " static void " + (_variantName ?? Naming.Backward(f.Name));
                    parameters = primal.Concat(seed).Concat(AdjointParameters("ref "));
                    break;
            }
            writer.Line("/// <summary>" + summary + "</summary>");
            writer.Line(GeneratedCode);
            writer.Open(signature + "(" + string.Join(", ", parameters) + ")");
        }

        /// <summary>One adjoint per active parameter: a span for a buffer, <paramref name="scalar"/> (<c>out </c> or <c>ref </c>) for a scalar.</summary>
        private IEnumerable<string> AdjointParameters(string scalar) =>
            _function.Parameters.Where(p => p.Active).Select(p => (p.Type.IsBuffer() ? ShadowType(p.Type) : scalar + p.Type.Keyword()) + " " + _names.Adjoint(p.Value));

        /// <summary>An adjoint span shorter than its buffer throws, naming it, before any work.</summary>
        private void WriteLengthChecks(SourceWriter writer, List<IrParameter> active)
        {
            foreach (var p in active.Where(p => p.Type.IsBuffer()))
            {
                string name = _names.Value(p.Value), adjoint = _names.Adjoint(p.Value);
                writer.Line("if (" + adjoint + ".Length < " + name + ".Length) throw new global::System.ArgumentException(\"The adjoint '" + adjoint +
                    "' is shorter than '" + name + "'.\", nameof(" + adjoint + "));");
            }
        }

        /// <summary>
        /// <c>{M}Gradient</c> over <c>{M}Core</c> (this writer's form is Gradient): its scalar adjoints set to zero, then the
        /// core with the seed 1, as Gradient. Or <c>{M}Backward</c> over it: the core with the seed, as Backward. The core
        /// checks the adjoints and buffers first, in the order an unshared Gradient or Backward does (the checks, Backward's
        /// zero-seed shortcut, Gradient's clearing): the checks are written once for both.
        /// </summary>
        public void WriteOverCore(SourceWriter writer, string accessibility)
        {
            var f = _function;
            var active = f.Parameters.Where(p => p.Active).ToList();
            var arguments = f.Parameters.Select(p => _names.Value(p.Value));
            var adjoints = active.Select(p => (p.Type.IsBuffer() ? "" : "ref ") + _names.Adjoint(p.Value));
            OpenMember(writer, accessibility);
            if (_gradientMode)
            {
                foreach (var p in active.Where(p => !p.Type.IsBuffer())) writer.Line(_names.Adjoint(p.Value) + " = " + Literal(0, p.Type) + ";");
                writer.Line("return " + Naming.Core(f.Name) + "(" + string.Join(", ", arguments.Concat(new[] { Literal(1, f.ReturnType!.Value), "true" }).Concat(adjoints)) + ");");
            }
            else
            {
                writer.Line(Naming.Core(f.Name) + "(" + string.Join(", ", arguments.Concat(new[] { Naming.Seed, "false" }).Concat(adjoints)) + ");");
            }
            writer.Close();
        }

        /// <summary>
        /// Overlapping buffers where one of them is written would make the method read what it has just written
        /// under another name, which its reverse sweep does not model: such calls throw before any work. Pairs that
        /// are only read (<c>Dot(x, x)</c>) are fine, and so are adjoints of read-only buffers, which only add up.
        /// </summary>
        private void WriteOverlapChecks(SourceWriter writer, List<IrParameter> active)
        {
            WriteBufferOverlapChecks(writer);
            var roots = _program.Activity.Roots;
            var shadows = active.Where(p => p.Type.IsBuffer()).ToList();
            for (int i = 0; i < shadows.Count; i++)
            {
                for (int j = i + 1; j < shadows.Count; j++)
                {
                    var a = shadows[i];
                    var b = shadows[j];
                    if (a.Type != b.Type) continue;
                    bool aWritten = roots.IsWritten(a.Value), bWritten = roots.IsWritten(b.Value);
                    if (!aWritten && !bWritten) continue;
                    string first = _names.Adjoint(a.Value), second = _names.Adjoint(b.Value), written = bWritten ? second : first;
                    writer.Line("if (" + Overlaps(a.Type, first + ".Slice(0, " + _names.Value(a.Value) + ".Length)", second + ".Slice(0, " + _names.Value(b.Value) + ".Length)") +
                        ") throw new global::System.ArgumentException(\"The adjoints '" + first + "' and '" + second + "' overlap and '" + written +
                        "' belongs to a written buffer; pass adjoints that do not overlap.\", nameof(" + written + "));");
                }
            }
        }

        /// <summary>Buffer parameters that overlap, where one of them is written, throw before any work, naming both.</summary>
        private void WriteBufferOverlapChecks(SourceWriter writer)
        {
            var buffers = _function.Parameters.Where(p => p.Type.IsBuffer()).ToList();
            var roots = _program.Activity.Roots;
            for (int i = 0; i < buffers.Count; i++)
            {
                for (int j = i + 1; j < buffers.Count; j++)
                {
                    var a = buffers[i];
                    var b = buffers[j];
                    if (a.Type != b.Type) continue;
                    bool aWritten = roots.IsWritten(a.Value), bWritten = roots.IsWritten(b.Value);
                    if (!aWritten && !bWritten) continue;
                    string first = _names.Value(a.Value), second = _names.Value(b.Value), written = bWritten ? second : first;
                    writer.Line("if (" + Overlaps(a.Type, first, second) + ") throw new global::System.ArgumentException(\"The buffers '" + first + "' and '" + second +
                        "' overlap and '" + written + "' is written; pass buffers that do not overlap.\", nameof(" + written + "));");
                }
            }
        }

        private static string Overlaps(IrType buffer, string a, string b) => OverlapsOf(ElementKeyword(buffer), a, b);

        /// <summary>The test that two spans of <paramref name="element"/> overlap.</summary>
        private static string OverlapsOf(string element, string a, string b)
        {
            string span = "global::System.ReadOnlySpan<" + element + ">";
            return "global::System.MemoryExtensions.Overlaps((" + span + ")" + a + ", (" + span + ")" + b + ")";
        }

        // ---- setup ----

        // Outputs of merging ifs that something reads: an output nothing reads (a 'continued' flag after the last
        // statement, a local never read again) is not written at all, so the generated code has no unused variable.
        private readonly HashSet<ValueId> _usedOutputs = new HashSet<ValueId>();

        // Pure instructions whose value nothing reads (`s += 0.75f` on a local never read again): not written, so the
        // generated code has no variable assigned a constant and never used (CS0219). Only instructions that cannot
        // throw are dropped: a load out of range or an integer division by zero still throws as in the method.
        private readonly HashSet<Instruction> _dead = new HashSet<Instruction>(ReferenceComparer<Instruction>.Instance);

        private bool Removable(Instruction instruction) => instruction switch
        {
            UnaryInstr or ConvertInstr or StopInstr or IntrinsicInstr => true,
            ConstInstr c => !c.Mutable,
            BinaryInstr b => !(b.Op is BinaryOp.Divide or BinaryOp.Remainder && !_function.TypeOf(b.Right).IsFloating()),
            _ => false,
        };

        // Loop outputs whose carried slot something reads (see FindUsedOutputs); the others are not written.
        private readonly HashSet<ValueId> _liveCarried = new HashSet<ValueId>();

        private void FindUsedOutputs()
        {
            var used = new HashSet<ValueId>();
            var branches = new List<IfInstr>();
            var removable = new List<Instruction>();
            var loops = new List<LoopInstr>();
            foreach (var instruction in IrFacts.AllInstructions(_function.Body))
            {
                if (Removable(instruction)) removable.Add(instruction);
                else if (instruction is LoopInstr l)
                {
                    // A loop's carried slots are read only if their value is (below); its bounds always are.
                    loops.Add(l);
                    if (l.Counted is { } counted) { used.Add(counted.Start); used.Add(counted.Bound); }
                }
                else foreach (var operand in IrFacts.Operands(instruction)) used.Add(operand);
                switch (instruction)
                {
                    case IfInstr branch: branches.Add(branch); used.Add(branch.Condition); break;
                    case LoopInstr loop:
                        foreach (var v in ((YieldTerminator)loop.Header.Terminator).Values) used.Add(v);
                        break;
                }
            }
            void Terminators(Block block)
            {
                switch (block.Terminator)
                {
                    // Only Gradient returns the value; Backward computes it only if something else reads it.
                    case ReturnTerminator { Value: { } v }: if (_form is BodyForm.Gradient or BodyForm.Forward or BodyForm.Core) used.Add(v); break;
                    case SplitTerminator split: used.Add(split.Condition); Terminators(split.Then); Terminators(split.Else); break;
                }
                foreach (var instruction in block.Instructions)
                {
                    if (instruction is IfInstr f) { Terminators(f.Then); Terminators(f.Else); }
                    else if (instruction is LoopInstr l) Terminators(l.Body);
                }
            }
            Terminators(_function.Body);
            CollectReferences(_body, used);
            foreach (var plan in _program.Plans.Values)
            {
                used.UnionWith(plan.Recorded);
                foreach (var records in plan.RecordedInBranches) used.UnionWith(records.Values);
                // A recomputed instruction reads its operands in the reverse iteration; an operand the plan recomputes
                // too is computed there again, so it is no reason to keep the forward's copy (fuzz seed 953264, CS0219).
                var recomputed = new HashSet<ValueId>(plan.Recompute.SelectMany(IrFacts.Definitions));
                foreach (var instruction in plan.Recompute)
                {
                    foreach (var operand in IrFacts.Operands(instruction))
                        if (!recomputed.Contains(operand)) used.Add(operand);
                }
                foreach (var induction in plan.Inductions) used.UnionWith(induction.Operands);
                foreach (var stepped in plan.SteppedInductions) used.UnionWith(stepped.Operands);
            }
            foreach (var values in _program.Snapshots.Values) used.UnionWith(values);
            // An output is read when something reads it; then what its branches yield for it is read too. A pure
            // instruction's operands are read when its value is.
            var live = new HashSet<Instruction>(ReferenceComparer<Instruction>.Instance);
            bool changed = true;
            while (changed)
            {
                changed = false;
                // A carried slot is live when its value is read inside the loop or after it; then its initial and
                // next values are read. A dead slot (a local assigned in the loop and never read) is not written.
                foreach (var loop in loops)
                {
                    var yields = ((YieldTerminator)loop.Body.Terminator).Values;
                    for (int k = 0; k < loop.Carried.Count; k++)
                    {
                        if (_liveCarried.Contains(loop.Outputs[k]) || !(used.Contains(loop.Outputs[k]) || used.Contains(loop.Carried[k]))) continue;
                        _liveCarried.Add(loop.Outputs[k]);
                        changed = true;
                        used.Add(loop.Initial[k]);
                        used.Add(yields[k]);
                        used.Add(loop.Carried[k]);
                    }
                }
                foreach (var instruction in removable)
                {
                    if (live.Contains(instruction) || !IrFacts.Definitions(instruction).Any(used.Contains)) continue;
                    live.Add(instruction);
                    changed = true;
                    foreach (var operand in IrFacts.Operands(instruction)) used.Add(operand);
                }
                foreach (var branch in branches)
                {
                    for (int k = 0; k < branch.Outputs.Count; k++)
                    {
                        if (!used.Contains(branch.Outputs[k]) || !_usedOutputs.Add(branch.Outputs[k])) continue;
                        changed = true;
                        used.Add(((YieldTerminator)branch.Then.Terminator).Values[k]);
                        used.Add(((YieldTerminator)branch.Else.Terminator).Values[k]);
                    }
                }
            }
            foreach (var instruction in removable)
            {
                if (!live.Contains(instruction)) _dead.Add(instruction);
            }
        }

        /// <summary>
        /// Values computed inside a merging branch that the reverse sweep reads, or that a loop records at the
        /// end of its iteration, are declared before the branch (inside the loop, if the branch is in one).
        /// </summary>
        private void FindHoisted()
        {
            var referenced = new HashSet<ValueId>();
            CollectReferences(_body, referenced);
            foreach (var plan in _program.Plans.Values) referenced.UnionWith(plan.Recorded);
            var inside = new HashSet<ValueId>();
            CollectBranchDefinitions(_function.Body, inside);
            foreach (var value in inside)
            {
                if (referenced.Contains(value)) _hoisted.Add(value);
            }
        }

        /// <summary>Values defined inside branches, wherever the branch is (loop bodies included).</summary>
        private static void CollectBranchDefinitions(Block block, HashSet<ValueId> into)
        {
            foreach (var instruction in block.Instructions)
            {
                switch (instruction)
                {
                    case IfInstr branch:
                        ReverseModeBuilder.DefinedOutsideLoops(branch.Then, into);
                        ReverseModeBuilder.DefinedOutsideLoops(branch.Else, into);
                        CollectBranchDefinitions(branch.Then, into);
                        CollectBranchDefinitions(branch.Else, into);
                        break;
                    case LoopInstr loop:
                        CollectBranchDefinitions(loop.Header, into);
                        CollectBranchDefinitions(loop.Body, into);
                        break;
                }
            }
            if (block.Terminator is SplitTerminator split)
            {
                CollectBranchDefinitions(split.Then, into);
                CollectBranchDefinitions(split.Else, into);
            }
        }

        private static void CollectReferences(IEnumerable<BodyNode> nodes, HashSet<ValueId> into)
        {
            foreach (var node in nodes)
            {
                switch (node)
                {
                    case ReverseNode r: ReverseModeBuilder.CollectReferences(r.Statements, into); break;
                    case SplitNode s: CollectReferences(s.Then, into); CollectReferences(s.Else, into); break;
                }
            }
        }

        // ---- the body ----

        /// <summary>
        /// The body in Gradient, Backward and Forward. Forward prints no reverse sweep; where a way out returns, it pushes
        /// what that way's reverse reads and then the conditions that chose the way (<paramref name="conditions"/>,
        /// outermost first), innermost first, so Reverse pops the outermost first.
        /// </summary>
        private void WriteNodes(SourceWriter writer, List<BodyNode> nodes, List<ValueId> conditions)
        {
            foreach (var node in nodes)
            {
                switch (node)
                {
                    case PrimalNode p:
                        _forward = true;
                        WritePrimal(writer, p.Block.Instructions, insideLoop: false);
                        _forward = false;
                        break;
                    case ReverseNode r:
                        if (_form == BodyForm.Forward) break;
                        writer.Line();
                        WriteStatements(writer, r.Statements);
                        break;
                    case SplitNode s:
                        writer.Open("if (" + Operand(s.Condition) + ")");
                        WriteNodes(writer, s.Then, new List<ValueId>(conditions) { s.Condition });
                        writer.Close();
                        writer.Open("else");
                        WriteNodes(writer, s.Else, new List<ValueId>(conditions) { s.Condition });
                        writer.Close();
                        break;
                    case ReturnNode ret when _form == BodyForm.Forward:
                        foreach (var value in PathValues(nodes))
                            writer.Line(StackFor(_function.TypeOf(value)) + ".Push(" + Operand(value) + ");");
                        for (int i = conditions.Count - 1; i >= 0; i--)
                        {
                            if (!_recomputedInReverse.ContainsKey(conditions[i]))
                                writer.Line(StackFor(IrType.Bool) + ".Push(" + Operand(conditions[i]) + "); // the way out taken");
                        }
                        writer.Line("return " + (ret.Value is { } value0 ? Operand(value0) : "") + ";");
                        break;
                    case ReturnNode ret when _form == BodyForm.Core:
                        writer.Line("return " + Operand(ret.Value!.Value) + ";");
                        break;
                    case ReturnNode ret:
                        if (!_gradientMode) break;
                        foreach (var untouched in ret.Untouched)
                            writer.Line(_names.Adjoint(untouched) + " = " + Literal(0, _function.TypeOf(untouched)) + ";");
                        writer.Line("return " + (ret.Value is { } v ? Operand(v) : "") + ";");
                        break;
                }
            }
        }

        // ---- split forms ----

        private readonly SplitChoice? _split;

        private int OwnMask() => _split is not null && _split.StackMasks.TryGetValue(_split.SelfKey, out int mask) ? mask
            : throw new System.InvalidOperationException("Split forms of a method without a split key");

        private int MaskOf(CallInstr call) => _split is not null && call.CalleeKey is { } key && _split.StackMasks.TryGetValue(key, out int mask) ? mask
            : throw new System.InvalidOperationException("A split call of a callee without a split key: " + call.Method);

        private IEnumerable<string> StackParameters() =>
            SplitForms.TypesOf(OwnMask()).Select(t => "global::Differentiable.ValueStack<" + t.Keyword() + "> " + StackFor(t));

        private string StackArguments(CallInstr call) => string.Join(", ", SplitForms.TypesOf(MaskOf(call)).Select(StackFor));

        /// <summary>
        /// How many values the stacks may hold before a split call runs the primal (and, in the reverse, Backward) instead:
        /// 2²⁴, 128 MiB of doubles. det's gradient reaches it near ℓ = 10.
        /// </summary>
        private const string SplitLimit = "16777216";

        /// <summary>The values on the stacks a split call's callee takes: <c>(long)savedDoubles.Count + savedInts.Count + ...</c>.</summary>
        private string StackTotal(CallInstr call) =>
            "(long)" + string.Join(" + ", SplitForms.TypesOf(MaskOf(call)).Select(t => StackFor(t) + ".Count"));

        /// <summary>
        /// The values a path's reverse reads from its forward sweep outside loops (what loops record, they push and pop
        /// themselves), in push order: Forward pushes them when the path returns, Reverse pops them last first.
        /// Parameters are passed to both, and literals are printed in place.
        /// </summary>
        private List<ValueId> PathValues(List<BodyNode> nodes)
        {
            var referenced = new HashSet<ValueId>();
            foreach (var node in nodes)
            {
                if (node is ReverseNode r) ReverseModeBuilder.CollectReferences(r.Statements, referenced);
            }
            var topLevel = new HashSet<ValueId>();
            ReverseModeBuilder.DefinedOutsideLoops(_function.Body, topLevel);
            return referenced.Where(v => topLevel.Contains(v) && !_parameters.Contains(v) && !_inline.ContainsKey(v) && !_recomputedInReverse.ContainsKey(v))
                .OrderBy(v => v.Index).ToList();
        }

        // Split forms: the values Reverse computes again from the parameters (ReverseProgram.RecomputedInReverse), by value.
        private readonly Dictionary<ValueId, Instruction> _recomputedInReverse = new Dictionary<ValueId, Instruction>();

        /// <summary>
        /// Reverse: writes, in the method's order, the instructions that compute <paramref name="values"/> again (those
        /// Forward did not push) and the ones they read, except those already written in an enclosing scope.
        /// </summary>
        private void WriteRecomputed(SourceWriter writer, IEnumerable<ValueId> values, HashSet<ValueId> written)
        {
            var needed = new HashSet<Instruction>(ReferenceComparer<Instruction>.Instance);
            var work = new Stack<ValueId>(values);
            while (work.Count > 0)
            {
                var value = work.Pop();
                if (written.Contains(value) || _inline.ContainsKey(value) || !_recomputedInReverse.TryGetValue(value, out var instruction) || !needed.Add(instruction)) continue;
                foreach (var operand in IrFacts.Operands(instruction)) work.Push(operand);
            }
            foreach (var instruction in _program.RecomputedInReverse)
            {
                if (!needed.Contains(instruction)) continue;
                WritePrimalInstruction(writer, instruction, insideLoop: false, reverse: true);
                written.UnionWith(IrFacts.Definitions(instruction));
            }
        }

        /// <summary>
        /// Reverse: the way out Forward took (computed again from the parameters where it can be, else popped), then what
        /// Forward pushed for that way and the values computed again instead, then the way's reverse sweep.
        /// </summary>
        private void WriteReverseNodes(SourceWriter writer, List<BodyNode> nodes, HashSet<ValueId> written)
        {
            bool popped = false;
            foreach (var node in nodes)
            {
                switch (node)
                {
                    case SplitNode s:
                        if (_recomputedInReverse.ContainsKey(s.Condition))
                        {
                            WriteRecomputed(writer, new[] { s.Condition }, written);
                            writer.Open("if (" + Operand(s.Condition) + ")");
                        }
                        else
                        {
                            writer.Open("if (" + StackFor(IrType.Bool) + ".Pop())");
                        }
                        WriteReverseNodes(writer, s.Then, new HashSet<ValueId>(written));
                        writer.Close();
                        writer.Open("else");
                        WriteReverseNodes(writer, s.Else, new HashSet<ValueId>(written));
                        writer.Close();
                        break;
                    case ReverseNode r:
                        if (!popped) PopPathValues(writer, nodes, written);
                        popped = true;
                        WriteStatements(writer, r.Statements);
                        break;
                    case ReturnNode:
                        if (!popped) PopPathValues(writer, nodes, written);
                        popped = true;
                        break;
                }
            }
        }

        private void PopPathValues(SourceWriter writer, List<BodyNode> nodes, HashSet<ValueId> written)
        {
            if (_recomputedInReverse.Count > 0)
            {
                var referenced = new HashSet<ValueId>();
                foreach (var node in nodes)
                {
                    if (node is ReverseNode r) ReverseModeBuilder.CollectReferences(r.Statements, referenced);
                }
                WriteRecomputed(writer, referenced.Where(v => !_parameters.Contains(v)).OrderBy(v => v.Index), written);
            }
            var values = PathValues(nodes);
            for (int i = values.Count - 1; i >= 0; i--)
                writer.Line(Declaration(values[i]) + " " + _names.Value(values[i]) + " = " + StackFor(_function.TypeOf(values[i])) + ".Pop();");
        }

        private void WritePrimal(SourceWriter writer, EquatableArray<Instruction> instructions, bool insideLoop)
        {
            foreach (var instruction in instructions) WritePrimalInstruction(writer, instruction, insideLoop, reverse: false);
        }

        /// <summary>
        /// One forward instruction. Inside a loop, the adjoint view of a slice is not made in the forward
        /// sweep (the reverse iteration recomputes it); at the top level it is made next to the slice.
        /// </summary>
        private void WritePrimalInstruction(SourceWriter writer, Instruction instruction, bool insideLoop, bool reverse)
        {
            if (!reverse && _dead.Contains(instruction)) return;
            switch (instruction)
            {
                case ConstInstr c when _inline.ContainsKey(c.Result):
                    break;
                case IfInstr branch:
                    WritePrimalBranch(writer, branch, insideLoop, reverse);
                    break;
                case LoopInstr loop:
                    WritePrimalLoop(writer, loop);
                    break;
                case CallInstr { Result: null } call:
                    WriteSnapshot(writer, call, reverse);
                    writer.Line(call.Method + "(" + Arguments(call.Args) + ");");
                    break;
                case StoreInstr store:
                    writer.Line(Operand(store.Buffer) + "[" + Operand(store.Index) + "] = " + Operand(store.Value) + ";");
                    break;
                case AllocInstr alloc:
                    WriteAlloc(writer, alloc);
                    break;
                default:
                    // A split call's snapshot goes after the call (its callee writes no memory, so the buffers are as it
                    // found them): the reverse restores them before the callee's Reverse pops what its Forward pushed.
                    var splitCall = instruction is CallInstr sc && _program.SplitCalls.Contains(sc) ? sc : null;
                    if (instruction is CallInstr resultCall && splitCall is null) WriteSnapshot(writer, resultCall, reverse);
                    var result = IrFacts.Definitions(instruction).Single();
                    bool hoisted = _hoisted.Contains(result) && !reverse;
                    string target = hoisted ? _names.Value(result) : Declaration(result) + " " + _names.Value(result);
                    if (splitCall is not null && !reverse)
                    {
                        // Split forms record the callee's values; past SplitLimit values on the stacks, the primal runs instead
                        // and the reverse calls Backward (which runs it again), so a deep recursion's memory stays bounded.
                        // The choice is pushed after the call, for the reverse to pop first.
                        string split = _names.Fresh("split");
                        writer.Line("bool " + split + " = " + StackTotal(splitCall) + " < " + SplitLimit + ";");
                        writer.Line(target + " = " + split + " ? " + PrimalExpression(instruction) + " : " + splitCall.Method + "(" + Arguments(splitCall.Args) + ");");
                        writer.Line(StackFor(IrType.Bool) + ".Push(" + split + ");");
                    }
                    else
                    {
                        writer.Line(target + " = " + PrimalExpression(instruction) + ";");
                    }
                    if (splitCall is not null) WriteSnapshot(writer, splitCall, reverse);
                    if (instruction is SliceInstr slice && HasShadow(slice.Result) && (reverse || !insideLoop))
                    {
                        string shadow = ShadowSlice(slice);
                        writer.Line((hoisted ? "" : ShadowType(_function.TypeOf(slice.Result)) + " ") + _names.Adjoint(slice.Result) + " = " + shadow + ";");
                    }
                    break;
            }
        }

        /// <summary>Pushes the contents of the buffers a call writes, for the reverse sweep to put back.</summary>
        private void WriteSnapshot(SourceWriter writer, CallInstr call, bool reverse)
        {
            if (reverse || !_program.Snapshots.TryGetValue(call, out var written)) return;
            foreach (var buffer in written)
            {
                string name = Operand(buffer);
                string block = StackFor(_function.TypeOf(buffer).Element()) + ".PushSpan(" + name + ".Length)";
                writer.Line(CopyStatement(buffer, block) + " // " + name + " as the call finds it");
            }
        }

        /// <summary><c>buffer.CopyTo(destination);</c>, through MemoryExtensions for an array (no using directive in generated code).</summary>
        private string CopyStatement(ValueId buffer, string destination) =>
            BufferTypeName(buffer).EndsWith("[]", System.StringComparison.Ordinal)
                ? "global::System.MemoryExtensions.CopyTo(" + Operand(buffer) + ", " + destination + ");"
                : Operand(buffer) + ".CopyTo(" + destination + ");";

        private string ShadowSlice(SliceInstr slice) =>
            _names.Adjoint(slice.Buffer) + ".Slice(" + Operand(slice.Start) + (slice.Length is { } n ? ", " + Operand(n) : ", " + Operand(slice.Result) + ".Length") + ")";

        private void WriteAlloc(SourceWriter writer, AllocInstr alloc)
        {
            var type = _function.TypeOf(alloc.Result);
            string element = ElementKeyword(type), name = _names.Value(alloc.Result), length = Operand(alloc.Length);
            string rent = "global::Differentiable.Workspace.Rent<" + element + ">(" + length + ");";
            if (alloc.Kind == AllocKind.Stack) writer.Line("global::System.Span<" + element + "> " + name + " = stackalloc " + element + "[" + length + "];");
            else if (alloc.Kind == AllocKind.Workspace) writer.Line("global::System.Span<" + element + "> " + name + " = " + rent);
            else writer.Line(element + "[] " + name + " = new " + element + "[" + length + "];");
            if (!HasShadow(alloc.Result)) return;
            string shadow = _names.Adjoint(alloc.Result);
            if (alloc.Kind == AllocKind.Workspace)
            {
                writer.Line("global::System.Span<" + element + "> " + shadow + " = " + rent + " // zeroed by Rent");
                return;
            }
            if (alloc.Kind == AllocKind.Stack)
            {
                writer.Line("global::System.Span<" + element + "> " + shadow + " = stackalloc " + element + "[" + length + "];");
            }
            else
            {
                string pool = _pooledShadows[alloc.Result];
                writer.Line(pool + " = global::System.Buffers.ArrayPool<" + element + ">.Shared.Rent(" + length + ");");
                writer.Line("global::System.Span<" + element + "> " + shadow + " = global::System.MemoryExtensions.AsSpan(" + pool + ", 0, " + length + ");");
            }
            writer.Line(shadow + ".Clear();");
        }

        /// <summary>"type " for a value declared where it is computed; nothing for one declared before its branch (hoisted).</summary>
        private string DeclarationPrefix(ValueId value) => _hoistedDeclared.Contains(value) ? "" : Declaration(value) + " ";

        private void WritePrimalBranch(SourceWriter writer, IfInstr branch, bool insideLoop, bool reverse)
        {
            foreach (var output in branch.Outputs)
            {
                if (_hoistedDeclared.Contains(output) || !_usedOutputs.Contains(output)) continue;
                writer.Line(_function.TypeOf(output).Keyword() + " " + _names.Value(output) + ";");
            }
            var inside = new HashSet<ValueId>();
            ReverseModeBuilder.DefinedOutsideLoops(branch.Then, inside);
            ReverseModeBuilder.DefinedOutsideLoops(branch.Else, inside);
            foreach (var value in inside.Where(_hoisted.Contains).OrderBy(v => v.Index))
            {
                if (_inline.ContainsKey(value) || !_hoistedDeclared.Add(value)) continue; // declared once, before the outermost branch
                writer.Line(Declaration(value) + " " + _names.Value(value) + " = default;");
                if (_function.TypeOf(value).IsBuffer() && HasShadow(value))
                    writer.Line(ShadowType(_function.TypeOf(value)) + " " + _names.Adjoint(value) + " = default;");
            }
            WriteSide(writer, "if (" + Operand(branch.Condition) + ")", branch, true, insideLoop, reverse);
            WriteSide(writer, "else", branch, false, insideLoop, reverse);
        }

        private void WriteSide(SourceWriter writer, string header, IfInstr branch, bool then, bool insideLoop, bool reverse)
        {
            var side = then ? branch.Then : branch.Else;
            writer.Open(header);
            foreach (var instruction in side.Instructions) WritePrimalInstruction(writer, instruction, insideLoop, reverse: false);
            var values = ((YieldTerminator)side.Terminator).Values;
            for (int i = 0; i < values.Count; i++)
            {
                if (_usedOutputs.Contains(branch.Outputs[i]) || _hoistedDeclared.Contains(branch.Outputs[i]))
                    writer.Line(_names.Value(branch.Outputs[i]) + " = " + Operand(values[i]) + ";");
            }
            // What this side's reverse reads from it (LoopPlan.RecordedInBranches); a recomputation pushes nothing.
            if (!reverse && _branchRecords.TryGetValue((branch, then), out var recorded))
            {
                foreach (var value in recorded) writer.Line(StackFor(_function.TypeOf(value)) + ".Push(" + Operand(value) + "); // for this side's reverse");
            }
            writer.Close();
        }

        private string PrimalExpression(Instruction instruction) => instruction switch
        {
            ConstInstr c => c.Text,
            UnaryInstr u => u.Op.Symbol() + Operand(u.Operand),
            BinaryInstr b when b.Left == b.Right && SelfComparison(b.Op, Operand(b.Left), _function.TypeOf(b.Left)) is { } same => same,
            BinaryInstr b => Operand(b.Left) + " " + b.Op.Symbol() + " " + Operand(b.Right),
            ConvertInstr c => "(" + _function.TypeOf(c.Result).Keyword() + ")" + Operand(c.Operand),
            IntrinsicInstr i => i.Spelling + "(" + Arguments(i.Args) + ")",
            StopInstr s => "global::Differentiable.Grad.Stop(" + Operand(s.Operand) + ")",
            CallInstr c when _program.SplitCalls.Contains(c) => Naming.SplitForward(c.Method) + "(" + Arguments(c.Args) + ", " + StackArguments(c) + ")",
            CallInstr c => c.Method + "(" + Arguments(c.Args) + ")",
            LengthInstr l => Operand(l.Buffer) + ".Length",
            LoadInstr l => Operand(l.Buffer) + "[" + Operand(l.Index) + "]",
            SliceInstr s => SliceSource(s.Buffer) + ".Slice(" + Operand(s.Start) + (s.Length is { } n ? ", " + Operand(n) : "") + ")",
            _ => throw new System.InvalidOperationException("No primal form for " + instruction.GetType().Name),
        };

        /// <summary>
        /// <c>x &lt;= x</c> written without comparing a variable with itself (CS1718), with the same meaning for NaN:
        /// <c>!double.IsNaN(x)</c>; null for an operator that is not a comparison or an operand that is not floating.
        /// </summary>
        private static string? SelfComparison(BinaryOp op, string operand, IrType type)
        {
            if (!type.IsFloating()) return op switch
            {
                BinaryOp.Less or BinaryOp.Greater or BinaryOp.NotEqual => "false",
                BinaryOp.LessOrEqual or BinaryOp.GreaterOrEqual or BinaryOp.Equal => "true",
                _ => null,
            };
            string isNaN = (type == IrType.F32 ? "float" : "double") + ".IsNaN(" + operand + ")";
            return op switch
            {
                BinaryOp.Less or BinaryOp.Greater => "false",
                BinaryOp.LessOrEqual or BinaryOp.GreaterOrEqual or BinaryOp.Equal => "!" + isNaN,
                BinaryOp.NotEqual => isNaN,
                _ => null,
            };
        }

        /// <summary>A slice of an array goes through AsSpan (an array has no Slice).</summary>
        private string SliceSource(ValueId buffer) =>
            BufferTypeName(buffer).EndsWith("[]", System.StringComparison.Ordinal) ? "global::System.MemoryExtensions.AsSpan(" + Operand(buffer) + ")" : Operand(buffer);

        private string Arguments(EquatableArray<ValueId> args) => string.Join(", ", args.Select(Operand));

        private string Operand(ValueId value)
        {
            if (_inline.TryGetValue(value, out var text)) return text;
            if (_forward && _carriedVariable.TryGetValue(value, out var variable)) return CarriedVariable(variable);
            return _names.Value(value);
        }

        /// <summary>The variable that holds a loop's carried value: its own loop variable while the loop is printed.</summary>
        private string CarriedVariable(ValueId output) => _loopLocal.TryGetValue(output, out var local) ? local : _names.Value(output);

        private static string Literal(double value, IrType type)
        {
            string text = type == IrType.F32
                ? ((float)value).ToString("R", CultureInfo.InvariantCulture) + "f"
                : type == IrType.I32 ? ((int)value).ToString(CultureInfo.InvariantCulture)
                : value.ToString("R", CultureInfo.InvariantCulture) + "d";
            return value < 0 ? "(" + text + ")" : text;
        }
    }
}
