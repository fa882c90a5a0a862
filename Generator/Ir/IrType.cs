namespace Differentiable.Generator.Ir
{
    /// <summary>The type of an IR value. Only F64 and F32 values can carry a derivative.</summary>
    internal enum IrType
    {
        F64,
        F32,
        I32,
        I64,
        Bool,

        /// <summary>A buffer of doubles: a <c>Span</c>, <c>ReadOnlySpan</c> or array. Its elements are memory, read and written by Load and Store.</summary>
        BufF64,

        /// <summary>A buffer of floats.</summary>
        BufF32,

        /// <summary>A buffer of ints (labels, indices): always constant.</summary>
        BufI32,

        /// <summary>A constant of another type (an enum member, say) passed through to a call unchanged.</summary>
        Opaque,
    }

    internal static class IrTypeExtensions
    {
        public static bool IsFloating(this IrType type) => type == IrType.F64 || type == IrType.F32;

        public static bool IsBuffer(this IrType type) => type == IrType.BufF64 || type == IrType.BufF32 || type == IrType.BufI32;

        /// <summary>True for the types that can carry a derivative: floating scalars and floating buffers.</summary>
        public static bool IsDifferentiable(this IrType type) => type.IsFloating() || type == IrType.BufF64 || type == IrType.BufF32;

        /// <summary>The element type of a buffer.</summary>
        public static IrType Element(this IrType type) => type switch
        {
            IrType.BufF32 => IrType.F32,
            IrType.BufI32 => IrType.I32,
            _ => IrType.F64,
        };

        public static IrType BufferOf(this IrType element) => element == IrType.F32 ? IrType.BufF32 : IrType.BufF64;

        /// <summary>The C# keyword of the type (opaque values never need one: they are only used inline).</summary>
        public static string Keyword(this IrType type) => type switch
        {
            IrType.F64 => "double",
            IrType.F32 => "float",
            IrType.I32 => "int",
            IrType.I64 => "long",
            IrType.Bool => "bool",
            IrType.BufF64 => "global::System.Span<double>",
            IrType.BufF32 => "global::System.Span<float>",
            IrType.BufI32 => "global::System.Span<int>",
            _ => "object",
        };

        public static string Short(this IrType type) => type switch
        {
            IrType.F64 => "f64",
            IrType.F32 => "f32",
            IrType.I32 => "i32",
            IrType.I64 => "i64",
            IrType.Bool => "bool",
            IrType.BufF64 => "buf<f64>",
            IrType.BufF32 => "buf<f32>",
            IrType.BufI32 => "buf<i32>",
            _ => "opaque",
        };
    }
}
