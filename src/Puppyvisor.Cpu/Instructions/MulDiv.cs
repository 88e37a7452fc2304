// [C:8xx] MulDiv: not yet written.
namespace Puppyvisor.Cpu.Instructions;

internal static class MulDiv
{
    public static void Register() { }
}
