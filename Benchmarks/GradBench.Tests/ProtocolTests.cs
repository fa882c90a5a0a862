using System.Text;
using System.Text.Json;

namespace Differentiable.GradBench.Tests;

/// <summary>The tool's answers to GradBench's messages.</summary>
public class ProtocolTests
{
    private static JsonElement Respond(string message)
    {
        byte[] response = Program.Respond(JsonDocument.Parse(message).RootElement);
        return JsonDocument.Parse(Encoding.UTF8.GetString(response)).RootElement;
    }

    [Fact]
    public void Start_names_the_tool()
    {
        JsonElement r = Respond("""{"id": 0, "kind": "start", "eval": "hello"}""");
        Assert.Equal(0, r.GetProperty("id").GetInt32());
        Assert.Equal("differentiable", r.GetProperty("tool").GetString());
    }

    [Theory]
    [InlineData("hello", true)]
    [InlineData("ba", true)]
    [InlineData("ht", false)]
    public void Define_succeeds_for_implemented_modules(string module, bool success)
    {
        JsonElement r = Respond($$"""{"id": 1, "kind": "define", "module": "{{module}}"}""");
        Assert.Equal(success, r.GetProperty("success").GetBoolean());
    }

    [Fact]
    public void Evaluate_returns_the_output_and_one_timing_per_run()
    {
        JsonElement r = Respond("""{"id": 2, "kind": "evaluate", "module": "hello", "function": "double", "input": 3.0}""");
        Assert.True(r.GetProperty("success").GetBoolean());
        Assert.Equal(6.0, r.GetProperty("output").GetDouble());

        r = Respond("""{"id": 3, "kind": "evaluate", "module": "lse", "function": "gradient", "input": {"x": [0, 0, 0, 0], "min_runs": 5, "min_seconds": 0}}""");
        Assert.Equal(3, r.GetProperty("id").GetInt32());
        Assert.Equal([0.25, 0.25, 0.25, 0.25], r.GetProperty("output").EnumerateArray().Select(e => e.GetDouble()));
        JsonElement[] timings = r.GetProperty("timings").EnumerateArray().ToArray();
        Assert.Equal(5, timings.Count(t => t.GetProperty("name").GetString() == "evaluate"));
        Assert.All(timings, t => Assert.True(t.GetProperty("nanoseconds").GetInt64() >= 0));
    }

    [Fact]
    public void Gmm_jacobian_has_the_eval_layout()
    {
        string input = """{"d": 2, "k": 2, "n": 1, "m": 0, "gamma": 1.0, "alpha": [0.1, 0.2], "mu": [[0, 0], [1, 1]], "q": [[0, 0], [0.1, 0.2]], "l": [[0.5], [0.3]], "x": [[0.2, 0.4]]}""";
        JsonElement r = Respond($$"""{"id": 4, "kind": "evaluate", "module": "gmm", "function": "jacobian", "input": {{input}}}""");
        JsonElement output = r.GetProperty("output");
        Assert.Equal(2, output.GetProperty("alpha").GetArrayLength());
        Assert.Equal(2, output.GetProperty("mu").GetArrayLength());
        Assert.Equal(2, output.GetProperty("mu")[0].GetArrayLength());
        Assert.Equal(1, output.GetProperty("l")[1].GetArrayLength());
    }

    [Fact]
    public void An_unknown_function_is_reported_not_thrown()
    {
        JsonElement r = Respond("""{"id": 5, "kind": "evaluate", "module": "lse", "function": "hessian", "input": {"x": [1]}}""");
        Assert.False(r.GetProperty("success").GetBoolean());
        Assert.Contains("hessian", r.GetProperty("error").GetString());
    }
}
