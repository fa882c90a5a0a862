using System;
using System.IO;
using System.Reflection;

namespace Sample.Mlp
{
    /// <summary>A set of images (pixels scaled to [0, 1], row-major <c>count × features</c>) with their labels.</summary>
    public sealed class DataSet
    {
        public DataSet(float[] features, int[] labels, int featureCount)
        {
            if (features.Length != labels.Length * featureCount) throw new ArgumentException("Features and labels do not match.", nameof(features));
            Features = features;
            Labels = labels;
            FeatureCount = featureCount;
        }

        public float[] Features { get; }

        public int[] Labels { get; }

        public int FeatureCount { get; }

        public int Count => Labels.Length;

        /// <summary>Images and labels as read by <see cref="Idx"/>; the counts must agree.</summary>
        public static DataSet From(Idx.Images images, byte[] labels, string imagesName, string labelsName)
        {
            if (images.Count != labels.Length)
                throw new InvalidDataException($"{imagesName} holds {images.Count} images but {labelsName} holds {labels.Length} labels.");
            int features = images.Rows * images.Columns;
            var x = new float[images.Pixels.Length];
            for (int i = 0; i < x.Length; i++) x[i] = images.Pixels[i] * (1f / 255f);
            var y = new int[labels.Length];
            for (int i = 0; i < y.Length; i++) y[i] = labels[i];
            return new DataSet(x, y, features);
        }
    }

    /// <summary>
    /// Fashion-MNIST, from where the command line says: a directory (<c>--data DIR</c>), the Debian package
    /// <c>dataset-fashion-mnist</c>, or the subset embedded in this sample (the first 6,000 training and 1,000 test
    /// images, MIT license in <c>Data/LICENSE-fashion-mnist.txt</c>).
    /// </summary>
    public static class FashionMnist
    {
        public const int Classes = 10;
        public const string DebianDirectory = "/usr/share/datasets/fashion-mnist";
        public const string Embedded = "embedded";

        private static readonly string[] Files =
        {
            "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
        };

        /// <summary>The training and test sets, and a sentence saying where they came from.</summary>
        public sealed record Source(DataSet Train, DataSet Test, string Description, string Name);

        /// <summary>
        /// <paramref name="data"/>: <c>null</c> (the Debian package when installed, else the embedded subset),
        /// <c>"embedded"</c>, or a directory holding the four IDX files (raw or <c>.gz</c>).
        /// </summary>
        public static Source Load(string? data)
        {
            if (data is null) return Directory.Exists(DebianDirectory) && Find(DebianDirectory, Files[0]) is not null ? FromDirectory(DebianDirectory, "debian") : FromEmbedded();
            if (data == Embedded) return FromEmbedded();
            if (!Directory.Exists(data)) throw new InvalidDataException($"--data {data}: no such directory (give a directory with the four Fashion-MNIST IDX files, or 'embedded').");
            return FromDirectory(data, data);
        }

        public static Source FromEmbedded()
        {
            var assembly = typeof(FashionMnist).Assembly;
            DataSet Read(string images, string labels) => DataSet.From(
                Idx.ReadImages(Resource(assembly, images), "embedded " + images + ".gz"),
                Idx.ReadLabels(Resource(assembly, labels), "embedded " + labels + ".gz", Classes), images, labels);
            var train = Read(Files[0], Files[1]);
            var test = Read(Files[2], Files[3]);
            return new Source(train, test, $"embedded Fashion-MNIST subset ({train.Count:N0} training, {test.Count:N0} test images)", Embedded);
        }

        public static Source FromDirectory(string directory, string name)
        {
            string[] paths = new string[Files.Length];
            for (int f = 0; f < Files.Length; f++)
                paths[f] = Find(directory, Files[f]) ?? throw new InvalidDataException($"{directory}: no {Files[f]} (or {Files[f]}.gz) file.");
            var train = DataSet.From(Idx.ReadImages(paths[0]), Idx.ReadLabels(paths[1], Classes), paths[0], paths[1]);
            var test = DataSet.From(Idx.ReadImages(paths[2]), Idx.ReadLabels(paths[3], Classes), paths[2], paths[3]);
            if (train.FeatureCount != test.FeatureCount)
                throw new InvalidDataException($"{paths[0]} has {train.FeatureCount} pixels per image but {paths[2]} has {test.FeatureCount}.");
            return new Source(train, test, $"Fashion-MNIST from {directory} ({train.Count:N0} training, {test.Count:N0} test images)", name);
        }

        private static string? Find(string directory, string file)
        {
            foreach (string candidate in new[] { file, file + ".gz" })
            {
                string path = Path.Combine(directory, candidate);
                if (File.Exists(path)) return path;
            }
            return null;
        }

        private static Stream Resource(Assembly assembly, string file) =>
            assembly.GetManifestResourceStream(file + ".gz") ?? throw new InvalidDataException($"The embedded resource {file}.gz is missing from {assembly.GetName().Name}.");
    }
}
