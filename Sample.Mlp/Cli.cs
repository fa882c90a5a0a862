using System;
using System.CommandLine;
using System.Globalization;
using System.IO;

namespace Sample.Mlp
{
    /// <summary>The command line: parses and validates the options (exit code 2 with a message when they are wrong), then trains.</summary>
    public static class Cli
    {
        public const int Usage = 2;

        public static int Run(string[] args, TextWriter output, TextWriter error, bool terminal)
        {
            var data = new Option<string?>("--data") { Description = "Directory with the Fashion-MNIST IDX files (raw or .gz), or 'embedded'. Default: /usr/share/datasets/fashion-mnist when the Debian package dataset-fashion-mnist is installed, else the embedded subset (6,000 training, 1,000 test images).", HelpName = "DIR" };
            var epochs = new Option<int>("--epochs") { Description = "Passes over the training set; 0 evaluates the model given with --load.", DefaultValueFactory = _ => TrainingOptions.DefaultEpochs };
            var batch = new Option<int>("--batch") { Description = "Mini-batch size.", DefaultValueFactory = _ => TrainingOptions.DefaultBatch };
            var lr = new Option<float>("--lr") { Description = "Learning rate.", DefaultValueFactory = _ => TrainingOptions.DefaultLearningRate };
            var optimizer = new Option<string>("--optimizer") { Description = "sgd, momentum (0.9) or adam (β₁ 0.9, β₂ 0.999).", DefaultValueFactory = _ => TrainingOptions.DefaultOptimizer };
            optimizer.AcceptOnlyFromAmong("sgd", "momentum", "adam");
            var hidden = new Option<string?>("--hidden") { Description = "Hidden layer widths, comma-separated. Default: 128 (a loaded model keeps its own).", HelpName = "128,64" };
            var threads = new Option<int>("--threads") { Description = "Threads per batch (row blocks, deterministic reduction).", DefaultValueFactory = _ => 1 };
            var seed = new Option<ulong>("--seed") { Description = "Seed of the initialization and of the shuffling.", DefaultValueFactory = _ => TrainingOptions.DefaultSeed };
            var save = new Option<string?>("--save") { Description = "Save the trained model to FILE.", HelpName = "FILE" };
            var load = new Option<string?>("--load") { Description = "Start from the model in FILE.", HelpName = "FILE" };
            var summary = new Option<string?>("--summary") { Description = "Write a JSON summary of the run to FILE.", HelpName = "FILE" };
            var plot = new Option<string?>("--plot") { Description = "Write a PNG plot of loss and accuracy per epoch to FILE ('none' for no plot). Default: sample-mlp.png in the temporary directory.", HelpName = "FILE" };

            var root = new RootCommand(
                "Trains a multilayer perceptron (ReLU, softmax cross-entropy) on Fashion-MNIST with gradients written by the " +
                "Differentiable source generator. Defaults: --optimizer adam --lr 0.001 --epochs 10 --batch 64 --hidden 128 --threads 1 --seed 42.");
            foreach (var option in new Option[] { data, epochs, batch, lr, optimizer, hidden, threads, seed, save, load, summary, plot }) root.Options.Add(option);

            ParseResult parse = root.Parse(args);
            if (parse.Errors.Count > 0)
            {
                foreach (var e in parse.Errors) error.WriteLine("error: " + e.Message);
                error.WriteLine("Run with --help for the options.");
                return Usage;
            }
            // The root command has no action of its own: an action here is --help or --version.
            if (parse.Action is not null)
                return parse.Invoke(new InvocationConfiguration { Output = output, Error = error });

            int[]? widths = null;
            string? hiddenText = parse.GetValue(hidden);
            if (hiddenText is not null)
            {
                widths = TrainingOptions.ParseHidden(hiddenText, out string? hiddenError);
                if (widths is null)
                {
                    error.WriteLine("error: " + hiddenError);
                    return Usage;
                }
            }
            string? plotPath = parse.GetValue(plot) ?? Path.Combine(Path.GetTempPath(), "sample-mlp.png");
            var options = new TrainingOptions
            {
                Data = parse.GetValue(data),
                Epochs = parse.GetValue(epochs),
                Batch = parse.GetValue(batch),
                LearningRate = parse.GetValue(lr),
                Optimizer = parse.GetValue(optimizer)!,
                Hidden = widths,
                Threads = parse.GetValue(threads),
                Seed = parse.GetValue(seed),
                Save = parse.GetValue(save),
                Load = parse.GetValue(load),
                Summary = parse.GetValue(summary),
                Plot = plotPath == "none" ? null : plotPath,
                Progress = terminal,
            };
            var problems = options.Validate();
            if (problems.Count > 0)
            {
                foreach (string problem in problems) error.WriteLine("error: " + problem);
                error.WriteLine("Run with --help for the options.");
                return Usage;
            }
            try
            {
                return TrainingRun.Execute(options, output, error);
            }
            catch (InvalidDataException e)
            {
                error.WriteLine("error: " + e.Message);
                return 1;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                error.WriteLine("error: " + e.Message);
                return 1;
            }
        }
    }

    internal static class Program
    {
        private static int Main(string[] args)
        {
            CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
            bool terminal = !Console.IsOutputRedirected && Spectre.Console.AnsiConsole.Profile.Capabilities.Interactive;
            return Cli.Run(args, Console.Out, Console.Error, terminal);
        }
    }
}
