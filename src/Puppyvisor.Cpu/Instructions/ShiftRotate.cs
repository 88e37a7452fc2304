// [C:8xx] ShiftRotate: not yet written.
namespace Puppyvisor.Cpu.Instructions;

internal static class ShiftRotate
{
    public static void Register() { }
}
