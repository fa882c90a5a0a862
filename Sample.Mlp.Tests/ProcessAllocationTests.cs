using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Sample.Mlp.Tests;

/// <summary>
/// The process-wide figure: the sample itself, in a process of its own where nothing else runs, measures
/// <c>GC.GetTotalAllocatedBytes(true)</c> around each epoch's steps (with the long-lived worker threads of
/// <c>--threads 2</c>) and prints it. Every epoch after the first (which warms up) must say 0 B.
/// </summary>
public class ProcessAllocationTests
{
    [Fact]
    public void Training_with_two_threads_allocates_nothing_in_the_whole_process_after_the_first_epoch()
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "Sample.Mlp.dll");
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        var start = new ProcessStartInfo(dotnet)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in new[] { "exec", dll, "--data", "embedded", "--epochs", "3", "--threads", "2", "--hidden", "64", "--plot", "none" })
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd();
        string error = process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(120_000), "the sample did not finish in 2 minutes");
        Assert.True(process.ExitCode == 0, output + error);

        var epochs = Regex.Matches(output, @"^epoch +(\d+) .*allocated ([\d,]+) B$", RegexOptions.Multiline);
        Assert.Equal(3, epochs.Count);
        for (int e = 1; e < epochs.Count; e++)
            Assert.True(epochs[e].Groups[2].Value == "0", $"epoch {epochs[e].Groups[1].Value} allocated {epochs[e].Groups[2].Value} B:\n{output}");
    }
}
