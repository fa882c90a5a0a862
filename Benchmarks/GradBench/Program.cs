using System;
using System.Diagnostics;
using System.IO;
using System.Text;
using System.Text.Json;

namespace Differentiable.GradBench
{
    /// <summary>
    /// A GradBench tool: reads one JSON message a line on stdin (<c>start</c>, <c>define</c>, <c>evaluate</c>,
    /// <c>analysis</c>) and answers each with one line on stdout carrying the same <c>id</c>. An <c>evaluate</c>
    /// parses its input (untimed), runs the function once untimed (warm-up), then at least <c>min_runs</c> times
    /// and until <c>min_seconds</c> have passed, reporting one <c>evaluate</c> timing per run.
    /// </summary>
    public static class Program
    {
        public static int Main(string[] args)
        {
            using var input = new StreamReader(Console.OpenStandardInput(), new UTF8Encoding(false));
            using var output = Console.OpenStandardOutput();
            string? line;
            while ((line = input.ReadLine()) != null)
            {
                if (line.Length == 0) continue;
                using var message = JsonDocument.Parse(line);
                byte[] response = Respond(message.RootElement);
                output.Write(response);
                output.WriteByte((byte)'\n');
                output.Flush();
            }
            return 0;
        }

        /// <summary>The response line (without its newline) to one message.</summary>
        public static byte[] Respond(JsonElement message)
        {
            var buffer = new MemoryStream();
            using (var w = new Utf8JsonWriter(buffer))
            {
                w.WriteStartObject();
                w.WriteNumber("id", message.GetProperty("id").GetInt64());
                switch (message.GetProperty("kind").GetString())
                {
                    case "start":
                        w.WriteString("tool", "differentiable");
                        break;
                    case "define":
                        string module = message.GetProperty("module").GetString()!;
                        bool known = Modules.IsKnown(module);
                        w.WriteBoolean("success", known);
                        if (!known) w.WriteString("error", $"module '{module}' is not implemented");
                        break;
                    case "evaluate":
                        Evaluate(message, w);
                        break;
                }
                w.WriteEndObject();
            }
            return buffer.ToArray();
        }

        private static void Evaluate(JsonElement message, Utf8JsonWriter w)
        {
            string module = message.GetProperty("module").GetString()!;
            string function = message.GetProperty("function").GetString()!;
            JsonElement input = message.GetProperty("input");
            bool hasRuns = input.ValueKind == JsonValueKind.Object;
            int minRuns = hasRuns && input.TryGetProperty("min_runs", out JsonElement r) ? r.GetInt32() : 1;
            double minSeconds = hasRuns && input.TryGetProperty("min_seconds", out JsonElement s) ? s.GetDouble() : 0;

            long prepare = Stopwatch.GetTimestamp();
            var times = new System.Collections.Generic.List<long>();
            Evaluation evaluation;
            long prepareNanoseconds;
            try
            {
                evaluation = Modules.Prepare(module, function, input);
                prepareNanoseconds = Nanoseconds(Stopwatch.GetTimestamp() - prepare);
                evaluation.Run(); // warm-up, untimed
                double elapsed = 0;
                for (int i = 0; i < minRuns || elapsed < minSeconds; i++)
                {
                    long start = Stopwatch.GetTimestamp();
                    evaluation.Run();
                    long ns = Nanoseconds(Stopwatch.GetTimestamp() - start);
                    times.Add(ns);
                    elapsed += ns / 1e9;
                }
            }
            catch (Exception e)
            {
                w.WriteBoolean("success", false);
                w.WriteString("error", e.ToString());
                return;
            }

            w.WriteBoolean("success", true);
            w.WritePropertyName("output");
            evaluation.WriteOutput(w);
            w.WriteStartArray("timings");
            WriteTiming(w, "prepare", prepareNanoseconds);
            foreach (long t in times) WriteTiming(w, "evaluate", t);
            w.WriteEndArray();
        }

        private static long Nanoseconds(long ticks) => (long)(ticks * (1e9 / Stopwatch.Frequency));

        private static void WriteTiming(Utf8JsonWriter w, string name, long nanoseconds)
        {
            w.WriteStartObject();
            w.WriteString("name", name);
            w.WriteNumber("nanoseconds", nanoseconds);
            w.WriteEndObject();
        }
    }
}
