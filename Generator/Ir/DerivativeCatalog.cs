using System.Collections.Generic;

namespace Differentiable.Generator.Ir
{
    /// <summary>
    /// A math function the generator differentiates, as the phases before the differentiation need to know
    /// it: its name and arity, whether its derivative is zero everywhere it is defined (a piecewise-constant
    /// function), and whether its partials can be infinite (at a pole, on overflow), so that they are
    /// multiplied with <c>Grad.Mul</c> and a zero adjoint stays zero. The partials themselves are
    /// <c>Differentiation.DerivativeRules</c>.
    /// </summary>
    internal sealed class MathFunction
    {
        public MathFunction(string name, int arity, bool isChecked, bool isZero)
        {
            Name = name;
            Arity = arity;
            Checked = isChecked;
            IsZero = isZero;
        }

        public string Name { get; }

        public int Arity { get; }

        public bool Checked { get; }

        /// <summary>True when the function has zero derivative everywhere it is defined: it has no partials.</summary>
        public bool IsZero { get; }
    }

    /// <summary>
    /// The catalog of math functions with a derivative rule. One entry covers every spelling of a function:
    /// <c>Math.X</c>, <c>MathF.X</c>, <c>double.X</c> and <c>float.X</c>, double and float alike. The lowering
    /// turns a call of one into an intrinsic, the activity analysis knows which carry no derivative, and the
    /// differentiation has the partials of each one that is not zero.
    /// </summary>
    internal static class DerivativeCatalog
    {
        private static readonly Dictionary<(string, int), MathFunction> Table = Build();

        public static MathFunction? Find(string name, int arity) =>
            Table.TryGetValue((name, arity), out var function) ? function : null;

        public static IEnumerable<MathFunction> All => Table.Values;

        private static Dictionary<(string, int), MathFunction> Build()
        {
            var table = new Dictionary<(string, int), MathFunction>();
            void Rule(string name, int arity, bool isChecked) => table[(name, arity)] = new MathFunction(name, arity, isChecked, isZero: false);
            void Zero(string name, int arity) => table[(name, arity)] = new MathFunction(name, arity, isChecked: false, isZero: true);

            // ---- 1. Trigonometric functions ----
            Rule("Sin", 1, false);
            Rule("Cos", 1, false);
            Rule("Tan", 1, true);
            Rule("Asin", 1, true);
            Rule("Acos", 1, true);
            Rule("Atan", 1, false);
            Rule("Atan2", 2, true);

            // ---- 2. Hyperbolic functions ----
            Rule("Sinh", 1, true);
            Rule("Cosh", 1, true);
            Rule("Tanh", 1, false);
            Rule("Asinh", 1, false);
            Rule("Acosh", 1, true);
            Rule("Atanh", 1, true);

            // ---- 3. Exponential and logarithmic functions ----
            Rule("Exp", 1, true);
            Rule("Exp2", 1, true);
            Rule("Log", 1, true);
            Rule("Log", 2, true);
            Rule("Log10", 1, true);
            Rule("Log2", 1, true);

            // ---- 4. Power functions ----
            Rule("Sqrt", 1, true);
            Rule("Cbrt", 1, true);
            Rule("Pow", 2, true);
            Rule("Hypot", 2, false);

            // ---- 5. Absolute value, extrema, fused multiply-add ----
            Rule("Abs", 1, false);
            Rule("Max", 2, false);
            Rule("Min", 2, false);
            Rule("Clamp", 3, false);
            Rule("FusedMultiplyAdd", 3, false);

            // ---- 6. Piecewise-constant functions: zero derivative ----
            Zero("Floor", 1);
            Zero("Ceiling", 1);
            Zero("Truncate", 1);
            Zero("Round", 1);
            Zero("Round", 2);
            Zero("Round", 3);
            Zero("Sign", 1);
            return table;
        }
    }
}
