using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Differentiable.Generator.Tests;

/// <summary>
/// The shipped package, end to end, as a user gets it: packs Runtime (with the generator and the code fix inside)
/// into a local folder feed, creates a fresh console project that references the package from that feed, builds
/// it with warnings as errors, runs it, and checks the printed gradient of Rosenbrock against the formula.
/// Needs only the .NET SDK and nuget.org.
/// </summary>
[Trait("Category", "Package")]
public sealed class PackageTests : IDisposable
{
    private static readonly TimeSpan PackTimeout = TimeSpan.FromMinutes(6);
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(6);
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(1);

    private readonly string _root = Path.Combine(Path.GetTempPath(), "differentiable-package-test-" + Guid.NewGuid().ToString("N")[..12]);

    public PackageTests() => Directory.CreateDirectory(_root);

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    [Fact]
    public void Package_from_a_local_feed_generates_a_correct_gradient_in_a_fresh_project()
    {
        string repository = FindRepositoryRoot();
        // A unique prerelease version: no package cache anywhere can hold a stale copy of it.
        string version = "0.1.0-test." + DateTime.UtcNow.Ticks.ToString(CultureInfo.InvariantCulture);
        string feed = Directory.CreateDirectory(Path.Combine(_root, "feed")).FullName;
        string packages = Directory.CreateDirectory(Path.Combine(_root, "packages")).FullName;
        string app = Directory.CreateDirectory(Path.Combine(_root, "app")).FullName;

        // Pack from the working tree; every build output goes under _root (--artifacts-path), so the repository's
        // own bin/obj folders are not touched while the rest of the test suite uses them.
        Run(repository, PackTimeout, null,
            "pack", Path.Combine(repository, "Runtime", "Runtime.csproj"), "-c", "Release", "-o", feed,
            "-p:Version=" + version, "--artifacts-path", Path.Combine(_root, "artifacts"), "--disable-build-servers");
        string nupkg = Path.Combine(feed, $"Differentiable.{version}.nupkg");
        Assert.True(File.Exists(nupkg), $"expected {nupkg}; the feed holds: {string.Join(", ", Directory.GetFiles(feed))}");

        WriteConsumer(app, feed, packages, version);
        var env = new Dictionary<string, string> { ["NUGET_PACKAGES"] = packages };
        Run(app, BuildTimeout, env, "build", "-c", "Release", "--disable-build-servers");
        string output = Run(app, RunTimeout, env, "run", "--no-build", "-c", "Release");

        var printed = ParseOutput(output);
        const double x = 1.5, y = -0.5;
        double value = (1 - x) * (1 - x) + 100 * (y - x * x) * (y - x * x);
        double dx = -2 * (1 - x) - 400 * x * (y - x * x);
        double dy = 200 * (y - x * x);
        // Gradient returns the value and overwrites the adjoints.
        AssertClose(value, printed, "value", output);
        AssertClose(dx, printed, "dx", output);
        AssertClose(dy, printed, "dy", output);
        // Backward accumulates seed * gradient into what the adjoints already hold (bx starts at 1, by at 0, seed 2),
        // and accumulates again on a second call.
        AssertClose(1 + 2 * dx, printed, "bx", output);
        AssertClose(2 * dy, printed, "by", output);
        AssertClose(1 + 4 * dx, printed, "bx2", output);
        AssertClose(4 * dy, printed, "by2", output);
        // f = (w·x)(Σw) at w = (1, 2), x = (3, -1): f = 3, df/dw = x Σw + w·x = (10, -2), through the packaged Ops rules.
        AssertClose(3, printed, "fit", output);
        AssertClose(10, printed, "dw0", output);
        AssertClose(-2, printed, "dw1", output);
        // The generated members are where the calling convention says.
        Assert.Equal("Double RosenbrockGradient(Double, Double, Double ByRef, Double ByRef)", printed.Signatures[0]);
        Assert.Equal("Void RosenbrockBackward(Double, Double, Double, Double ByRef, Double ByRef)", printed.Signatures[1]);
    }

    private static void WriteConsumer(string app, string feed, string packages, string version)
    {
        // Empty Directory.Build.* / Directory.Packages.props stop MSBuild from importing anything above the temp folder.
        File.WriteAllText(Path.Combine(app, "Directory.Build.props"), "<Project />\n");
        File.WriteAllText(Path.Combine(app, "Directory.Build.targets"), "<Project />\n");
        File.WriteAllText(Path.Combine(app, "Directory.Packages.props"), "<Project />\n");
        File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <config>
                <add key="globalPackagesFolder" value="{packages}" />
              </config>
              <packageSources>
                <clear />
                <add key="local" value="{feed}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" protocolVersion="3" />
              </packageSources>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(app, "App.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>disable</ImplicitUsings>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                <ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Differentiable" Version="[{version}]" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(app, "Model.cs"), """
            using Differentiable;

            namespace App
            {
                public static partial class Model
                {
                    [Differentiable]
                    public static double Rosenbrock(double x, double y)
                        => (1 - x) * (1 - x) + 100 * (y - x * x) * (y - x * x);

                    // The package's Ops rules, found through its metadata.
                    [Differentiable]
                    public static double Fit(System.ReadOnlySpan<double> w, [NoDiff] System.ReadOnlySpan<double> x)
                        => Ops.Dot(w, x) * Ops.Sum(w);
                }
            }
            """);
        File.WriteAllText(Path.Combine(app, "Program.cs"), """
            using System;
            using System.Globalization;
            using System.Linq;
            using System.Reflection;

            namespace App
            {
                internal static class Program
                {
                    private static void Print(string name, double value) =>
                        Console.WriteLine(name + "=" + value.ToString("R", CultureInfo.InvariantCulture));

                    private static int Main()
                    {
                        double value = Model.RosenbrockGradient(1.5, -0.5, out var dx, out var dy);
                        Print("value", value);
                        Print("dx", dx);
                        Print("dy", dy);

                        double bx = 1, by = 0;
                        Model.RosenbrockBackward(1.5, -0.5, 2.0, ref bx, ref by);
                        Print("bx", bx);
                        Print("by", by);
                        Model.RosenbrockBackward(1.5, -0.5, 2.0, ref bx, ref by);
                        Print("bx2", bx);
                        Print("by2", by);

                        double[] dW = new double[2];
                        Print("fit", Model.FitGradient(new double[] { 1, 2 }, new double[] { 3, -1 }, dW));
                        Print("dw0", dW[0]);
                        Print("dw1", dW[1]);

                        foreach (string name in new[] { "RosenbrockGradient", "RosenbrockBackward" })
                        {
                            MethodInfo method = typeof(Model).GetMethod(name, BindingFlags.Public | BindingFlags.Static)!;
                            Console.WriteLine("signature=" + method.ReturnType.Name + " " + name + "(" +
                                string.Join(", ", method.GetParameters().Select(p => p.ParameterType.IsByRef
                                    ? p.ParameterType.GetElementType()!.Name + " ByRef" : p.ParameterType.Name)) + ")");
                        }
                        return 0;
                    }
                }
            }
            """);
    }

    private sealed record Printed(Dictionary<string, double> Values, List<string> Signatures);

    private static Printed ParseOutput(string output)
    {
        var values = new Dictionary<string, double>();
        var signatures = new List<string>();
        foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int eq = line.IndexOf('=');
            if (eq <= 0) continue;
            string key = line[..eq], text = line[(eq + 1)..];
            if (key == "signature") signatures.Add(text);
            else if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v)) values[key] = v;
        }
        Assert.True(signatures.Count == 2, "expected two signatures in the output:\n" + output);
        return new Printed(values, signatures);
    }

    private static void AssertClose(double expected, Printed printed, string name, string output)
    {
        Assert.True(printed.Values.TryGetValue(name, out double actual), $"'{name}' was not printed. Output:\n{output}");
        double error = Math.Abs(actual - expected) / Math.Max(Math.Abs(expected), 1e-300);
        Assert.True(error <= 1e-12, $"{name}: expected {expected:R}, got {actual:R} (relative error {error:E2}). Output:\n{output}");
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Differentiable.sln"))) return dir.FullName;
        throw new InvalidOperationException("Differentiable.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>Runs the dotnet CLI, fails the test with its full output on a non-zero exit code or a timeout.</summary>
    private static string Run(string workingDirectory, TimeSpan timeout, Dictionary<string, string>? environment, params string[] arguments)
    {
        var start = new ProcessStartInfo(DotNetExecutable())
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (string argument in arguments) start.ArgumentList.Add(argument);

        // The test host runs inside an MSBuild/VSTest environment; a nested 'dotnet' must not inherit it.
        foreach (string key in start.Environment.Keys.ToList())
            if (key.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || key.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)
                || key.Equals("DOTNET_HOST_PATH", StringComparison.OrdinalIgnoreCase))
                start.Environment.Remove(key);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        start.Environment["DOTNET_CLI_UI_LANGUAGE"] = "en";
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        start.Environment["UseSharedCompilation"] = "false";
        if (environment is not null)
            foreach (var (key, value) in environment) start.Environment[key] = value;

        string command = "dotnet " + string.Join(" ", arguments);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start " + command);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        bool exited = process.WaitForExit(timeout);
        if (!exited)
        {
            try { process.Kill(entireProcessTree: true); }
            catch (InvalidOperationException) { }
        }
        // A leftover child holding the pipes open must not hang the test: wait for the streams a bounded time.
        Task.WaitAll(new Task[] { stdout, stderr }, TimeSpan.FromSeconds(30));
        string Out(Task<string> t) => t.IsCompletedSuccessfully ? t.Result : "<not available>";
        string report = $"{command}\n(in {workingDirectory})\n--- stdout ---\n{Out(stdout)}\n--- stderr ---\n{Out(stderr)}";

        Assert.True(exited, $"timed out after {timeout}: {report}");
        Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode}: {report}");
        return Out(stdout);
    }

    private static string DotNetExecutable()
    {
        // The SDK running the tests tells where its 'dotnet' is; otherwise rely on PATH.
        string? host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        return !string.IsNullOrEmpty(host) && File.Exists(host) ? host : "dotnet";
    }
}
