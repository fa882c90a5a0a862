using System;
using System.Collections.Generic;
using Differentiable.Generator.Ir;

namespace Differentiable.Generator.Differentiation
{
    /// <summary>
    /// One derivative rule: the partial derivative of a math function of the <see cref="DerivativeCatalog"/>
    /// with respect to each argument, written over the arguments and the primal result (reused where it is
    /// cheaper: tanh' = 1 - y²). A null partial is zero. <see cref="Checked"/> rules can have infinite partials
    /// (at a pole, on overflow) and are multiplied with <c>Grad.Mul</c>, so that a zero adjoint stays zero.
    /// </summary>
    internal sealed class DerivativeRule
    {
        public DerivativeRule(MathFunction function, Func<Expr[], Expr, Expr?>[] partials)
        {
            Function = function;
            Partials = partials;
        }

        /// <summary>The catalog's entry: name, arity, whether checked, whether zero.</summary>
        public MathFunction Function { get; }

        public string Name => Function.Name;

        public int Arity => Function.Arity;

        public bool Checked => Function.Checked;

        /// <summary>Empty when the function has zero derivative everywhere it is defined.</summary>
        public Func<Expr[], Expr, Expr?>[] Partials { get; }

        public bool IsZero => Function.IsZero;
    }

    /// <summary>
    /// The partials of every function of the <see cref="DerivativeCatalog"/> (which lists the functions, their
    /// arity and whether each is checked or zero). One entry covers every spelling of a function:
    /// <c>Math.X</c>, <c>MathF.X</c>, <c>double.X</c> and <c>float.X</c>, double and float alike.
    /// </summary>
    internal static class DerivativeRules
    {
        private static readonly Dictionary<(string, int), DerivativeRule> Table = Build();

        public static DerivativeRule? Find(string name, int arity) =>
            Table.TryGetValue((name, arity), out var rule) ? rule : null;

        public static IEnumerable<DerivativeRule> All => Table.Values;

        // Builders keep the table below close to the math. Arguments that are literals arrive as
        // LiteralExpr, and the builders fold literal arithmetic: Pow(x, 2) differentiates to 2 * x.
        private static Expr L(double v) => new LiteralExpr(v);
        private static Expr Add(Expr a, Expr b) => a is LiteralExpr x && b is LiteralExpr y ? L(x.Value + y.Value) : new BinaryExpr(BinaryOp.Add, a, b);
        private static Expr Sub(Expr a, Expr b) => a is LiteralExpr x && b is LiteralExpr y ? L(x.Value - y.Value) : new BinaryExpr(BinaryOp.Subtract, a, b);
        private static Expr Mul(Expr a, Expr b) => a is LiteralExpr x && b is LiteralExpr y ? L(x.Value * y.Value) : new BinaryExpr(BinaryOp.Multiply, a, b);
        private static Expr Div(Expr a, Expr b) => new BinaryExpr(BinaryOp.Divide, a, b);

        /// <summary>d/da a^c for a literal exponent c, without a call to Pow where a product will do (r = a^c).</summary>
        private static Expr PowerPartial(Expr a, double c, Expr r) => c switch
        {
            0 => L(0),
            1 => L(1),
            2 => Mul(L(2), a),
            3 => Mul(L(3), Mul(a, a)),
            0.5 => Div(L(0.5), r),
            -1 => Neg(Mul(r, r)),
            1.5 => Mul(L(1.5), F("Sqrt", a)),
            _ => Mul(L(c), F("Pow", a, L(c - 1))),
        };
        private static Expr Neg(Expr a) => new NegateExpr(a);
        private static Expr F(string function, params Expr[] args) => new MathExpr(function, args);
        private static Expr If(Expr condition, Expr a, Expr b) => new ConditionalExpr(condition, a, b);
        private static Expr Cmp(BinaryOp op, Expr a, Expr b) => new BinaryExpr(op, a, b);

        private static Dictionary<(string, int), DerivativeRule> Build()
        {
            var partialsOf = new Dictionary<(string, int), Func<Expr[], Expr, Expr?>[]>();
            void Rule(string name, params Func<Expr[], Expr, Expr?>[] partials) => partialsOf[(name, partials.Length)] = partials;

            // ---- 1. Trigonometric functions ----
            Rule("Sin", (x, y) => F("Cos", x[0]));                                          // sin' = cos
            Rule("Cos", (x, y) => Neg(F("Sin", x[0])));                                     // cos' = -sin
            Rule("Tan", (x, y) => Add(L(1), Mul(y, y)));                                     // tan' = 1 + tan²
            Rule("Asin", (x, y) => Div(L(1), F("Sqrt", Sub(L(1), Mul(x[0], x[0])))));          // 1/√(1-x²)
            Rule("Acos", (x, y) => Neg(Div(L(1), F("Sqrt", Sub(L(1), Mul(x[0], x[0]))))));       // -1/√(1-x²)
            Rule("Atan", (x, y) => Div(L(1), Add(L(1), Mul(x[0], x[0]))));                   // 1/(1+x²)
            // atan2(a, b): ∂a = b/(a²+b²), ∂b = -a/(a²+b²)
            Rule("Atan2",
                (x, y) => Div(x[1], Add(Mul(x[0], x[0]), Mul(x[1], x[1]))),
                (x, y) => Neg(Div(x[0], Add(Mul(x[0], x[0]), Mul(x[1], x[1])))));

            // ---- 2. Hyperbolic functions ----
            Rule("Sinh", (x, y) => F("Cosh", x[0]));
            Rule("Cosh", (x, y) => F("Sinh", x[0]));
            Rule("Tanh", (x, y) => Sub(L(1), Mul(y, y)));                                    // tanh' = 1 - tanh²
            Rule("Asinh", (x, y) => Div(L(1), F("Sqrt", Add(Mul(x[0], x[0]), L(1)))));
            Rule("Acosh", (x, y) => Div(L(1), F("Sqrt", Sub(Mul(x[0], x[0]), L(1)))));
            Rule("Atanh", (x, y) => Div(L(1), Sub(L(1), Mul(x[0], x[0]))));

            // ---- 3. Exponential and logarithmic functions ----
            Rule("Exp", (x, y) => y);                                                       // exp' = exp
            Rule("Exp2", (x, y) => Mul(y, L(Math.Log(2))));                                 // 2^x ln 2
            Rule("Log", (x, y) => Div(L(1), x[0]));                                         // 1/x
            // log_b(a) = ln a / ln b: ∂a = 1/(a ln b), ∂b = -log_b(a)/(b ln b)
            Rule("Log",
                (x, y) => Div(L(1), Mul(x[0], F("Log", x[1]))),
                (x, y) => Neg(Div(y, Mul(x[1], F("Log", x[1])))));
            Rule("Log10", (x, y) => Div(L(1), Mul(x[0], L(Math.Log(10)))));
            Rule("Log2", (x, y) => Div(L(1), Mul(x[0], L(Math.Log(2)))));

            // ---- 4. Power functions ----
            Rule("Sqrt", (x, y) => Div(L(0.5), y));                                         // 1/(2√x), +∞ at 0
            Rule("Cbrt", (x, y) => Div(L(1), Mul(L(3), Mul(y, y))));                        // 1/(3∛x²)
            // pow(a, b): ∂a = b a^(b-1); ∂b = a^b ln a, taken as 0 at a = 0 (the limit along b > 0)
            Rule("Pow",
                (x, y) => x[1] is LiteralExpr c ? PowerPartial(x[0], c.Value, y) : Mul(x[1], F("Pow", x[0], Sub(x[1], L(1)))),
                (x, y) => If(Cmp(BinaryOp.Equal, x[0], L(0)), L(0), Mul(y, F("Log", x[0]))));
            // hypot(a, b) = √(a²+b²): ∂a = a/h, ∂b = b/h, both 0 at the origin (a subgradient)
            Rule("Hypot",
                (x, y) => If(Cmp(BinaryOp.Equal, y, L(0)), L(0), Div(x[0], y)),
                (x, y) => If(Cmp(BinaryOp.Equal, y, L(0)), L(0), Div(x[1], y)));

            // ---- 5. Absolute value, extrema, fused multiply-add ----
            // |x|' = sign(x), with |·|'(0) = 0
            Rule("Abs", (x, y) => If(Cmp(BinaryOp.Greater, x[0], L(0)), L(1), If(Cmp(BinaryOp.Less, x[0], L(0)), L(-1), L(0))));
            // max/min: the whole adjoint goes to the argument chosen, the first one on a tie
            Rule("Max",
                (x, y) => If(Cmp(BinaryOp.GreaterOrEqual, x[0], x[1]), L(1), L(0)),
                (x, y) => If(Cmp(BinaryOp.GreaterOrEqual, x[0], x[1]), L(0), L(1)));
            Rule("Min",
                (x, y) => If(Cmp(BinaryOp.LessOrEqual, x[0], x[1]), L(1), L(0)),
                (x, y) => If(Cmp(BinaryOp.LessOrEqual, x[0], x[1]), L(0), L(1)));
            // clamp(v, lo, hi) = v < lo ? lo : v > hi ? hi : v
            Rule("Clamp",
                (x, y) => If(Cmp(BinaryOp.Less, x[0], x[1]), L(0), If(Cmp(BinaryOp.Greater, x[0], x[2]), L(0), L(1))),
                (x, y) => If(Cmp(BinaryOp.Less, x[0], x[1]), L(1), L(0)),
                (x, y) => If(Cmp(BinaryOp.Less, x[0], x[1]), L(0), If(Cmp(BinaryOp.Greater, x[0], x[2]), L(1), L(0))));
            // fma(a, b, c) = a b + c
            Rule("FusedMultiplyAdd", (x, y) => x[1], (x, y) => x[0], (x, y) => L(1));

            // ---- 6. Piecewise-constant functions (Floor, Round, Sign, ...): zero derivative, no partials ----

            // Every function of the catalog that is not zero has its partials here, and nothing else has.
            var table = new Dictionary<(string, int), DerivativeRule>();
            foreach (var function in DerivativeCatalog.All)
            {
                var key = (function.Name, function.Arity);
                if (function.IsZero)
                    table[key] = new DerivativeRule(function, Array.Empty<Func<Expr[], Expr, Expr?>>());
                else if (partialsOf.TryGetValue(key, out var partials))
                    table[key] = new DerivativeRule(function, partials);
                else
                    throw new InvalidOperationException("No partials for " + function.Name + "/" + function.Arity);
            }
            foreach (var key in partialsOf.Keys)
            {
                if (!table.ContainsKey(key) || table[key].IsZero) throw new InvalidOperationException("Partials for " + key.Item1 + "/" + key.Item2 + ", which the catalog does not list");
            }
            return table;
        }
    }
}
