// [C:8xx] Atomics: not yet written.
namespace Puppyvisor.Cpu.Instructions;

internal static class Atomics
{
    public static void Register() { }
}
