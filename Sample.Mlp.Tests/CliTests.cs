using System.Text.Json;

namespace Sample.Mlp.Tests;

/// <summary>The command line: bad arguments are exit code 2 with a message; save, load and evaluate; the summary.</summary>
public class CliTests
{
    [Theory]
    [InlineData("--epochs", "many")]
    [InlineData("--optimizer", "rmsprop")]
    [InlineData("--hidden", "128,x")]
    [InlineData("--hidden", "0")]
    [InlineData("--batch", "0")]
    [InlineData("--lr", "-1")]
    [InlineData("--threads", "0")]
    [InlineData("--data", "/no/such/directory")]
    [InlineData("--load", "/no/such/model.bin")]
    [InlineData("--frobnicate", "1")]
    [InlineData("--save", "/no/such/directory/model.bin")]
    [InlineData("--summary", "/no/such/directory/run.json")]
    public void A_bad_argument_is_exit_code_2_with_a_message_naming_it(string option, string value)
    {
        var (code, _, error) = Shared.RunCli(option, value);
        Assert.Equal(2, code);
        Assert.Contains(option == "--frobnicate" ? "--frobnicate" : value, error);
    }

    [Fact]
    public void Evaluating_needs_a_model()
    {
        var (code, _, error) = Shared.RunCli("--epochs", "0");
        Assert.Equal(2, code);
        Assert.Contains("--load", error);
    }

    [Fact]
    public void Help_states_the_options_and_defaults()
    {
        var (code, output, _) = Shared.RunCli("--help");
        Assert.Equal(0, code);
        foreach (string option in new[] { "--data", "--epochs", "--batch", "--lr", "--optimizer", "--hidden", "--threads", "--seed", "--save", "--load", "--summary", "--plot" })
            Assert.Contains(option, output);
        Assert.Contains("--optimizer adam --lr 0.001 --epochs 10 --batch 64", output);
    }

    [Fact]
    public void Train_save_load_and_evaluate_give_the_same_accuracy()
    {
        string directory = Shared.TemporaryDirectory();
        string model = Path.Combine(directory, "model.bin"), trained = Path.Combine(directory, "trained.json"), evaluated = Path.Combine(directory, "evaluated.json");
        var (code, output, error) = Shared.RunCli("--data", "embedded", "--epochs", "1", "--hidden", "32", "--threads", "2", "--save", model, "--summary", trained, "--plot", "none");
        Assert.True(code == 0, error);
        Assert.Contains("embedded Fashion-MNIST subset", output);
        Assert.Contains("Gradient check: worst relative error", output);

        (code, output, error) = Shared.RunCli("--data", "embedded", "--load", model, "--epochs", "0", "--summary", evaluated);
        Assert.True(code == 0, error);
        Assert.Contains("784-32-10 loaded", output);

        using var first = JsonDocument.Parse(File.ReadAllText(trained));
        using var second = JsonDocument.Parse(File.ReadAllText(evaluated));
        Assert.Equal(first.RootElement.GetProperty("test_accuracy").GetDouble(), second.RootElement.GetProperty("test_accuracy").GetDouble());
        Assert.Equal(1, first.RootElement.GetProperty("epochs").GetInt32());
        Assert.Equal(1, first.RootElement.GetProperty("epoch_seconds").GetArrayLength());
        Assert.Equal(64, first.RootElement.GetProperty("batch").GetInt32());
        Assert.Equal(2, first.RootElement.GetProperty("threads").GetInt32());
        Assert.Equal("adam", first.RootElement.GetProperty("optimizer").GetString());
        Assert.Equal("embedded", first.RootElement.GetProperty("data").GetString());
        Assert.Equal(0, second.RootElement.GetProperty("epochs").GetInt32());
    }

    [Fact]
    public void A_corrupted_or_mismatched_model_is_refused_and_nothing_is_overwritten()
    {
        string directory = Shared.TemporaryDirectory();
        string model = Path.Combine(directory, "model.bin"), output = Path.Combine(directory, "out.bin");
        int[] sizes = { 784, 16, 10 };
        var parameters = new float[Mlp.ParameterCount(sizes)];
        Mlp.Initialize(parameters, sizes, 1);
        ModelFile.Save(model, sizes, parameters);
        File.WriteAllText(output, "keep me");

        var (code, _, error) = Shared.RunCli("--data", "embedded", "--load", model, "--hidden", "32", "--epochs", "1", "--save", output);
        Assert.Equal(1, code);
        Assert.Contains("architecture 784-16-10, but 784-32-10 was asked for", error);

        byte[] bytes = File.ReadAllBytes(model);
        bytes[100] ^= 1;
        File.WriteAllBytes(model, bytes);
        (code, _, error) = Shared.RunCli("--data", "embedded", "--load", model, "--epochs", "1", "--save", output);
        Assert.Equal(1, code);
        Assert.Contains("checksum mismatch", error);
        Assert.Equal("keep me", File.ReadAllText(output));
    }
}
