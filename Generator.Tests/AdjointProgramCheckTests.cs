using Differentiable.Generator.Analysis;
using Differentiable.Generator.Differentiation;
using Differentiable.Generator.Ir;
using Differentiable.Generator.Tests.Infrastructure;

namespace Differentiable.Generator.Tests;

/// <summary>
/// The invariant check of the adjoint program: a reverse sweep that reads an undeclared adjoint, or adds a
/// contribution after the adjoint was read, is refused (DIFF0000) instead of being written as code that does not
/// compile or misses a term. The programs here are built by the generator, then broken on purpose.
/// </summary>
public class AdjointProgramCheckTests
{
    private const string Source = """
        using System;
        using Differentiable;
        public static partial class C
        {
            [Differentiable] public static double Sq(double x) => x * x;
            [Differentiable] public static double F(double x, double y) { double u = x * y; double a = Sq(u); double s = y + u; return a * 3 + s * y; }
        }
        """;

    private static (IrFunction Function, ReverseProgram Program, List<AdjointStatement> Statements) Build()
    {
        var model = ModelHelper.ParseValid(Source, "F");
        var program = ReverseModeBuilder.Build(model.Function, ActivityAnalysis.Run(model.Function, enabled: true));
        var statements = program.Nodes.OfType<ReverseNode>().Single().Statements;
        return (model.Function, program, statements);
    }

    [Fact]
    public void The_generated_program_passes()
    {
        var (function, program, _) = Build();
        AdjointProgramCheck.Verify(function, program);
    }

    [Fact]
    public void A_read_of_an_undeclared_adjoint_is_refused()
    {
        var (function, program, statements) = Build();
        // Drop the declaration of the adjoint that the call adds into: what issue L's generated code did.
        int index = statements.FindIndex(s => s is AccumulateStatement { Declare: true } a && !function.Parameters.Any(p => p.Value == a.Target) &&
            statements.OfType<BackwardCallStatement>().Any(c => c.Adjoints.Contains(a.Target)));
        Assert.True(index >= 0, "the program declares the adjoint the call adds into");
        statements[index] = new NopStatement();
        var error = Assert.Throws<InvalidOperationException>(() => AdjointProgramCheck.Verify(function, program));
        Assert.Contains("'F'", error.Message);
        Assert.Contains("not declared", error.Message);
    }

    [Fact]
    public void A_contribution_after_the_read_is_refused()
    {
        var (function, program, statements) = Build();
        // Add into u's adjoint again after its definition (u = x * y) was reversed: that term would be lost.
        var call = statements.OfType<BackwardCallStatement>().Single();
        var u = call.Adjoints.Single(a => a is not null)!.Value;
        statements.Add(new AccumulateStatement(u, new LiteralExpr(1), Declare: false));
        var error = Assert.Throws<InvalidOperationException>(() => AdjointProgramCheck.Verify(function, program));
        Assert.Contains("after it was read", error.Message);
    }
}
