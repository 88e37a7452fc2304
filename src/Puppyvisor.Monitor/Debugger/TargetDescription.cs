// [H:970] What gdb is told the guest's CPU has: the i386 general registers.
//
// The target description (qXfer:features:read:target.xml, sourceware "Target
// Description Format", "i386 Features"): architecture i386, feature
// org.gnu.gdb.i386.core with eax..edi, eip, eflags and the six selectors, numbered 0-15
// in the order of the `g` packet. Puppyvisor has no FPU (DESIGN §1), but gdb's i386
// architecture rejects a core feature without the x87 registers ("Architecture rejected
// target-supplied description", and then it asks for st0 anyway). So they are described,
// 16-31, outside the `g` packet, and `p` answers them "unavailable" (x's): gdb shows
// <unavailable> in `info all-registers` and never fails on them.
namespace Puppyvisor.Monitor.Debugger;

public static class TargetDescription
{
    /// <summary>Register names in gdb's numbering (the `g` packet's order).</summary>
    public static readonly string[] RegisterNames =
        ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "eip", "eflags", "cs", "ss", "ds", "es", "fs", "gs"];

    /// <summary>The registers in the `g` packet: the ones Puppyvisor has.</summary>
    public const int RegisterCount = 16;

    /// <summary>The x87 registers gdb insists on, numbered from 16: st0-st7 (80 bits), then eight 32-bit control registers.</summary>
    public static readonly string[] X87RegisterNames =
        ["st0", "st1", "st2", "st3", "st4", "st5", "st6", "st7", "fctrl", "fstat", "ftag", "fiseg", "fioff", "foseg", "fooff", "fop"];

    /// <summary>The size in bytes of register <paramref name="n"/>, or 0 when there is no such register.</summary>
    public static int RegisterSize(int n) => n switch
    {
        >= 0 and < RegisterCount => 4,
        >= RegisterCount and < RegisterCount + 8 => 10,
        >= RegisterCount + 8 and < RegisterCount + 16 => 4,
        _ => 0,
    };

    public static readonly string Xml = Build();

    static string Build()
    {
        var sb = new System.Text.StringBuilder();
        sb.Append("""
            <?xml version="1.0"?>
            <!DOCTYPE target SYSTEM "gdb-target.dtd">
            <target version="1.0">
              <architecture>i386</architecture>
              <feature name="org.gnu.gdb.i386.core">
                <flags id="i386_eflags" size="4">
                  <field name="CF" start="0" end="0"/>
                  <field name="" start="1" end="1"/>
                  <field name="PF" start="2" end="2"/>
                  <field name="AF" start="4" end="4"/>
                  <field name="ZF" start="6" end="6"/>
                  <field name="SF" start="7" end="7"/>
                  <field name="TF" start="8" end="8"/>
                  <field name="IF" start="9" end="9"/>
                  <field name="DF" start="10" end="10"/>
                  <field name="OF" start="11" end="11"/>
                  <field name="NT" start="14" end="14"/>
                  <field name="RF" start="16" end="16"/>
                  <field name="VM" start="17" end="17"/>
                  <field name="AC" start="18" end="18"/>
                  <field name="VIF" start="19" end="19"/>
                  <field name="VIP" start="20" end="20"/>
                  <field name="ID" start="21" end="21"/>
                </flags>

            """);
        for (int i = 0; i < RegisterCount; i++)
        {
            string name = RegisterNames[i];
            string type = name switch
            {
                "esp" or "ebp" => "data_ptr",
                "eip" => "code_ptr",
                "eflags" => "i386_eflags",
                _ => "int32",
            };
            sb.Append($"    <reg name=\"{name}\" bitsize=\"32\" type=\"{type}\" regnum=\"{i}\"/>\n");
        }
        for (int i = 0; i < X87RegisterNames.Length; i++)
        {
            string name = X87RegisterNames[i];
            string attributes = i < 8 ? "bitsize=\"80\" type=\"i387_ext\"" : "bitsize=\"32\" type=\"int\" group=\"float\"";
            sb.Append($"    <reg name=\"{name}\" {attributes} regnum=\"{RegisterCount + i}\"/>\n");
        }
        sb.Append("  </feature>\n</target>\n");
        return sb.ToString();
    }
}
