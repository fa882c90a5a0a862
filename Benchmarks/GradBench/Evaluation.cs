using System.Text.Json;

namespace Differentiable.GradBench
{
    /// <summary>
    /// One prepared evaluation: the input parsed into flat arrays, the output buffers allocated. <see cref="Run"/>
    /// is what is timed; it computes into the buffers <see cref="WriteOutput"/> then writes as the eval's JSON.
    /// </summary>
    public abstract class Evaluation
    {
        public abstract void Run();

        public abstract void WriteOutput(Utf8JsonWriter writer);
    }

    /// <summary>An evaluation whose output is one number.</summary>
    public sealed class ScalarEvaluation : Evaluation
    {
        private readonly System.Func<double> _compute;
        public double Result { get; private set; }

        public ScalarEvaluation(System.Func<double> compute) => _compute = compute;

        public override void Run() => Result = _compute();

        public override void WriteOutput(Utf8JsonWriter writer) => writer.WriteNumberValue(Result);
    }

    /// <summary>An evaluation whose output is one flat array of numbers.</summary>
    public sealed class VectorEvaluation : Evaluation
    {
        private readonly System.Action<double[]> _compute;
        public double[] Result { get; }

        public VectorEvaluation(int length, System.Action<double[]> compute)
        {
            Result = new double[length];
            _compute = compute;
        }

        public override void Run() => _compute(Result);

        public override void WriteOutput(Utf8JsonWriter writer) => Json.WriteArray(writer, Result);
    }
}
