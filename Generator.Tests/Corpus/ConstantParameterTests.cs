using Differentiable.Generator.Tests.Infrastructure;
using Xunit;

namespace Differentiable.Generator.Tests.Corpus;

/// <summary>
/// Parameters of other types marked [NoDiff]: DESIGN.md says everything but double/float (and their spans) is a
/// constant, and DIFF0003's own message says "or mark it [NoDiff]". Kept out of the corpus source so that the
/// corpus compiles as a whole either way.
/// </summary>
public class ConstantParameterTests
{
    private const string Source = """
        using System;
        using Differentiable;

        namespace ConstantParameters
        {
            public static partial class P
            {
                [Differentiable]
                public static double NoDiffString(double x, [NoDiff] string label, double y) => x * x * y;
            }
        }
        """;

    [Theory]
    [InlineData(0.5, "a", -1.0)]
    [InlineData(-1.3, "b", 0.2)]
    [InlineData(2.0, "", 1.5)]
    public void A_NoDiff_string_parameter_is_a_constant(double x, string label, double y)
    {
        foreach (bool analysesOff in new[] { false, true })
        {
            var assembly = GradientAssert.Load(Source, analysesOff);
            var result = GradientAssert.Check(assembly, "ConstantParameters.P", "NoDiffString", x, label, y);
            GradientAssert.AssertGradient(result, new[] { 2 * x * y, x * x }, 1e-12);
        }
    }
}
