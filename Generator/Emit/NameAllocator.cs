using System.Collections.Generic;
using System.Globalization;
using Differentiable.Generator.Ir;
using Microsoft.CodeAnalysis.CSharp;

namespace Differentiable.Generator.Emit
{
    /// <summary>
    /// Deterministic C# names: parameters keep theirs, locals keep their source name (a reassigned
    /// local gets a suffix per version: s, s1, s2), temporaries are t0, t1, … and each adjoint is
    /// <c>d</c> + its primal name (dX, dT3). Nothing collides with anything else in the method.
    /// </summary>
    internal sealed class NameAllocator
    {
        private readonly HashSet<string> _taken = new HashSet<string>();
        private readonly Dictionary<ValueId, string> _values = new Dictionary<ValueId, string>();
        private readonly Dictionary<ValueId, string> _adjoints = new Dictionary<ValueId, string>();

        public NameAllocator(IrFunction function)
        {
            foreach (var parameter in function.Parameters)
            {
                _taken.Add(parameter.Name);
                _values[parameter.Value] = parameter.Name;
            }
            foreach (var parameter in function.Parameters)
            {
                if (parameter.Active) _adjoints[parameter.Value] = Reserve(Naming.AdjointName(parameter.Name));
            }
            _taken.Add(Naming.Seed);
            // A loop's outputs are the variables the loop updates: they keep the local's own name.
            foreach (var instruction in IrFacts.AllInstructions(function.Body))
            {
                if (instruction is not LoopInstr loop) continue;
                foreach (var output in loop.Outputs)
                {
                    if (function.Values[output.Index].Hint is { } hint) _values[output] = Reserve(hint);
                }
            }
            for (int i = 0; i < function.Values.Count; i++)
            {
                var id = new ValueId(i);
                if (_values.ContainsKey(id)) continue;
                string hint = function.Values[i].Hint ?? "t" + i.ToString(CultureInfo.InvariantCulture);
                _values[id] = Reserve(hint);
            }
        }

        public string Value(ValueId value) => Escape(_values[value]);

        public string Adjoint(ValueId value)
        {
            if (!_adjoints.TryGetValue(value, out var name))
            {
                name = Reserve(Naming.AdjointName(_values[value]));
                _adjoints[value] = name;
            }
            return Escape(name);
        }

        /// <summary>A fresh name for a helper local (a scratch adjoint for an inactive argument).</summary>
        public string Fresh(string stem) => Reserve(stem);

        private string Reserve(string stem)
        {
            string name = stem;
            for (int i = 1; !_taken.Add(name); i++) name = stem + i.ToString(CultureInfo.InvariantCulture);
            return name;
        }

        private static string Escape(string name) =>
            SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name;
    }
}
