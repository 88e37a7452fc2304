// [C:410] Iced's CodeReader over guest memory, fetching through the MMU.
//
// An instruction may straddle a page boundary (up to 15 bytes, SDM Vol. 2A, 2.3.11),
// so each byte is translated as an instruction fetch; a fault is remembered rather
// than raised, because the decode cache decides whether it is architectural.
using Iced.Intel;
using Puppyvisor.Cpu.Memory;

namespace Puppyvisor.Cpu.Decoding;

internal sealed class GuestCodeReader : CodeReader
{
    readonly Cpu _cpu;
    uint _ip, _pageLinear = 1, _pagePhysical;
    uint _faultAddress;
    public bool Faulted;
    public uint LastPhysicalPage;

    public GuestCodeReader(Cpu cpu) => _cpu = cpu;

    public void Start(uint ip) { _ip = ip; Faulted = false; _pageLinear = 1; }

    public override int ReadByte()
    {
        if (Faulted) return -1;
        uint lin = _ip++;
        if ((lin & ~0xFFFu) != _pageLinear)
        {
            if (!TryTranslateFetch(lin, out uint pa))
            {
                Faulted = true;
                _faultAddress = lin;
                return -1;
            }
            _pageLinear = lin & ~0xFFFu;
            _pagePhysical = pa & ~0xFFFu;
            LastPhysicalPage = pa >> 12;
        }
        return _cpu.Memory.Read8(_pagePhysical | (lin & 0xFFF));
    }

    bool TryTranslateFetch(uint lin, out uint pa)
    {
        // The fetch's own translation (TLB, U/S from ring 3, A bit) without raising: probe and
        // undo. It must be the very translation RaiseFault repeats: a page walk that ignored the
        // TLB could call a page absent that the TLB still maps, and then no fault would come.
        uint cr2 = _cpu.Cr2;
        bool ok = _cpu.Translate(lin, AccessKind.Execute, out pa);
        if (!ok) { _cpu.ClearPendingFault(); _cpu.Cr2 = cr2; }
        return ok;
    }

    /// <summary>Raises the #PF the fetch ran into.</summary>
    public void RaiseFault() => _cpu.Translate(_faultAddress, AccessKind.Execute, out _);

    public void DiscardFault() => Faulted = false;
}
