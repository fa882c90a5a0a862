using System.Runtime.CompilerServices;

namespace Differentiable.Generator.Tests.Infrastructure;

/// <summary>
/// Every parse the generator takes from <see cref="ParseMemo"/> anywhere in this test run is parsed again and compared
/// (a difference reports DIFF0000, which fails the test that met it): the whole suite, not only <c>ParseMemoTests</c>,
/// checks that a kept parse equals a fresh one. The build-time benchmark turns it off while it measures.
/// </summary>
internal static class MemoVerification
{
    [ModuleInitializer]
    internal static void TurnOn() => ParseMemo.Verify = true;
}
