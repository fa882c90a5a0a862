namespace Sample.Mlp.Tests;

/// <summary>Save/load: a round trip is exact; truncated, corrupted and mismatched files are refused, naming the file and the problem.</summary>
public class ModelFileTests
{
    private static readonly int[] Sizes = { 6, 5, 4, 3 };

    private static (string Path, float[] Parameters) Saved()
    {
        var parameters = new float[Mlp.ParameterCount(Sizes)];
        Mlp.Initialize(parameters, Sizes, 7);
        parameters[^1] = 0.125f; // a bias, so not every bias is zero
        string path = Path.Combine(Shared.TemporaryDirectory(), "model.bin");
        ModelFile.Save(path, Sizes, parameters);
        return (path, parameters);
    }

    private static void AssertRefused(string path, string problem, int[]? expected = null)
    {
        var error = Assert.Throws<InvalidDataException>(() => ModelFile.Load(path, expected));
        Assert.Contains(path, error.Message);
        Assert.Contains(problem, error.Message);
    }

    [Fact]
    public void A_round_trip_gives_back_the_same_bits()
    {
        var (path, parameters) = Saved();
        var (sizes, loaded) = ModelFile.Load(path);
        Assert.Equal(Sizes, sizes);
        Assert.Equal(parameters.Select(BitConverter.SingleToInt32Bits), loaded.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(8 + 4 + 4 + 4 + 4 * Sizes.Length + 8 + 4 * parameters.Length + 4, new FileInfo(path).Length);
    }

    [Fact]
    public void A_truncated_file_is_refused()
    {
        var (path, _) = Saved();
        byte[] bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^3]);
        AssertRefused(path, "truncated");
        File.WriteAllBytes(path, bytes[..30]);
        AssertRefused(path, "truncated");
    }

    [Fact]
    public void A_flipped_bit_is_caught_by_the_checksum()
    {
        var (path, _) = Saved();
        byte[] bytes = File.ReadAllBytes(path);
        bytes[60] ^= 0x10; // inside the parameters
        File.WriteAllBytes(path, bytes);
        AssertRefused(path, "checksum mismatch");
    }

    [Fact]
    public void Another_format_version_element_type_or_file_is_refused()
    {
        var (path, _) = Saved();
        byte[] bytes = File.ReadAllBytes(path);
        byte[] version = (byte[])bytes.Clone();
        version[8] = 2;
        File.WriteAllBytes(path, version);
        AssertRefused(path, "format version 2");
        byte[] element = (byte[])bytes.Clone();
        element[12] = 2;
        File.WriteAllBytes(path, element);
        AssertRefused(path, "element type 2");
        File.WriteAllText(path, "not a model at all, but long enough to have a header");
        AssertRefused(path, "not a model file");
    }

    [Fact]
    public void A_model_of_another_architecture_is_refused()
    {
        var (path, _) = Saved();
        AssertRefused(path, "architecture 6-5-4-3, but 6-8-3 was asked for", new[] { 6, 8, 3 });
    }

    [Fact]
    public void The_crc_is_the_standard_one()
    {
        // The check value of CRC-32/ISO-HDLC: CRC of the ASCII digits "123456789".
        Assert.Equal(0xCBF43926u, Crc32.Compute("123456789"u8));
    }
}
