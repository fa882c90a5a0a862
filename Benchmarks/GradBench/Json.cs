using System;
using System.Text.Json;

namespace Differentiable.GradBench
{
    /// <summary>Reading the evals' inputs into flat arrays and writing arrays back.</summary>
    public static class Json
    {
        public static double[] Doubles(JsonElement array)
        {
            var result = new double[array.GetArrayLength()];
            int i = 0;
            foreach (JsonElement e in array.EnumerateArray()) result[i++] = e.GetDouble();
            return result;
        }

        /// <summary>An array of arrays, row after row, into one flat array.</summary>
        public static double[] Flatten(JsonElement rows)
        {
            int total = 0;
            foreach (JsonElement row in rows.EnumerateArray()) total += row.GetArrayLength();
            var result = new double[total];
            int i = 0;
            foreach (JsonElement row in rows.EnumerateArray())
                foreach (JsonElement e in row.EnumerateArray()) result[i++] = e.GetDouble();
            return result;
        }

        public static void WriteArray(Utf8JsonWriter writer, ReadOnlySpan<double> values)
        {
            writer.WriteStartArray();
            foreach (double v in values) writer.WriteNumberValue(v);
            writer.WriteEndArray();
        }

        /// <summary>Writes <paramref name="values"/> as <paramref name="rows"/> arrays of equal length.</summary>
        public static void WriteRows(Utf8JsonWriter writer, ReadOnlySpan<double> values, int rows)
        {
            int width = rows == 0 ? 0 : values.Length / rows;
            writer.WriteStartArray();
            for (int r = 0; r < rows; r++) WriteArray(writer, values.Slice(r * width, width));
            writer.WriteEndArray();
        }
    }
}
