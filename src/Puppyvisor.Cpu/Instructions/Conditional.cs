// [C:8xx] Conditional: not yet written.
namespace Puppyvisor.Cpu.Instructions;

internal static class Conditional
{
    public static void Register() { }
}
