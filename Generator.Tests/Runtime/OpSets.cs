using System.Numerics;

namespace Differentiable.Generator.Tests.Runtime;

/// <summary>
/// The <see cref="Ops"/> overloads of one precision behind one generic face, so each test is written once and runs for
/// <see cref="float"/> and <see cref="double"/>. Also the precision's tolerances and finite-difference step.
/// </summary>
public interface IOpSet<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Largest relative error of a forward result against the double-precision scalar reference.</summary>
    static abstract double ForwardTolerance { get; }

    /// <summary>Largest relative error of a Backward against finite differences (DESIGN.md: 1e-6 double, 1e-3 float).</summary>
    static abstract double GradientTolerance { get; }

    /// <summary>The finite-difference step: a power of two, so that test inputs (on a 2⁻¹² grid) ± step are exact.</summary>
    static abstract double Step { get; }

    /// <summary>
    /// True when errors against finite differences are measured relative to the gradient's largest component rather
    /// than to each component: a float loss carries rounding noise of about 1e-7·|L|, which the quotient of a tiny
    /// component would magnify past any useful tolerance.
    /// </summary>
    static abstract bool NormwiseGradientError { get; }

    static abstract T Dot(ReadOnlySpan<T> a, ReadOnlySpan<T> b);
    static abstract void DotBackward(ReadOnlySpan<T> a, ReadOnlySpan<T> b, T dResult, Span<T> dA, Span<T> dB);
    static abstract T Sum(ReadOnlySpan<T> x);
    static abstract void SumBackward(ReadOnlySpan<T> x, T dResult, Span<T> dX);
    static abstract void AddRowBias(Span<T> x, ReadOnlySpan<T> bias);
    static abstract void AddRowBiasBackward(Span<T> x, ReadOnlySpan<T> bias, Span<T> dX, Span<T> dBias);
    static abstract void Relu(ReadOnlySpan<T> x, Span<T> y);
    static abstract void ReluBackward(ReadOnlySpan<T> x, Span<T> y, Span<T> dX, Span<T> dY);
    static abstract void Sigmoid(ReadOnlySpan<T> x, Span<T> y);
    static abstract void SigmoidBackward(ReadOnlySpan<T> x, Span<T> y, Span<T> dX, Span<T> dY);
    static abstract void Tanh(ReadOnlySpan<T> x, Span<T> y);
    static abstract void TanhBackward(ReadOnlySpan<T> x, Span<T> y, Span<T> dX, Span<T> dY);
    static abstract void Softmax(ReadOnlySpan<T> x, Span<T> y, int cols);
    static abstract void SoftmaxBackward(ReadOnlySpan<T> x, Span<T> y, int cols, Span<T> dX, Span<T> dY);
    static abstract T LogSumExp(ReadOnlySpan<T> x);
    static abstract void LogSumExpBackward(ReadOnlySpan<T> x, T dResult, Span<T> dX);
    static abstract T SoftmaxCrossEntropy(ReadOnlySpan<T> logits, ReadOnlySpan<int> labels, int classes);
    static abstract void SoftmaxCrossEntropyBackward(ReadOnlySpan<T> logits, ReadOnlySpan<int> labels, int classes, T dResult, Span<T> dLogits);
    static abstract T MeanSquaredError(ReadOnlySpan<T> prediction, ReadOnlySpan<T> target);
    static abstract void MeanSquaredErrorBackward(ReadOnlySpan<T> prediction, ReadOnlySpan<T> target, T dResult, Span<T> dPrediction, Span<T> dTarget);
}

/// <summary><see cref="Ops"/> in single precision.</summary>
public readonly struct FloatOps : IOpSet<float>
{
    public static double ForwardTolerance => 1e-5;
    public static double GradientTolerance => 1e-3;
    public static double Step => 1.0 / 8;
    public static bool NormwiseGradientError => true;

    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => Ops.Dot(a, b);
    public static void DotBackward(ReadOnlySpan<float> a, ReadOnlySpan<float> b, float dResult, Span<float> dA, Span<float> dB) => Ops.DotBackward(a, b, dResult, dA, dB);
    public static float Sum(ReadOnlySpan<float> x) => Ops.Sum(x);
    public static void SumBackward(ReadOnlySpan<float> x, float dResult, Span<float> dX) => Ops.SumBackward(x, dResult, dX);
    public static void AddRowBias(Span<float> x, ReadOnlySpan<float> bias) => Ops.AddRowBias(x, bias);
    public static void AddRowBiasBackward(Span<float> x, ReadOnlySpan<float> bias, Span<float> dX, Span<float> dBias) => Ops.AddRowBiasBackward(x, bias, dX, dBias);
    public static void Relu(ReadOnlySpan<float> x, Span<float> y) => Ops.Relu(x, y);
    public static void ReluBackward(ReadOnlySpan<float> x, Span<float> y, Span<float> dX, Span<float> dY) => Ops.ReluBackward(x, y, dX, dY);
    public static void Sigmoid(ReadOnlySpan<float> x, Span<float> y) => Ops.Sigmoid(x, y);
    public static void SigmoidBackward(ReadOnlySpan<float> x, Span<float> y, Span<float> dX, Span<float> dY) => Ops.SigmoidBackward(x, y, dX, dY);
    public static void Tanh(ReadOnlySpan<float> x, Span<float> y) => Ops.Tanh(x, y);
    public static void TanhBackward(ReadOnlySpan<float> x, Span<float> y, Span<float> dX, Span<float> dY) => Ops.TanhBackward(x, y, dX, dY);
    public static void Softmax(ReadOnlySpan<float> x, Span<float> y, int cols) => Ops.Softmax(x, y, cols);
    public static void SoftmaxBackward(ReadOnlySpan<float> x, Span<float> y, int cols, Span<float> dX, Span<float> dY) => Ops.SoftmaxBackward(x, y, cols, dX, dY);
    public static float LogSumExp(ReadOnlySpan<float> x) => Ops.LogSumExp(x);
    public static void LogSumExpBackward(ReadOnlySpan<float> x, float dResult, Span<float> dX) => Ops.LogSumExpBackward(x, dResult, dX);
    public static float SoftmaxCrossEntropy(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int classes) => Ops.SoftmaxCrossEntropy(logits, labels, classes);
    public static void SoftmaxCrossEntropyBackward(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int classes, float dResult, Span<float> dLogits) => Ops.SoftmaxCrossEntropyBackward(logits, labels, classes, dResult, dLogits);
    public static float MeanSquaredError(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target) => Ops.MeanSquaredError(prediction, target);
    public static void MeanSquaredErrorBackward(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target, float dResult, Span<float> dPrediction, Span<float> dTarget) => Ops.MeanSquaredErrorBackward(prediction, target, dResult, dPrediction, dTarget);
}

/// <summary><see cref="Ops"/> in double precision.</summary>
public readonly struct DoubleOps : IOpSet<double>
{
    public static double ForwardTolerance => 1e-12;
    public static double GradientTolerance => 1e-6;
    public static double Step => 1.0 / 1024;
    public static bool NormwiseGradientError => false;

    public static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b) => Ops.Dot(a, b);
    public static void DotBackward(ReadOnlySpan<double> a, ReadOnlySpan<double> b, double dResult, Span<double> dA, Span<double> dB) => Ops.DotBackward(a, b, dResult, dA, dB);
    public static double Sum(ReadOnlySpan<double> x) => Ops.Sum(x);
    public static void SumBackward(ReadOnlySpan<double> x, double dResult, Span<double> dX) => Ops.SumBackward(x, dResult, dX);
    public static void AddRowBias(Span<double> x, ReadOnlySpan<double> bias) => Ops.AddRowBias(x, bias);
    public static void AddRowBiasBackward(Span<double> x, ReadOnlySpan<double> bias, Span<double> dX, Span<double> dBias) => Ops.AddRowBiasBackward(x, bias, dX, dBias);
    public static void Relu(ReadOnlySpan<double> x, Span<double> y) => Ops.Relu(x, y);
    public static void ReluBackward(ReadOnlySpan<double> x, Span<double> y, Span<double> dX, Span<double> dY) => Ops.ReluBackward(x, y, dX, dY);
    public static void Sigmoid(ReadOnlySpan<double> x, Span<double> y) => Ops.Sigmoid(x, y);
    public static void SigmoidBackward(ReadOnlySpan<double> x, Span<double> y, Span<double> dX, Span<double> dY) => Ops.SigmoidBackward(x, y, dX, dY);
    public static void Tanh(ReadOnlySpan<double> x, Span<double> y) => Ops.Tanh(x, y);
    public static void TanhBackward(ReadOnlySpan<double> x, Span<double> y, Span<double> dX, Span<double> dY) => Ops.TanhBackward(x, y, dX, dY);
    public static void Softmax(ReadOnlySpan<double> x, Span<double> y, int cols) => Ops.Softmax(x, y, cols);
    public static void SoftmaxBackward(ReadOnlySpan<double> x, Span<double> y, int cols, Span<double> dX, Span<double> dY) => Ops.SoftmaxBackward(x, y, cols, dX, dY);
    public static double LogSumExp(ReadOnlySpan<double> x) => Ops.LogSumExp(x);
    public static void LogSumExpBackward(ReadOnlySpan<double> x, double dResult, Span<double> dX) => Ops.LogSumExpBackward(x, dResult, dX);
    public static double SoftmaxCrossEntropy(ReadOnlySpan<double> logits, ReadOnlySpan<int> labels, int classes) => Ops.SoftmaxCrossEntropy(logits, labels, classes);
    public static void SoftmaxCrossEntropyBackward(ReadOnlySpan<double> logits, ReadOnlySpan<int> labels, int classes, double dResult, Span<double> dLogits) => Ops.SoftmaxCrossEntropyBackward(logits, labels, classes, dResult, dLogits);
    public static double MeanSquaredError(ReadOnlySpan<double> prediction, ReadOnlySpan<double> target) => Ops.MeanSquaredError(prediction, target);
    public static void MeanSquaredErrorBackward(ReadOnlySpan<double> prediction, ReadOnlySpan<double> target, double dResult, Span<double> dPrediction, Span<double> dTarget) => Ops.MeanSquaredErrorBackward(prediction, target, dResult, dPrediction, dTarget);
}
