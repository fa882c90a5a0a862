using System;
using System.Collections.Generic;

namespace Sample.Mlp
{
    /// <summary>What a run does: the command line's options, validated.</summary>
    public sealed record TrainingOptions
    {
        public const string DefaultOptimizer = "adam";
        public const float DefaultLearningRate = 1e-3f;
        public const int DefaultEpochs = 10;
        public const int DefaultBatch = 64;
        public const string DefaultHidden = "128";
        public const ulong DefaultSeed = 42;

        /// <summary>A directory, <c>embedded</c>, or null for the Debian package when installed, else the embedded subset.</summary>
        public string? Data { get; init; }
        public int Epochs { get; init; } = DefaultEpochs;
        public int Batch { get; init; } = DefaultBatch;
        public float LearningRate { get; init; } = DefaultLearningRate;
        public string Optimizer { get; init; } = DefaultOptimizer;
        /// <summary>Hidden layer widths; null when not given (a loaded model keeps its own).</summary>
        public int[]? Hidden { get; init; }
        public int Threads { get; init; } = 1;
        public ulong Seed { get; init; } = DefaultSeed;
        public string? Save { get; init; }
        public string? Load { get; init; }
        public string? Summary { get; init; }
        /// <summary>Where the plot goes; null for no plot.</summary>
        public string? Plot { get; init; }
        /// <summary>Draw a progress bar (a terminal); otherwise one plain line per epoch.</summary>
        public bool Progress { get; init; }

        /// <summary>"128,64" → [128, 64]; null and an error message when it is not a list of positive widths.</summary>
        public static int[]? ParseHidden(string text, out string? error)
        {
            error = null;
            var widths = new List<int>();
            foreach (string part in text.Split(','))
            {
                if (!int.TryParse(part.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int width) || width < 1 || width > 65536)
                {
                    error = $"--hidden '{text}': expected a comma-separated list of layer widths between 1 and 65536, such as 128,64.";
                    return null;
                }
                widths.Add(width);
            }
            return widths.ToArray();
        }

        /// <summary>The problems with these options, one sentence each (empty when they are fine).</summary>
        public IReadOnlyList<string> Validate()
        {
            var errors = new List<string>();
            if (Epochs < 0) errors.Add($"--epochs {Epochs}: must be 0 or more.");
            if (Batch < 1) errors.Add($"--batch {Batch}: must be at least 1.");
            if (!(LearningRate > 0) || float.IsInfinity(LearningRate)) errors.Add($"--lr {LearningRate}: must be a positive number.");
            if (Threads < 1 || Threads > 256) errors.Add($"--threads {Threads}: must be between 1 and 256.");
            if (Optimizer is not ("sgd" or "momentum" or "adam")) errors.Add($"--optimizer {Optimizer}: must be sgd, momentum or adam.");
            if (Data is not null && Data != FashionMnist.Embedded && !System.IO.Directory.Exists(Data))
                errors.Add($"--data {Data}: no such directory (give a directory holding the Fashion-MNIST IDX files, or 'embedded').");
            if (Load is not null && !System.IO.File.Exists(Load)) errors.Add($"--load {Load}: no such file.");
            foreach (var (option, path) in new[] { ("--save", Save), ("--summary", Summary), ("--plot", Plot) })
            {
                string? directory = path is null ? null : System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
                if (directory is not null && !System.IO.Directory.Exists(directory)) errors.Add($"{option} {path}: the directory {directory} does not exist.");
            }
            if (Epochs == 0 && Load is null) errors.Add("--epochs 0 evaluates a saved model: give it with --load FILE.");
            return errors;
        }
    }
}
