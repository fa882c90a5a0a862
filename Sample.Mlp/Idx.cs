using System;
using System.IO;
using System.IO.Compression;

namespace Sample.Mlp
{
    /// <summary>
    /// Reads the IDX files of MNIST and Fashion-MNIST, raw or gzip-compressed (recognized by their first two bytes):
    /// a big-endian header (magic <c>0x00000803</c> for images, <c>0x00000801</c> for labels, then one 32-bit size per
    /// dimension) followed by unsigned bytes. A file that is not what it should be is refused with an
    /// <see cref="InvalidDataException"/> naming the file and what is wrong.
    /// </summary>
    public static class Idx
    {
        public const int ImageMagic = 0x00000803;
        public const int LabelMagic = 0x00000801;

        /// <summary>Images as bytes, <c>count × rows × columns</c>, with their shape.</summary>
        public sealed record Images(byte[] Pixels, int Count, int Rows, int Columns);

        public static Images ReadImages(string path)
        {
            using var stream = OpenFile(path);
            return ReadImages(stream, path);
        }

        public static byte[] ReadLabels(string path, int classes)
        {
            using var stream = OpenFile(path);
            return ReadLabels(stream, path, classes);
        }

        /// <summary>Reads an image file from <paramref name="stream"/>; <paramref name="name"/> is what errors call it.</summary>
        public static Images ReadImages(Stream stream, string name)
        {
            byte[] data = ReadAll(stream, name);
            int[] dims = Header(data, name, ImageMagic, 3, "images");
            int count = dims[0], rows = dims[1], columns = dims[2];
            if (rows == 0 || columns == 0) throw Bad(name, $"images of {rows}×{columns} pixels");
            long expected = 16 + (long)count * rows * columns;
            CheckLength(data, expected, name, $"{count} images of {rows}×{columns} pixels");
            return new Images(data.AsSpan(16).ToArray(), count, rows, columns);
        }

        /// <summary>Reads a label file from <paramref name="stream"/>; every label must be below <paramref name="classes"/>.</summary>
        public static byte[] ReadLabels(Stream stream, string name, int classes)
        {
            byte[] data = ReadAll(stream, name);
            int[] dims = Header(data, name, LabelMagic, 1, "labels");
            CheckLength(data, 8 + (long)dims[0], name, $"{dims[0]} labels");
            byte[] labels = data.AsSpan(8).ToArray();
            for (int i = 0; i < labels.Length; i++)
            {
                if (labels[i] >= classes) throw Bad(name, $"label {i} is {labels[i]}; labels must be below {classes}");
            }
            return labels;
        }

        private static Stream OpenFile(string path)
        {
            try
            {
                return File.OpenRead(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new InvalidDataException($"{path}: cannot be read ({e.Message}).", e);
            }
        }

        private static byte[] ReadAll(Stream stream, string name)
        {
            var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            byte[] raw = buffer.ToArray();
            if (raw.Length < 2 || raw[0] != 0x1f || raw[1] != 0x8b) return raw;
            try
            {
                using var gzip = new GZipStream(new MemoryStream(raw), CompressionMode.Decompress);
                var inflated = new MemoryStream();
                gzip.CopyTo(inflated);
                return inflated.ToArray();
            }
            catch (InvalidDataException e)
            {
                throw Bad(name, "the gzip data is corrupted or truncated (" + e.Message + ")");
            }
        }

        private static int[] Header(byte[] data, string name, int magic, int dimensions, string what)
        {
            if (data.Length < 4 + 4 * dimensions) throw Bad(name, $"{data.Length} bytes is too short for an IDX header of {what}");
            int actual = BigEndian(data, 0);
            if (actual != magic)
            {
                string hint = actual == (magic ^ ImageMagic ^ LabelMagic) ? $" (a file of {(what == "images" ? "labels" : "images")}?)" : "";
                throw Bad(name, $"magic number 0x{actual:x8}, expected 0x{magic:x8} for {what}{hint}");
            }
            var dims = new int[dimensions];
            for (int d = 0; d < dimensions; d++)
            {
                dims[d] = BigEndian(data, 4 + 4 * d);
                if (dims[d] < 0) throw Bad(name, $"dimension {d} is {(uint)dims[d]}, too large");
            }
            return dims;
        }

        private static void CheckLength(byte[] data, long expected, string name, string what)
        {
            if (data.Length < expected) throw Bad(name, $"truncated: the header announces {what} ({expected} bytes) but the file holds {data.Length} bytes");
            if (data.Length > expected) throw Bad(name, $"{data.Length - expected} bytes after the {what} the header announces");
        }

        private static int BigEndian(byte[] data, int at) => (data[at] << 24) | (data[at + 1] << 16) | (data[at + 2] << 8) | data[at + 3];

        private static InvalidDataException Bad(string name, string what) => new InvalidDataException($"{name}: not a valid IDX file: {what}.");
    }
}
