using System;
using System.Buffers.Binary;
using System.IO;

namespace Sample.Mlp
{
    /// <summary>
    /// The saved model: a versioned little-endian binary file.
    /// <code>
    /// offset  size      field
    /// 0       8         magic "DIFFMLP\0"
    /// 8       4         format version (1)
    /// 12      4         element type (1 = IEEE 754 binary32)
    /// 16      4         number of layer sizes L (inputs, hidden..., classes)
    /// 20      4 L       the layer sizes
    /// ...     8         parameter count P (must equal the architecture's)
    /// ...     4 P       the parameters, layer after layer (weights, then biases)
    /// ...     4         CRC-32 (IEEE) of every byte before it
    /// </code>
    /// Loading refuses a file that is truncated, corrupted, of another version or element type, or whose architecture is
    /// not the one asked for, with a message saying which. Saving writes a temporary file and renames it, so a failed
    /// save leaves the old file as it was.
    /// </summary>
    public static class ModelFile
    {
        public const int Version = 1;
        public const int Float32 = 1;
        private static readonly byte[] Magic = { (byte)'D', (byte)'I', (byte)'F', (byte)'F', (byte)'M', (byte)'L', (byte)'P', 0 };

        public static void Save(string path, ReadOnlySpan<int> sizes, ReadOnlySpan<float> parameters)
        {
            if (parameters.Length != Mlp.ParameterCount(sizes)) throw new ArgumentException("The parameters do not match the architecture.", nameof(parameters));
            int length = 8 + 4 + 4 + 4 + 4 * sizes.Length + 8 + 4 * parameters.Length + 4;
            var bytes = new byte[length];
            Span<byte> s = bytes;
            Magic.CopyTo(s);
            int at = 8;
            BinaryPrimitives.WriteInt32LittleEndian(s.Slice(at), Version); at += 4;
            BinaryPrimitives.WriteInt32LittleEndian(s.Slice(at), Float32); at += 4;
            BinaryPrimitives.WriteInt32LittleEndian(s.Slice(at), sizes.Length); at += 4;
            foreach (int size in sizes) { BinaryPrimitives.WriteInt32LittleEndian(s.Slice(at), size); at += 4; }
            BinaryPrimitives.WriteInt64LittleEndian(s.Slice(at), parameters.Length); at += 8;
            foreach (float p in parameters) { BinaryPrimitives.WriteSingleLittleEndian(s.Slice(at), p); at += 4; }
            BinaryPrimitives.WriteUInt32LittleEndian(s.Slice(at), Crc32.Compute(s.Slice(0, at)));

            string full = Path.GetFullPath(path);
            string temporary = full + ".tmp-" + Environment.ProcessId;
            File.WriteAllBytes(temporary, bytes);
            File.Move(temporary, full, overwrite: true);
        }

        /// <summary>
        /// Reads a model. <paramref name="expectedSizes"/>, when given, is the architecture the caller wants; a file with
        /// another is refused.
        /// </summary>
        /// <exception cref="InvalidDataException">The file is not a valid model file, or not of that architecture.</exception>
        public static (int[] Sizes, float[] Parameters) Load(string path, ReadOnlySpan<int> expectedSizes = default)
        {
            byte[] bytes;
            try
            {
                bytes = File.ReadAllBytes(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new InvalidDataException($"{path}: cannot be read ({e.Message}).", e);
            }
            ReadOnlySpan<byte> s = bytes;
            InvalidDataException Bad(string what) => new InvalidDataException($"{path}: {what}; the model was not loaded.");
            if (s.Length < 20 || !s.Slice(0, 8).SequenceEqual(Magic)) throw Bad("not a model file of this sample (no DIFFMLP header)");
            int version = BinaryPrimitives.ReadInt32LittleEndian(s.Slice(8));
            if (version != Version) throw Bad($"format version {version}; this build reads version {Version}");
            int element = BinaryPrimitives.ReadInt32LittleEndian(s.Slice(12));
            if (element != Float32) throw Bad($"element type {element}; this build reads 32-bit floats ({Float32})");
            int count = BinaryPrimitives.ReadInt32LittleEndian(s.Slice(16));
            if (count < 3 || count > 64) throw Bad($"{count} layer sizes, expected between 3 and 64 (corrupted?)");
            if (s.Length < 20 + 4 * count + 8) throw Bad($"truncated: {s.Length} bytes end inside the header");
            var sizes = new int[count];
            for (int l = 0; l < count; l++)
            {
                sizes[l] = BinaryPrimitives.ReadInt32LittleEndian(s.Slice(20 + 4 * l));
                if (sizes[l] < 1 || sizes[l] > 1 << 20) throw Bad($"layer size {sizes[l]} (corrupted?)");
            }
            long parameterCount = BinaryPrimitives.ReadInt64LittleEndian(s.Slice(20 + 4 * count));
            long architectureCount = 0;
            for (int l = 1; l < count; l++) architectureCount += (long)sizes[l] * sizes[l - 1] + sizes[l];
            if (parameterCount != architectureCount) throw Bad($"{parameterCount} parameters, but architecture {Architecture(sizes)} has {architectureCount} (corrupted?)");
            long expectedLength = 20 + 4L * count + 8 + 4 * parameterCount + 4;
            if (s.Length < expectedLength) throw Bad($"truncated: {s.Length} bytes, the header announces {expectedLength}");
            if (s.Length > expectedLength) throw Bad($"{s.Length - expectedLength} unexpected bytes after the checksum");
            int end = (int)expectedLength - 4;
            uint stored = BinaryPrimitives.ReadUInt32LittleEndian(s.Slice(end));
            uint actual = Crc32.Compute(s.Slice(0, end));
            if (stored != actual) throw Bad($"checksum mismatch (stored 0x{stored:x8}, computed 0x{actual:x8}): the file is corrupted");
            if (!expectedSizes.IsEmpty && !expectedSizes.SequenceEqual(sizes))
                throw Bad($"architecture {Architecture(sizes)}, but {Architecture(expectedSizes)} was asked for");
            var parameters = new float[parameterCount];
            int at = 20 + 4 * count + 8;
            for (int i = 0; i < parameters.Length; i++) parameters[i] = BinaryPrimitives.ReadSingleLittleEndian(s.Slice(at + 4 * i));
            return (sizes, parameters);
        }

        /// <summary>Layer sizes as the command line writes them: <c>784-128-10</c>.</summary>
        public static string Architecture(ReadOnlySpan<int> sizes)
        {
            var text = new System.Text.StringBuilder();
            for (int l = 0; l < sizes.Length; l++) text.Append(l == 0 ? "" : "-").Append(sizes[l]);
            return text.ToString();
        }
    }

    /// <summary>CRC-32 with the IEEE 802.3 polynomial (reflected, 0xEDB88320), as zlib and PNG use it.</summary>
    public static class Crc32
    {
        private static readonly uint[] Table = BuildTable();

        private static uint[] BuildTable()
        {
            var table = new uint[256];
            for (uint n = 0; n < 256; n++)
            {
                uint c = n;
                for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
                table[n] = c;
            }
            return table;
        }

        public static uint Compute(ReadOnlySpan<byte> data)
        {
            uint crc = 0xFFFFFFFFu;
            foreach (byte b in data) crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
            return ~crc;
        }
    }
}
