// Encodings that are not instructions of their own on a P6 without VMX: the reserved hint
// NOPs (0F 19-1F with a ModRM) execute as NOPs; VMX instructions other than VMCALL
// are #UD -- architectural answers, so neither is reported as "unimplemented".
using Iced.Intel;

namespace Puppyvisor.Cpu.Tests;

public class ReservedEncodingsTests
{
    [Theory]
    [InlineData(new byte[] { 0x0F, 0x19, 0xC0 })]             // nop eax, eax (0F 19 /r)
    [InlineData(new byte[] { 0x0F, 0x1E, 0x40, 0x10 })]       // nop [eax+10h], eax (0F 1E /r)
    public void ReservedHintNop_ExecutesAsANop(byte[] code)
    {
        var h = new CpuTestHarness();
        h.LoadBytes(code);
        h.Run();
        h.AssertNoFault();
    }

    [Fact]
    public void VmxInstructionOtherThanVmcall_IsUd_AndNotReportedAsUnimplemented()
    {
        Assert.True(DispatchTable.IsImplemented(Code.Vmread_rm32_r32));
        var h = new CpuTestHarness();
        h.LoadBytes(0x0F, 0x78, 0xC8);                              // vmread eax, ecx
        h.Run();
        h.AssertFault(Vector.InvalidOpcode);
    }
}
