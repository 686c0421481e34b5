using System.Buffers;
using System.Runtime.InteropServices;

namespace Orleans.Tts.Synthesis.Engines.Espeak;

/// <summary>
/// The bytes of a 16-bit PCM array as <see cref="Memory{T}"/>, so that the silo reads audio from the engine-host
/// pipe straight into its <c>short[]</c> with async stream I/O: no byte copy, no second array per sentence.
/// </summary>
internal sealed class PcmBytes(short[] samples) : MemoryManager<byte>
{
    public override Span<byte> GetSpan() => MemoryMarshal.AsBytes(samples.AsSpan());

    public override unsafe MemoryHandle Pin(int elementIndex = 0)
    {
        if ((uint)elementIndex > (uint)(samples.Length * sizeof(short))) throw new ArgumentOutOfRangeException(nameof(elementIndex));
        var handle = GCHandle.Alloc(samples, GCHandleType.Pinned);
        return new MemoryHandle((byte*)handle.AddrOfPinnedObject() + elementIndex, handle, this);
    }

    // The GCHandle in the MemoryHandle is freed when that handle is disposed; nothing else is held.
    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
    }
}
