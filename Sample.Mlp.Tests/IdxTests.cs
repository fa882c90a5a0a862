using System.IO.Compression;

namespace Sample.Mlp.Tests;

/// <summary>The IDX loader: good files (raw and gzip), and truncated, corrupted and mismatched ones refused with the file and the problem named.</summary>
public class IdxTests
{
    private static byte[] ImageFile(int count, int rows, int columns, Func<int, byte> pixel)
    {
        var data = new byte[16 + count * rows * columns];
        WriteBigEndian(data, 0, Idx.ImageMagic);
        WriteBigEndian(data, 4, count);
        WriteBigEndian(data, 8, rows);
        WriteBigEndian(data, 12, columns);
        for (int i = 16; i < data.Length; i++) data[i] = pixel(i - 16);
        return data;
    }

    private static byte[] LabelFile(params byte[] labels)
    {
        var data = new byte[8 + labels.Length];
        WriteBigEndian(data, 0, Idx.LabelMagic);
        WriteBigEndian(data, 4, labels.Length);
        labels.CopyTo(data, 8);
        return data;
    }

    private static void WriteBigEndian(byte[] data, int at, int value)
    {
        data[at] = (byte)(value >> 24);
        data[at + 1] = (byte)(value >> 16);
        data[at + 2] = (byte)(value >> 8);
        data[at + 3] = (byte)value;
    }

    private static byte[] Gzip(byte[] data)
    {
        var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true)) gzip.Write(data);
        return output.ToArray();
    }

    private static InvalidDataException Refused(Action read, string name, string problem)
    {
        var error = Assert.Throws<InvalidDataException>(read);
        Assert.Contains(name, error.Message);
        Assert.Contains(problem, error.Message);
        return error;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_good_file_reads_back_exactly(bool compressed)
    {
        byte[] images = ImageFile(3, 2, 4, i => (byte)(i * 7));
        byte[] labels = LabelFile(0, 9, 4);
        if (compressed)
        {
            images = Gzip(images);
            labels = Gzip(labels);
        }
        var read = Idx.ReadImages(new MemoryStream(images), "images");
        Assert.Equal((3, 2, 4), (read.Count, read.Rows, read.Columns));
        Assert.Equal(Enumerable.Range(0, 24).Select(i => (byte)(i * 7)), read.Pixels);
        Assert.Equal(new byte[] { 0, 9, 4 }, Idx.ReadLabels(new MemoryStream(labels), "labels", 10));

        var set = DataSet.From(read, new byte[] { 0, 9, 4 }, "images", "labels");
        Assert.Equal(8, set.FeatureCount);
        Assert.Equal(7 * 5 / 255f, set.Features[5]); // pixel 5 is 35: scaled to [0, 1]
    }

    [Fact]
    public void The_embedded_subset_and_the_debian_files_share_the_format()
    {
        var source = Shared.Embedded;
        Assert.Equal((6000, 1000, 784), (source.Train.Count, source.Test.Count, source.Train.FeatureCount));
        Assert.All(source.Train.Labels, l => Assert.InRange(l, 0, 9));
        Assert.Equal(9, source.Train.Labels[0]); // Fashion-MNIST's first training image is an ankle boot (class 9)
    }

    [Fact]
    public void A_truncated_file_is_refused()
    {
        byte[] images = ImageFile(3, 2, 4, i => 1);
        Refused(() => Idx.ReadImages(new MemoryStream(images[..^5]), "cut.idx"), "cut.idx", "truncated");
        Refused(() => Idx.ReadImages(new MemoryStream(images[..10]), "header.idx"), "header.idx", "too short");
        byte[] gz = Gzip(images);
        Refused(() => Idx.ReadImages(new MemoryStream(gz[..(gz.Length / 2)]), "cut.gz"), "cut.gz", "not a valid IDX file");
    }

    [Fact]
    public void Extra_bytes_are_refused()
    {
        byte[] labels = LabelFile(1, 2, 3).Concat(new byte[] { 5 }).ToArray();
        Refused(() => Idx.ReadLabels(new MemoryStream(labels), "long.idx", 10), "long.idx", "1 bytes after");
    }

    [Fact]
    public void A_corrupted_file_is_refused()
    {
        byte[] images = ImageFile(3, 2, 4, i => 1);
        images[3] = 0x05;
        Refused(() => Idx.ReadImages(new MemoryStream(images), "magic.idx"), "magic.idx", "magic number 0x00000805");

        byte[] gz = Gzip(ImageFile(50, 28, 28, i => (byte)i));
        for (int i = 20; i < gz.Length - 8; i += 3) gz[i] ^= 0x5A;
        Refused(() => Idx.ReadImages(new MemoryStream(gz), "noise.gz"), "noise.gz", "not a valid IDX file");
    }

    [Fact]
    public void Labels_and_images_swapped_or_out_of_range_are_refused()
    {
        Refused(() => Idx.ReadImages(new MemoryStream(LabelFile(1, 2, 3, 4, 5, 6, 7, 8, 9)), "labels.idx"), "labels.idx", "a file of labels?");
        Refused(() => Idx.ReadLabels(new MemoryStream(LabelFile(1, 10, 2)), "range.idx", 10), "range.idx", "label 1 is 10");
        var images = Idx.ReadImages(new MemoryStream(ImageFile(3, 1, 1, i => 0)), "images.idx");
        Refused(() => DataSet.From(images, new byte[] { 1, 2 }, "images.idx", "labels.idx"), "images.idx holds 3 images", "labels.idx holds 2 labels");
    }

    [Fact]
    public void A_directory_missing_a_file_is_refused_with_its_name()
    {
        string directory = Shared.TemporaryDirectory();
        File.WriteAllBytes(Path.Combine(directory, "train-images-idx3-ubyte"), ImageFile(2, 2, 2, i => 0));
        var error = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(directory));
        Assert.Contains("train-labels-idx1-ubyte", error.Message);
    }
}
