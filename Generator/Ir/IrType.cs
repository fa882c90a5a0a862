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

        /// <summary>A constant of another type (an enum member, say) passed through to a call unchanged.</summary>
        Opaque,
    }

    internal static class IrTypeExtensions
    {
        public static bool IsFloating(this IrType type) => type == IrType.F64 || type == IrType.F32;

        /// <summary>The C# keyword of the type (opaque values never need one: they are only used inline).</summary>
        public static string Keyword(this IrType type) => type switch
        {
            IrType.F64 => "double",
            IrType.F32 => "float",
            IrType.I32 => "int",
            IrType.I64 => "long",
            IrType.Bool => "bool",
            _ => "object",
        };

        public static string Short(this IrType type) => type switch
        {
            IrType.F64 => "f64",
            IrType.F32 => "f32",
            IrType.I32 => "i32",
            IrType.I64 => "i64",
            IrType.Bool => "bool",
            _ => "opaque",
        };
    }
}
