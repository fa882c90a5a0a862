using System;

namespace Differentiable
{
    // Activity variants of the matrix products' Backwards. When a generated Backward passes a constant matrix (the
    // input batch x of a layer, say) to a product, the generator calls {Rule}Constant{P}, found by name next to
    // the rule: no adjoint is taken for P and its product is skipped. Same contract as the full Backward otherwise.
#pragma warning disable CS1591 // Ops's summary is on its element-wise part (Ops.cs).
    public static partial class Ops
#pragma warning restore CS1591
    {
        /// <summary>
        /// <see cref="MatMulBackward(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int, Span{float}, Span{float}, Span{float})"/> with <paramref name="a"/> constant: only <c>dB</c> is accumulated (the product for
        /// <c>dA</c> is skipped); <c>c = a·b</c> is computed and <paramref name="dC"/> is cleared.
        /// </summary>
        /// <param name="a">The left matrix (no adjoint).</param>
        /// <param name="b">The right matrix.</param>
        /// <param name="c">Receives the product.</param>
        /// <param name="m">Rows of c.</param>
        /// <param name="k">The inner dimension.</param>
        /// <param name="n">Columns of c.</param>
        /// <param name="dB">Adjoint of <paramref name="b"/>, accumulated.</param>
        /// <param name="dC">The seed; cleared on exit.</param>
        public static void MatMulBackwardConstantA(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n,
            Span<float> dB, Span<float> dC)
            => Products<float>.MatMulBackward(a, b, c, m, k, n, Span<float>.Empty, dB, dC, withA: false);

        /// <summary>
        /// <see cref="MatMulBackward(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int, Span{float}, Span{float}, Span{float})"/> with <paramref name="b"/> constant: only <c>dA</c> is accumulated (the product for
        /// <c>dB</c> is skipped); <c>c = a·b</c> is computed and <paramref name="dC"/> is cleared.
        /// </summary>
        /// <param name="a">The left matrix.</param>
        /// <param name="b">The right matrix (no adjoint).</param>
        /// <param name="c">Receives the product.</param>
        /// <param name="m">Rows of c.</param>
        /// <param name="k">The inner dimension.</param>
        /// <param name="n">Columns of c.</param>
        /// <param name="dA">Adjoint of <paramref name="a"/>, accumulated.</param>
        /// <param name="dC">The seed; cleared on exit.</param>
        public static void MatMulBackwardConstantB(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n,
            Span<float> dA, Span<float> dC)
            => Products<float>.MatMulBackward(a, b, c, m, k, n, dA, Span<float>.Empty, dC, withB: false);

        /// <summary>
        /// <see cref="MatMulBackward(ReadOnlySpan{double}, ReadOnlySpan{double}, Span{double}, int, int, int, Span{double}, Span{double}, Span{double})"/> with <paramref name="a"/> constant: only <c>dB</c> is accumulated (the product for
        /// <c>dA</c> is skipped); <c>c = a·b</c> is computed and <paramref name="dC"/> is cleared.
        /// </summary>
        /// <param name="a">The left matrix (no adjoint).</param>
        /// <param name="b">The right matrix.</param>
        /// <param name="c">Receives the product.</param>
        /// <param name="m">Rows of c.</param>
        /// <param name="k">The inner dimension.</param>
        /// <param name="n">Columns of c.</param>
        /// <param name="dB">Adjoint of <paramref name="b"/>, accumulated.</param>
        /// <param name="dC">The seed; cleared on exit.</param>
        public static void MatMulBackwardConstantA(ReadOnlySpan<double> a, ReadOnlySpan<double> b, Span<double> c, int m, int k, int n,
            Span<double> dB, Span<double> dC)
            => Products<double>.MatMulBackward(a, b, c, m, k, n, Span<double>.Empty, dB, dC, withA: false);

        /// <summary>
        /// <see cref="MatMulBackward(ReadOnlySpan{double}, ReadOnlySpan{double}, Span{double}, int, int, int, Span{double}, Span{double}, Span{double})"/> with <paramref name="b"/> constant: only <c>dA</c> is accumulated (the product for
        /// <c>dB</c> is skipped); <c>c = a·b</c> is computed and <paramref name="dC"/> is cleared.
        /// </summary>
        /// <param name="a">The left matrix.</param>
        /// <param name="b">The right matrix (no adjoint).</param>
        /// <param name="c">Receives the product.</param>
        /// <param name="m">Rows of c.</param>
        /// <param name="k">The inner dimension.</param>
        /// <param name="n">Columns of c.</param>
        /// <param name="dA">Adjoint of <paramref name="a"/>, accumulated.</param>
        /// <param name="dC">The seed; cleared on exit.</param>
        public static void MatMulBackwardConstantB(ReadOnlySpan<double> a, ReadOnlySpan<double> b, Span<double> c, int m, int k, int n,
            Span<double> dA, Span<double> dC)
            => Products<double>.MatMulBackward(a, b, c, m, k, n, dA, Span<double>.Empty, dC, withB: false);

        /// <summary>
        /// <see cref="MatMulTransposeBBackward(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int, Span{float}, Span{float}, Span{float})"/> with <paramref name="a"/> constant: only <c>dB</c> is accumulated (the product for
        /// <c>dA</c> is skipped); <c>c = a·bᵀ</c> is computed and <paramref name="dC"/> is cleared.
        /// </summary>
        /// <param name="a">The left matrix (no adjoint).</param>
        /// <param name="b">The right matrix.</param>
        /// <param name="c">Receives the product.</param>
        /// <param name="m">Rows of c.</param>
        /// <param name="k">The inner dimension.</param>
        /// <param name="n">Columns of c.</param>
        /// <param name="dB">Adjoint of <paramref name="b"/>, accumulated.</param>
        /// <param name="dC">The seed; cleared on exit.</param>
        public static void MatMulTransposeBBackwardConstantA(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n,
            Span<float> dB, Span<float> dC)
            => Products<float>.MatMulTransposeBBackward(a, b, c, m, k, n, Span<float>.Empty, dB, dC, withA: false);

        /// <summary>
        /// <see cref="MatMulTransposeBBackward(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int, Span{float}, Span{float}, Span{float})"/> with <paramref name="b"/> constant: only <c>dA</c> is accumulated (the product for
        /// <c>dB</c> is skipped); <c>c = a·bᵀ</c> is computed and <paramref name="dC"/> is cleared.
        /// </summary>
        /// <param name="a">The left matrix.</param>
        /// <param name="b">The right matrix (no adjoint).</param>
        /// <param name="c">Receives the product.</param>
        /// <param name="m">Rows of c.</param>
        /// <param name="k">The inner dimension.</param>
        /// <param name="n">Columns of c.</param>
        /// <param name="dA">Adjoint of <paramref name="a"/>, accumulated.</param>
        /// <param name="dC">The seed; cleared on exit.</param>
        public static void MatMulTransposeBBackwardConstantB(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n,
            Span<float> dA, Span<float> dC)
            => Products<float>.MatMulTransposeBBackward(a, b, c, m, k, n, dA, Span<float>.Empty, dC, withB: false);

        /// <summary>
        /// <see cref="MatMulTransposeBBackward(ReadOnlySpan{double}, ReadOnlySpan{double}, Span{double}, int, int, int, Span{double}, Span{double}, Span{double})"/> with <paramref name="a"/> constant: only <c>dB</c> is accumulated (the product for
        /// <c>dA</c> is skipped); <c>c = a·bᵀ</c> is computed and <paramref name="dC"/> is cleared.
        /// </summary>
        /// <param name="a">The left matrix (no adjoint).</param>
        /// <param name="b">The right matrix.</param>
        /// <param name="c">Receives the product.</param>
        /// <param name="m">Rows of c.</param>
        /// <param name="k">The inner dimension.</param>
        /// <param name="n">Columns of c.</param>
        /// <param name="dB">Adjoint of <paramref name="b"/>, accumulated.</param>
        /// <param name="dC">The seed; cleared on exit.</param>
        public static void MatMulTransposeBBackwardConstantA(ReadOnlySpan<double> a, ReadOnlySpan<double> b, Span<double> c, int m, int k, int n,
            Span<double> dB, Span<double> dC)
            => Products<double>.MatMulTransposeBBackward(a, b, c, m, k, n, Span<double>.Empty, dB, dC, withA: false);

        /// <summary>
        /// <see cref="MatMulTransposeBBackward(ReadOnlySpan{double}, ReadOnlySpan{double}, Span{double}, int, int, int, Span{double}, Span{double}, Span{double})"/> with <paramref name="b"/> constant: only <c>dA</c> is accumulated (the product for
        /// <c>dB</c> is skipped); <c>c = a·bᵀ</c> is computed and <paramref name="dC"/> is cleared.
        /// </summary>
        /// <param name="a">The left matrix.</param>
        /// <param name="b">The right matrix (no adjoint).</param>
        /// <param name="c">Receives the product.</param>
        /// <param name="m">Rows of c.</param>
        /// <param name="k">The inner dimension.</param>
        /// <param name="n">Columns of c.</param>
        /// <param name="dA">Adjoint of <paramref name="a"/>, accumulated.</param>
        /// <param name="dC">The seed; cleared on exit.</param>
        public static void MatMulTransposeBBackwardConstantB(ReadOnlySpan<double> a, ReadOnlySpan<double> b, Span<double> c, int m, int k, int n,
            Span<double> dA, Span<double> dC)
            => Products<double>.MatMulTransposeBBackward(a, b, c, m, k, n, dA, Span<double>.Empty, dC, withB: false);

        /// <summary>
        /// <see cref="MatMulTransposeABackward(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int, Span{float}, Span{float}, Span{float})"/> with <paramref name="a"/> constant: only <c>dB</c> is accumulated (the product for
        /// <c>dA</c> is skipped); <c>c = aᵀ·b</c> is computed and <paramref name="dC"/> is cleared.
        /// </summary>
        /// <param name="a">The left matrix (no adjoint).</param>
        /// <param name="b">The right matrix.</param>
        /// <param name="c">Receives the product.</param>
        /// <param name="m">Rows of c.</param>
        /// <param name="k">The inner dimension.</param>
        /// <param name="n">Columns of c.</param>
        /// <param name="dB">Adjoint of <paramref name="b"/>, accumulated.</param>
        /// <param name="dC">The seed; cleared on exit.</param>
        public static void MatMulTransposeABackwardConstantA(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n,
            Span<float> dB, Span<float> dC)
            => Products<float>.MatMulTransposeABackward(a, b, c, m, k, n, Span<float>.Empty, dB, dC, withA: false);

        /// <summary>
        /// <see cref="MatMulTransposeABackward(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int, Span{float}, Span{float}, Span{float})"/> with <paramref name="b"/> constant: only <c>dA</c> is accumulated (the product for
        /// <c>dB</c> is skipped); <c>c = aᵀ·b</c> is computed and <paramref name="dC"/> is cleared.
        /// </summary>
        /// <param name="a">The left matrix.</param>
        /// <param name="b">The right matrix (no adjoint).</param>
        /// <param name="c">Receives the product.</param>
        /// <param name="m">Rows of c.</param>
        /// <param name="k">The inner dimension.</param>
        /// <param name="n">Columns of c.</param>
        /// <param name="dA">Adjoint of <paramref name="a"/>, accumulated.</param>
        /// <param name="dC">The seed; cleared on exit.</param>
        public static void MatMulTransposeABackwardConstantB(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n,
            Span<float> dA, Span<float> dC)
            => Products<float>.MatMulTransposeABackward(a, b, c, m, k, n, dA, Span<float>.Empty, dC, withB: false);

        /// <summary>
        /// <see cref="MatMulTransposeABackward(ReadOnlySpan{double}, ReadOnlySpan{double}, Span{double}, int, int, int, Span{double}, Span{double}, Span{double})"/> with <paramref name="a"/> constant: only <c>dB</c> is accumulated (the product for
        /// <c>dA</c> is skipped); <c>c = aᵀ·b</c> is computed and <paramref name="dC"/> is cleared.
        /// </summary>
        /// <param name="a">The left matrix (no adjoint).</param>
        /// <param name="b">The right matrix.</param>
        /// <param name="c">Receives the product.</param>
        /// <param name="m">Rows of c.</param>
        /// <param name="k">The inner dimension.</param>
        /// <param name="n">Columns of c.</param>
        /// <param name="dB">Adjoint of <paramref name="b"/>, accumulated.</param>
        /// <param name="dC">The seed; cleared on exit.</param>
        public static void MatMulTransposeABackwardConstantA(ReadOnlySpan<double> a, ReadOnlySpan<double> b, Span<double> c, int m, int k, int n,
            Span<double> dB, Span<double> dC)
            => Products<double>.MatMulTransposeABackward(a, b, c, m, k, n, Span<double>.Empty, dB, dC, withA: false);

        /// <summary>
        /// <see cref="MatMulTransposeABackward(ReadOnlySpan{double}, ReadOnlySpan{double}, Span{double}, int, int, int, Span{double}, Span{double}, Span{double})"/> with <paramref name="b"/> constant: only <c>dA</c> is accumulated (the product for
        /// <c>dB</c> is skipped); <c>c = aᵀ·b</c> is computed and <paramref name="dC"/> is cleared.
        /// </summary>
        /// <param name="a">The left matrix.</param>
        /// <param name="b">The right matrix (no adjoint).</param>
        /// <param name="c">Receives the product.</param>
        /// <param name="m">Rows of c.</param>
        /// <param name="k">The inner dimension.</param>
        /// <param name="n">Columns of c.</param>
        /// <param name="dA">Adjoint of <paramref name="a"/>, accumulated.</param>
        /// <param name="dC">The seed; cleared on exit.</param>
        public static void MatMulTransposeABackwardConstantB(ReadOnlySpan<double> a, ReadOnlySpan<double> b, Span<double> c, int m, int k, int n,
            Span<double> dA, Span<double> dC)
            => Products<double>.MatMulTransposeABackward(a, b, c, m, k, n, dA, Span<double>.Empty, dC, withB: false);

        /// <summary>
        /// <see cref="MatMulBackward(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int, Span{float}, Span{float}, Span{float})"/> without the primal: the adjoints only, <paramref name="c"/> is left as it is. The
        /// generated Backwards call this (they put written buffers back themselves), saving one product.
        /// </summary>
        /// <inheritdoc cref="MatMulBackward(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int, Span{float}, Span{float}, Span{float})"/>
        [global::System.ComponentModel.EditorBrowsable(global::System.ComponentModel.EditorBrowsableState.Advanced)]
        public static void MatMulBackwardWithoutPrimal(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n,
            Span<float> dA, Span<float> dB, Span<float> dC)
            => Products<float>.MatMulBackward(a, b, c, m, k, n, dA, dB, dC, withPrimal: false);

        /// <summary>
        /// <see cref="MatMulBackwardConstantA(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int, Span{float}, Span{float})"/> without the primal: the adjoints only, <paramref name="c"/> is left as it is. The
        /// generated Backwards call this (they put written buffers back themselves), saving one product.
        /// </summary>
        /// <inheritdoc cref="MatMulBackwardConstantA(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int, Span{float}, Span{float})"/>
        [global::System.ComponentModel.EditorBrowsable(global::System.ComponentModel.EditorBrowsableState.Advanced)]
        public static void MatMulBackwardConstantAWithoutPrimal(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n,
            Span<float> dB, Span<float> dC)
            => Products<float>.MatMulBackward(a, b, c, m, k, n, Span<float>.Empty, dB, dC, withA: false, withPrimal: false);

        /// <summary>
        /// <see cref="MatMulBackwardConstantB(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int, Span{float}, Span{float})"/> without the primal: the adjoints only, <paramref name="c"/> is left as it is. The
        /// generated Backwards call this (they put written buffers back themselves), saving one product.
        /// </summary>
        /// <inheritdoc cref="MatMulBackwardConstantB(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int, Span{float}, Span{float})"/>
        [global::System.ComponentModel.EditorBrowsable(global::System.ComponentModel.EditorBrowsableState.Advanced)]
        public static void MatMulBackwardConstantBWithoutPrimal(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n,
            Span<float> dA, Span<float> dC)
            => Products<float>.MatMulBackward(a, b, c, m, k, n, dA, Span<float>.Empty, dC, withB: false, withPrimal: false);

        /// <summary>
        /// <see cref="MatMulBackward(ReadOnlySpan{double}, ReadOnlySpan{double}, Span{double}, int, int, int, Span{double}, Span{double}, Span{double})"/> without the primal: the adjoints only, <paramref name="c"/> is left as it is. The
        /// generated Backwards call this (they put written buffers back themselves), saving one product.
        /// </summary>
        /// <inheritdoc cref="MatMulBackward(ReadOnlySpan{double}, ReadOnlySpan{double}, Span{double}, int, int, int, Span{double}, Span{double}, Span{double})"/>
        [global::System.ComponentModel.EditorBrowsable(global::System.ComponentModel.EditorBrowsableState.Advanced)]
        public static void MatMulBackwardWithoutPrimal(ReadOnlySpan<double> a, ReadOnlySpan<double> b, Span<double> c, int m, int k, int n,
            Span<double> dA, Span<double> dB, Span<double> dC)
            => Products<double>.MatMulBackward(a, b, c, m, k, n, dA, dB, dC, withPrimal: false);

        /// <summary>
        /// <see cref="MatMulBackwardConstantA(ReadOnlySpan{double}, ReadOnlySpan{double}, Span{double}, int, int, int, Span{double}, Span{double})"/> without the primal: the adjoints only, <paramref name="c"/> is left as it is. The
        /// generated Backwards call this (they put written buffers back themselves), saving one product.
        /// </summary>
        /// <inheritdoc cref="MatMulBackwardConstantA(ReadOnlySpan{double}, ReadOnlySpan{double}, Span{double}, int, int, int, Span{double}, Span{double})"/>
        [global::System.ComponentModel.EditorBrowsable(global::System.ComponentModel.EditorBrowsableState.Advanced)]
        public static void MatMulBackwardConstantAWithoutPrimal(ReadOnlySpan<double> a, ReadOnlySpan<double> b, Span<double> c, int m, int k, int n,
            Span<double> dB, Span<double> dC)
            => Products<double>.MatMulBackward(a, b, c, m, k, n, Span<double>.Empty, dB, dC, withA: false, withPrimal: false);

        /// <summary>
        /// <see cref="MatMulBackwardConstantB(ReadOnlySpan{double}, ReadOnlySpan{double}, Span{double}, int, int, int, Span{double}, Span{double})"/> without the primal: the adjoints only, <paramref name="c"/> is left as it is. The
        /// generated Backwards call this (they put written buffers back themselves), saving one product.
        /// </summary>
        /// <inheritdoc cref="MatMulBackwardConstantB(ReadOnlySpan{double}, ReadOnlySpan{double}, Span{double}, int, int, int, Span{double}, Span{double})"/>
        [global::System.ComponentModel.EditorBrowsable(global::System.ComponentModel.EditorBrowsableState.Advanced)]
        public static void MatMulBackwardConstantBWithoutPrimal(ReadOnlySpan<double> a, ReadOnlySpan<double> b, Span<double> c, int m, int k, int n,
            Span<double> dA, Span<double> dC)
            => Products<double>.MatMulBackward(a, b, c, m, k, n, dA, Span<double>.Empty, dC, withB: false, withPrimal: false);

        /// <summary>
        /// <see cref="MatMulTransposeBBackward(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int, Span{float}, Span{float}, Span{float})"/> without the primal: the adjoints only, <paramref name="c"/> is left as it is. The
        /// generated Backwards call this (they put written buffers back themselves), saving one product.
        /// </summary>
        /// <inheritdoc cref="MatMulTransposeBBackward(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int, Span{float}, Span{float}, Span{float})"/>
        [global::System.ComponentModel.EditorBrowsable(global::System.ComponentModel.EditorBrowsableState.Advanced)]
        public static void MatMulTransposeBBackwardWithoutPrimal(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n,
            Span<float> dA, Span<float> dB, Span<float> dC)
            => Products<float>.MatMulTransposeBBackward(a, b, c, m, k, n, dA, dB, dC, withPrimal: false);

        /// <summary>
        /// <see cref="MatMulTransposeBBackwardConstantA(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int, Span{float}, Span{float})"/> without the primal: the adjoints only, <paramref name="c"/> is left as it is. The
        /// generated Backwards call this (they put written buffers back themselves), saving one product.
        /// </summary>
        /// <inheritdoc cref="MatMulTransposeBBackwardConstantA(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int, Span{float}, Span{float})"/>
        [global::System.ComponentModel.EditorBrowsable(global::System.ComponentModel.EditorBrowsableState.Advanced)]
        public static void MatMulTransposeBBackwardConstantAWithoutPrimal(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n,
            Span<float> dB, Span<float> dC)
            => Products<float>.MatMulTransposeBBackward(a, b, c, m, k, n, Span<float>.Empty, dB, dC, withA: false, withPrimal: false);

        /// <summary>
        /// <see cref="MatMulTransposeBBackwardConstantB(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int, Span{float}, Span{float})"/> without the primal: the adjoints only, <paramref name="c"/> is left as it is. The
        /// generated Backwards call this (they put written buffers back themselves), saving one product.
        /// </summary>
        /// <inheritdoc cref="MatMulTransposeBBackwardConstantB(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int, Span{float}, Span{float})"/>
        [global::System.ComponentModel.EditorBrowsable(global::System.ComponentModel.EditorBrowsableState.Advanced)]
        public static void MatMulTransposeBBackwardConstantBWithoutPrimal(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n,
            Span<float> dA, Span<float> dC)
            => Products<float>.MatMulTransposeBBackward(a, b, c, m, k, n, dA, Span<float>.Empty, dC, withB: false, withPrimal: false);

        /// <summary>
        /// <see cref="MatMulTransposeBBackward(ReadOnlySpan{double}, ReadOnlySpan{double}, Span{double}, int, int, int, Span{double}, Span{double}, Span{double})"/> without the primal: the adjoints only, <paramref name="c"/> is left as it is. The
        /// generated Backwards call this (they put written buffers back themselves), saving one product.
        /// </summary>
        /// <inheritdoc cref="MatMulTransposeBBackward(ReadOnlySpan{double}, ReadOnlySpan{double}, Span{double}, int, int, int, Span{double}, Span{double}, Span{double})"/>
        [global::System.ComponentModel.EditorBrowsable(global::System.ComponentModel.EditorBrowsableState.Advanced)]
        public static void MatMulTransposeBBackwardWithoutPrimal(ReadOnlySpan<double> a, ReadOnlySpan<double> b, Span<double> c, int m, int k, int n,
            Span<double> dA, Span<double> dB, Span<double> dC)
            => Products<double>.MatMulTransposeBBackward(a, b, c, m, k, n, dA, dB, dC, withPrimal: false);

        /// <summary>
        /// <see cref="MatMulTransposeBBackwardConstantA(ReadOnlySpan{double}, ReadOnlySpan{double}, Span{double}, int, int, int, Span{double}, Span{double})"/> without the primal: the adjoints only, <paramref name="c"/> is left as it is. The
        /// generated Backwards call this (they put written buffers back themselves), saving one product.
        /// </summary>
        /// <inheritdoc cref="MatMulTransposeBBackwardConstantA(ReadOnlySpan{double}, ReadOnlySpan{double}, Span{double}, int, int, int, Span{double}, Span{double})"/>
        [global::System.ComponentModel.EditorBrowsable(global::System.ComponentModel.EditorBrowsableState.Advanced)]
        public static void MatMulTransposeBBackwardConstantAWithoutPrimal(ReadOnlySpan<double> a, ReadOnlySpan<double> b, Span<double> c, int m, int k, int n,
            Span<double> dB, Span<double> dC)
            => Products<double>.MatMulTransposeBBackward(a, b, c, m, k, n, Span<double>.Empty, dB, dC, withA: false, withPrimal: false);

        /// <summary>
        /// <see cref="MatMulTransposeBBackwardConstantB(ReadOnlySpan{double}, ReadOnlySpan{double}, Span{double}, int, int, int, Span{double}, Span{double})"/> without the primal: the adjoints only, <paramref name="c"/> is left as it is. The
        /// generated Backwards call this (they put written buffers back themselves), saving one product.
        /// </summary>
        /// <inheritdoc cref="MatMulTransposeBBackwardConstantB(ReadOnlySpan{double}, ReadOnlySpan{double}, Span{double}, int, int, int, Span{double}, Span{double})"/>
        [global::System.ComponentModel.EditorBrowsable(global::System.ComponentModel.EditorBrowsableState.Advanced)]
        public static void MatMulTransposeBBackwardConstantBWithoutPrimal(ReadOnlySpan<double> a, ReadOnlySpan<double> b, Span<double> c, int m, int k, int n,
            Span<double> dA, Span<double> dC)
            => Products<double>.MatMulTransposeBBackward(a, b, c, m, k, n, dA, Span<double>.Empty, dC, withB: false, withPrimal: false);

        /// <summary>
        /// <see cref="MatMulTransposeABackward(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int, Span{float}, Span{float}, Span{float})"/> without the primal: the adjoints only, <paramref name="c"/> is left as it is. The
        /// generated Backwards call this (they put written buffers back themselves), saving one product.
        /// </summary>
        /// <inheritdoc cref="MatMulTransposeABackward(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int, Span{float}, Span{float}, Span{float})"/>
        [global::System.ComponentModel.EditorBrowsable(global::System.ComponentModel.EditorBrowsableState.Advanced)]
        public static void MatMulTransposeABackwardWithoutPrimal(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n,
            Span<float> dA, Span<float> dB, Span<float> dC)
            => Products<float>.MatMulTransposeABackward(a, b, c, m, k, n, dA, dB, dC, withPrimal: false);

        /// <summary>
        /// <see cref="MatMulTransposeABackwardConstantA(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int, Span{float}, Span{float})"/> without the primal: the adjoints only, <paramref name="c"/> is left as it is. The
        /// generated Backwards call this (they put written buffers back themselves), saving one product.
        /// </summary>
        /// <inheritdoc cref="MatMulTransposeABackwardConstantA(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int, Span{float}, Span{float})"/>
        [global::System.ComponentModel.EditorBrowsable(global::System.ComponentModel.EditorBrowsableState.Advanced)]
        public static void MatMulTransposeABackwardConstantAWithoutPrimal(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n,
            Span<float> dB, Span<float> dC)
            => Products<float>.MatMulTransposeABackward(a, b, c, m, k, n, Span<float>.Empty, dB, dC, withA: false, withPrimal: false);

        /// <summary>
        /// <see cref="MatMulTransposeABackwardConstantB(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int, Span{float}, Span{float})"/> without the primal: the adjoints only, <paramref name="c"/> is left as it is. The
        /// generated Backwards call this (they put written buffers back themselves), saving one product.
        /// </summary>
        /// <inheritdoc cref="MatMulTransposeABackwardConstantB(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int, Span{float}, Span{float})"/>
        [global::System.ComponentModel.EditorBrowsable(global::System.ComponentModel.EditorBrowsableState.Advanced)]
        public static void MatMulTransposeABackwardConstantBWithoutPrimal(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n,
            Span<float> dA, Span<float> dC)
            => Products<float>.MatMulTransposeABackward(a, b, c, m, k, n, dA, Span<float>.Empty, dC, withB: false, withPrimal: false);

        /// <summary>
        /// <see cref="MatMulTransposeABackward(ReadOnlySpan{double}, ReadOnlySpan{double}, Span{double}, int, int, int, Span{double}, Span{double}, Span{double})"/> without the primal: the adjoints only, <paramref name="c"/> is left as it is. The
        /// generated Backwards call this (they put written buffers back themselves), saving one product.
        /// </summary>
        /// <inheritdoc cref="MatMulTransposeABackward(ReadOnlySpan{double}, ReadOnlySpan{double}, Span{double}, int, int, int, Span{double}, Span{double}, Span{double})"/>
        [global::System.ComponentModel.EditorBrowsable(global::System.ComponentModel.EditorBrowsableState.Advanced)]
        public static void MatMulTransposeABackwardWithoutPrimal(ReadOnlySpan<double> a, ReadOnlySpan<double> b, Span<double> c, int m, int k, int n,
            Span<double> dA, Span<double> dB, Span<double> dC)
            => Products<double>.MatMulTransposeABackward(a, b, c, m, k, n, dA, dB, dC, withPrimal: false);

        /// <summary>
        /// <see cref="MatMulTransposeABackwardConstantA(ReadOnlySpan{double}, ReadOnlySpan{double}, Span{double}, int, int, int, Span{double}, Span{double})"/> without the primal: the adjoints only, <paramref name="c"/> is left as it is. The
        /// generated Backwards call this (they put written buffers back themselves), saving one product.
        /// </summary>
        /// <inheritdoc cref="MatMulTransposeABackwardConstantA(ReadOnlySpan{double}, ReadOnlySpan{double}, Span{double}, int, int, int, Span{double}, Span{double})"/>
        [global::System.ComponentModel.EditorBrowsable(global::System.ComponentModel.EditorBrowsableState.Advanced)]
        public static void MatMulTransposeABackwardConstantAWithoutPrimal(ReadOnlySpan<double> a, ReadOnlySpan<double> b, Span<double> c, int m, int k, int n,
            Span<double> dB, Span<double> dC)
            => Products<double>.MatMulTransposeABackward(a, b, c, m, k, n, Span<double>.Empty, dB, dC, withA: false, withPrimal: false);

        /// <summary>
        /// <see cref="MatMulTransposeABackwardConstantB(ReadOnlySpan{double}, ReadOnlySpan{double}, Span{double}, int, int, int, Span{double}, Span{double})"/> without the primal: the adjoints only, <paramref name="c"/> is left as it is. The
        /// generated Backwards call this (they put written buffers back themselves), saving one product.
        /// </summary>
        /// <inheritdoc cref="MatMulTransposeABackwardConstantB(ReadOnlySpan{double}, ReadOnlySpan{double}, Span{double}, int, int, int, Span{double}, Span{double})"/>
        [global::System.ComponentModel.EditorBrowsable(global::System.ComponentModel.EditorBrowsableState.Advanced)]
        public static void MatMulTransposeABackwardConstantBWithoutPrimal(ReadOnlySpan<double> a, ReadOnlySpan<double> b, Span<double> c, int m, int k, int n,
            Span<double> dA, Span<double> dC)
            => Products<double>.MatMulTransposeABackward(a, b, c, m, k, n, dA, Span<double>.Empty, dC, withB: false, withPrimal: false);
    }
}
