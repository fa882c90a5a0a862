using System;
using System.Text.Json;

namespace Differentiable.GradBench
{
    /// <summary>
    /// GradBench's <c>ba</c> (from ADBench): bundle adjustment residuals. Camera parameters (11 each): Rodrigues
    /// rotation (0–2), centre (3–5), focal length (6), principal point (7–8), radial distortion (9–10). For an
    /// observation of point X by a camera, with weight w and feature f:
    /// <code>
    /// X' = R(rot)·(X − C)       (Rodrigues' formula; the first-order X + rot × X at rot = 0)
    /// p = (X'₀/X'₂, X'₁/X'₂)·(1 + κ₁‖p‖² + κ₂‖p‖⁴)
    /// err = w·(p·focal + principal − f)           w_err = 1 − w²
    /// </code>
    /// The jacobian is sparse: each observation's two rows have 15 entries (its camera, its point, its weight),
    /// each weight row one. The eval's input repeats one camera, point, weight and feature, and its output shows
    /// the first observation's block and the last entry; the whole matrix is computed all the same.
    /// </summary>
    public static partial class BundleAdjustment
    {
        public const int CameraParameters = 11;

        /// <summary>The two reprojection residuals of one observation, into <paramref name="err"/>.</summary>
        [Differentiable]
        public static void Reprojection(ReadOnlySpan<double> cam, ReadOnlySpan<double> point, double w,
            [NoDiff] ReadOnlySpan<double> feat, Span<double> err)
        {
            double p0 = point[0] - cam[3];
            double p1 = point[1] - cam[4];
            double p2 = point[2] - cam[5];
            double r0 = cam[0], r1 = cam[1], r2 = cam[2];
            double squaredAngle = r0 * r0 + r1 * r1 + r2 * r2;
            double x, y, z;
            if (squaredAngle != 0)
            {
                // Rodrigues: p·cos θ + (ω × p)·sin θ + ω·(ω·p)(1 − cos θ), with ω the unit axis.
                double theta = Math.Sqrt(squaredAngle);
                double cos = Math.Cos(theta);
                double sin = Math.Sin(theta);
                double w0 = r0 / theta, w1 = r1 / theta, w2 = r2 / theta;
                double along = (w0 * p0 + w1 * p1 + w2 * p2) * (1 - cos);
                x = p0 * cos + (w1 * p2 - w2 * p1) * sin + w0 * along;
                y = p1 * cos + (w2 * p0 - w0 * p2) * sin + w1 * along;
                z = p2 * cos + (w0 * p1 - w1 * p0) * sin + w2 * along;
            }
            else
            {
                x = p0 + (r1 * p2 - r2 * p1);
                y = p1 + (r2 * p0 - r0 * p2);
                z = p2 + (r0 * p1 - r1 * p0);
            }
            double u = x / z;
            double v = y / z;
            double radius = u * u + v * v;
            double distortion = 1 + cam[9] * radius + cam[10] * radius * radius;
            err[0] = w * (u * distortion * cam[6] + cam[7] - feat[0]);
            err[1] = w * (v * distortion * cam[6] + cam[8] - feat[1]);
        }

        [Differentiable]
        public static double WeightError(double w) => 1 - w * w;

        public sealed class Input
        {
            public int N, M, P;
            public double[] Cams = [], Points = [], Weights = [], Features = [];
            public int[] Observations = [];

            public static Input Parse(JsonElement j)
            {
                var input = new Input
                {
                    N = j.GetProperty("n").GetInt32(),
                    M = j.GetProperty("m").GetInt32(),
                    P = j.GetProperty("p").GetInt32(),
                };
                double[] cam = Json.Doubles(j.GetProperty("cam"));
                double[] x = Json.Doubles(j.GetProperty("x"));
                double w = j.GetProperty("w").GetDouble();
                double[] feat = Json.Doubles(j.GetProperty("feat"));
                input.Cams = new double[CameraParameters * input.N];
                for (int i = 0; i < input.N; i++) cam.CopyTo(input.Cams, i * CameraParameters);
                input.Points = new double[3 * input.M];
                for (int i = 0; i < input.M; i++) x.CopyTo(input.Points, i * 3);
                input.Weights = new double[input.P];
                Array.Fill(input.Weights, w);
                input.Features = new double[2 * input.P];
                input.Observations = new int[2 * input.P];
                for (int i = 0; i < input.P; i++)
                {
                    feat.CopyTo(input.Features, 2 * i);
                    input.Observations[2 * i] = i % input.N;
                    input.Observations[2 * i + 1] = i % input.M;
                }
                return input;
            }

            public void Objective(Span<double> reprojection, Span<double> weightErrors)
            {
                for (int i = 0; i < P; i++)
                {
                    Reprojection(Cams.AsSpan(Observations[2 * i] * CameraParameters, CameraParameters),
                        Points.AsSpan(Observations[2 * i + 1] * 3, 3), Weights[i], Features.AsSpan(2 * i, 2),
                        reprojection.Slice(2 * i, 2));
                }
                for (int i = 0; i < P; i++) weightErrors[i] = WeightError(Weights[i]);
            }

            /// <summary>
            /// The jacobian in compressed sparse rows, as GradBench lays it out: for each observation two rows of 15 (camera,
            /// point, weight columns) from the generated <c>ReprojectionJacobian</c> (one forward sweep of
            /// <see cref="Reprojection"/>, one reverse sweep per residual); then one row per weight.
            /// </summary>
            public void Jacobian(Span<int> rows, Span<int> cols, Span<double> vals)
            {
                Span<double> err = stackalloc double[2];
                Span<double> jCam = stackalloc double[2 * CameraParameters];
                Span<double> jPoint = stackalloc double[2 * 3];
                Span<double> jW = stackalloc double[2];
                int pointOffset = CameraParameters * N, weightOffset = pointOffset + 3 * M;
                int entry = 0;
                rows[0] = 0;
                for (int i = 0; i < P; i++)
                {
                    int camera = Observations[2 * i], point = Observations[2 * i + 1];
                    ReprojectionJacobian(Cams.AsSpan(camera * CameraParameters, CameraParameters), Points.AsSpan(point * 3, 3), Weights[i],
                        Features.AsSpan(2 * i, 2), err, jCam, jPoint, jW);
                    for (int output = 0; output < 2; output++)
                    {
                        for (int c = 0; c < CameraParameters; c++)
                        {
                            cols[entry] = CameraParameters * camera + c;
                            vals[entry++] = jCam[output * CameraParameters + c];
                        }
                        for (int c = 0; c < 3; c++)
                        {
                            cols[entry] = pointOffset + 3 * point + c;
                            vals[entry++] = jPoint[output * 3 + c];
                        }
                        cols[entry] = weightOffset + i;
                        vals[entry++] = jW[output];
                        rows[2 * i + output + 1] = entry;
                    }
                }
                for (int i = 0; i < P; i++)
                {
                    WeightErrorGradient(Weights[i], out double dW);
                    cols[entry] = weightOffset + i;
                    vals[entry++] = dW;
                    rows[2 * P + i + 1] = entry;
                }
            }
        }

        private sealed class ObjectiveEvaluation(Input input) : Evaluation
        {
            private readonly double[] _reprojection = new double[2 * input.P], _weights = new double[input.P];

            public override void Run() => input.Objective(_reprojection, _weights);

            public override void WriteOutput(Utf8JsonWriter w)
            {
                w.WriteStartObject();
                w.WriteStartObject("reproj_error");
                w.WritePropertyName("elements");
                Json.WriteArray(w, _reprojection.AsSpan(0, 2));
                w.WriteNumber("repeated", input.P);
                w.WriteEndObject();
                w.WriteStartObject("w_err");
                w.WriteNumber("element", _weights[0]);
                w.WriteNumber("repeated", input.P);
                w.WriteEndObject();
                w.WriteEndObject();
            }
        }

        private sealed class JacobianEvaluation(Input input) : Evaluation
        {
            private const int Block = 2 * (CameraParameters + 4);
            private readonly int[] _rows = new int[3 * input.P + 1], _cols = new int[Block * input.P + input.P];
            private readonly double[] _vals = new double[Block * input.P + input.P];

            public override void Run() => input.Jacobian(_rows, _cols, _vals);

            /// <summary>GradBench's abbreviation: the first 30 entries of each array and the last one.</summary>
            public override void WriteOutput(Utf8JsonWriter w)
            {
                w.WriteStartObject();
                w.WriteStartArray("rows");
                for (int i = 0; i < Block; i++) w.WriteNumberValue(_rows[i]);
                w.WriteNumberValue(_rows[^1]);
                w.WriteEndArray();
                w.WriteStartArray("cols");
                for (int i = 0; i < Block; i++) w.WriteNumberValue(_cols[i]);
                w.WriteNumberValue(_cols[^1]);
                w.WriteEndArray();
                w.WriteStartArray("vals");
                for (int i = 0; i < Block; i++) w.WriteNumberValue(_vals[i]);
                w.WriteNumberValue(_vals[^1]);
                w.WriteEndArray();
                w.WriteEndObject();
            }
        }

        public static Evaluation Prepare(string function, JsonElement json)
        {
            Input input = Input.Parse(json);
            return function switch
            {
                "objective" => new ObjectiveEvaluation(input),
                "jacobian" => new JacobianEvaluation(input),
                _ => throw Modules.UnknownFunction("ba", function),
            };
        }
    }
}
