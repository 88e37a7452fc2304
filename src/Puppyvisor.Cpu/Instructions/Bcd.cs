// [C:8xx] Bcd: not yet written.
namespace Puppyvisor.Cpu.Instructions;

internal static class Bcd
{
    public static void Register() { }
}
