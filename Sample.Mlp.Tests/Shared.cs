global using Xunit;
global using Differentiable;

namespace Sample.Mlp.Tests;

/// <summary>The embedded data, loaded once for all tests, and small helpers.</summary>
internal static class Shared
{
    private static readonly Lazy<FashionMnist.Source> s_embedded = new(FashionMnist.FromEmbedded);

    public static FashionMnist.Source Embedded => s_embedded.Value;

    /// <summary>A fresh temporary directory for one test.</summary>
    public static string TemporaryDirectory()
    {
        string path = Path.Combine(Path.GetTempPath(), "sample-mlp-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }

    public static (int Code, string Output, string Error) RunCli(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = Cli.Run(args, output, error, terminal: false);
        return (code, output.ToString(), error.ToString());
    }

    public static Trainer NewTrainer(int[] sizes, string optimizer, float learningRate, int batch, int threads, ulong seed)
    {
        var parameters = new float[Mlp.ParameterCount(sizes)];
        Mlp.Initialize(parameters, sizes, seed);
        return new Trainer(sizes, parameters, Optimizer.Create(optimizer, learningRate, parameters.Length), batch, threads, seed);
    }
}

/// <summary>Tests that measure process-wide allocation run alone.</summary>
[CollectionDefinition(nameof(Alone), DisableParallelization = true)]
public class Alone
{
}
