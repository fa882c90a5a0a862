using System;

namespace Differentiable
{
    /// <summary>
    /// Marks a static method of a partial type for differentiation. The source generator writes
    /// <c>{Method}Gradient</c> (for methods returning <see cref="double"/> or <see cref="float"/>) and
    /// <c>{Method}Backward</c> next to it, in the same type, with the method's accessibility.
    /// </summary>
    [AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
    public sealed class DifferentiableAttribute : Attribute
    {
    }

    /// <summary>
    /// Makes a parameter of a <see cref="DifferentiableAttribute"/> method constant: it gets no adjoint
    /// and no derivative flows into it.
    /// </summary>
    [AttributeUsage(AttributeTargets.Parameter, AllowMultiple = false, Inherited = false)]
    public sealed class NoDiffAttribute : Attribute
    {
    }

    /// <summary>
    /// Registers the annotated static method as the <c>Backward</c> (adjoint) of another method, for code
    /// the generator cannot or should not see. The annotated method must have the <c>Backward</c>
    /// signature of the target method.
    /// </summary>
    [AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
    public sealed class DerivativeOfAttribute : Attribute
    {
        /// <summary>Registers a derivative for <paramref name="methodName"/> declared in <paramref name="owner"/>.</summary>
        public DerivativeOfAttribute(Type owner, string methodName)
        {
            Owner = owner;
            MethodName = methodName;
        }

        /// <summary>The type that declares the differentiated method.</summary>
        public Type Owner { get; }

        /// <summary>The name of the differentiated method.</summary>
        public string MethodName { get; }
    }
}
