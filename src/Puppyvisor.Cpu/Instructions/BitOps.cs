// [C:8xx] BitOps: not yet written.
namespace Puppyvisor.Cpu.Instructions;

internal static class BitOps
{
    public static void Register() { }
}
